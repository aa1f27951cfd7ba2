"""Unfinished invoices: the account's plans that were begun and not finished (journal), with
their client, state, since when, entry count and draft. Enter or r resumes them all (the app's
resume, which also removes late copies); x abandons the highlighted plan and deletes its draft
(or its lines in an --into-draft target), k abandons it and keeps the draft. Both ask first,
then release exactly the entries the plan marked billed (timebill.core.billing.abandon)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerFailed, WorkerState
from timebill.core.billing.abandon import AbandonResult, abandon
from timebill.core.billing.journal import PlanRecord
from timebill.core.billing.service import BillingService
from timebill.core.connect import open_billomat, open_journal, open_source
from timebill.core.errors import TimebillError
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.entries import failure_text
from timebill.tui.widgets import numbers
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.select_table import SelectTable

STRINGS = {
    "unfinished.title": {
        "en": "Unfinished invoices ({count})",
        "de": "Unfertige Rechnungen ({count})",
    },
    "unfinished.col.client": {"en": "Client", "de": "Kunde"},
    "unfinished.col.state": {"en": "State", "de": "Stand"},
    "unfinished.col.since": {"en": "Since", "de": "Seit"},
    "unfinished.col.entries": {"en": "Entries", "de": "Einträge"},
    "unfinished.col.draft": {"en": "Draft", "de": "Entwurf"},
    "unfinished.state.pending": {"en": "not created", "de": "nicht angelegt"},
    "unfinished.state.created": {"en": "not all marked", "de": "nicht alle markiert"},
    "unfinished.none": {
        "en": "No unfinished invoices: every invoice is finished.",
        "de": "Keine unfertigen Rechnungen: alle Rechnungen sind abgeschlossen.",
    },
    "unfinished.detail": {
        "en": "Plan {plan} · {marked} of {count} entries marked billed · net {net} {currency}",
        "de": "Plan {plan} · {marked} von {count} Einträgen abgerechnet · netto {net} {currency}",
        "en_one": "Plan {plan} · {marked} of 1 entry marked billed · net {net} {currency}",
        "de_one": "Plan {plan} · {marked} von 1 Eintrag abgerechnet · netto {net} {currency}",
    },
    "unfinished.load_failed": {
        "en": "Loading the unfinished invoices failed",
        "de": "Die unfertigen Rechnungen konnten nicht geladen werden",
    },
    "unfinished.ask.title": {
        "en": "Abandon plan {plan} ({client})?",
        "de": "Plan {plan} ({client}) aufgeben?",
    },
    "unfinished.ask.delete": {
        "en": "Its draft {draft} is DELETED in Billomat.",
        "de": "Sein Entwurf {draft} wird in Billomat GELÖSCHT.",
    },
    "unfinished.ask.keep": {
        "en": "Its draft {draft} is KEPT in Billomat; while it holds the entries, timebill will not bill them again.",
        "de": "Sein Entwurf {draft} BLEIBT in Billomat; solange er die Einträge enthält, rechnet timebill sie nicht erneut ab.",
    },
    "unfinished.ask.delete_lines": {
        "en": "Its lines are REMOVED from draft {draft}; the draft stays.",
        "de": "Seine Positionen werden aus Entwurf {draft} ENTFERNT; der Entwurf bleibt.",
    },
    "unfinished.ask.keep_lines": {
        "en": "Its lines STAY in draft {draft}; while they are there, timebill will not bill the entries again.",
        "de": "Seine Positionen BLEIBEN in Entwurf {draft}; solange sie dort sind, rechnet timebill die Einträge nicht erneut ab.",
    },
    "unfinished.ask.no_draft": {
        "en": "It has no draft in Billomat (a late copy is deleted all the same).",
        "de": "Er hat keinen Entwurf in Billomat (eine verspätete Kopie wird trotzdem gelöscht).",
    },
    "unfinished.ask.release": {
        "en": "{count} entries it marked billed are released in the time tracker.",
        "de": "{count} von ihm abgerechnete Einträge werden in der Zeiterfassung freigegeben.",
        "en_one": "1 entry it marked billed is released in the time tracker.",
        "de_one": "1 von ihm abgerechneter Eintrag wird in der Zeiterfassung freigegeben.",
    },
    "unfinished.ask.other": {
        "en": "(x deletes the draft, k keeps it.)",
        "de": "(x löscht den Entwurf, k behält ihn.)",
    },
    "unfinished.yes.delete": {"en": "abandon, delete draft", "de": "aufgeben, Entwurf löschen"},
    "unfinished.yes.keep": {"en": "abandon, keep draft", "de": "aufgeben, Entwurf behalten"},
    "unfinished.abandoned_title": {"en": "Plan abandoned", "de": "Plan aufgegeben"},
    "unfinished.abandoned": {
        "en": "Plan {plan}: {count} entries released in the time tracker.",
        "de": "Plan {plan}: {count} Einträge in der Zeiterfassung freigegeben.",
        "en_one": "Plan {plan}: 1 entry released in the time tracker.",
        "de_one": "Plan {plan}: 1 Eintrag in der Zeiterfassung freigegeben.",
    },
    "unfinished.deleted_drafts": {
        "en": "Deleted in Billomat: draft {ids}.",
        "de": "In Billomat gelöscht: Entwurf {ids}.",
    },
    "unfinished.deleted_lines": {
        "en": "Removed {count} lines from draft {draft}.",
        "de": "{count} Positionen aus Entwurf {draft} entfernt.",
    },
    "unfinished.kept": {
        "en": "Draft {draft} kept: timebill will not bill its entries again while it holds them.",
        "de": "Entwurf {draft} behalten: solange er die Einträge enthält, rechnet timebill sie nicht erneut ab.",
    },
    "unfinished.nothing_left": {
        "en": "Nothing of it is left in Billomat.",
        "de": "In Billomat ist nichts davon übrig.",
    },
    "unfinished.abandon_failed": {
        "en": "Abandoning the plan failed",
        "de": "Der Plan konnte nicht aufgegeben werden",
    },
    "unfinished.partly": {
        "en": "{count} entries could not be released, the plan stays unfinished; try again: {reasons}",
        "de": "{count} Einträge konnten nicht freigegeben werden, der Plan bleibt unfertig; erneut versuchen: {reasons}",
        "en_one": "1 entry could not be released, the plan stays unfinished; try again: {reasons}",
        "de_one": "1 Eintrag konnte nicht freigegeben werden, der Plan bleibt unfertig; erneut versuchen: {reasons}",
    },
    "key.unfinished.resume": {"en": "Resume all", "de": "Fortsetzen"},
    "key.unfinished.delete": {"en": "Abandon, delete", "de": "Aufgeben, löschen"},
    "key.unfinished.keep": {"en": "Abandon, keep", "de": "Aufgeben, behalten"},
    "key.unfinished.back": {"en": "Back", "de": "Zurück"},
    "help.section.UnfinishedScreen": {"en": "Unfinished invoices", "de": "Unfertige Rechnungen"},
}
register(STRINGS)

WIDTHS = {"client": 22, "state": 15, "since": 12, "entries": 7, "draft": 11}


def since_text(stamp: str) -> str:
    """The journal's UTC timestamp as local day and time."""
    try:
        moment = dt.datetime.fromisoformat(stamp).astimezone()
    except ValueError:
        return stamp[:16]
    return moment.strftime("%d.%m. %H:%M")


def draft_of(record: PlanRecord) -> str:
    return record.into_draft or record.invoice_number or record.invoice_id or ""


def result_text(record: PlanRecord, result: AbandonResult) -> str:
    plan = record.id[:8]
    lines = [t("unfinished.abandoned", plan=plan, count=len(result.released))]
    if result.deleted and record.into_draft:
        lines.append(
            t("unfinished.deleted_lines", count=len(result.deleted), draft=record.into_draft)
        )
    elif result.deleted:
        lines.append(t("unfinished.deleted_drafts", ids=", ".join(result.deleted)))
    if result.kept:
        kept = record.invoice_number if result.kept == record.invoice_id else None
        lines.append(t("unfinished.kept", draft=kept or result.kept))
    elif not record.into_draft:
        lines.append(t("unfinished.nothing_left"))
    return "\n".join(lines)


class UnfinishedScreen(Screen[None]):
    DEFAULT_CSS = """
    UnfinishedScreen { layout: vertical; }
    UnfinishedScreen #unfinished-title { height: 1; padding: 0 1; text-style: bold; background: $panel; }
    UnfinishedScreen #unfinished-table { height: 1fr; }
    UnfinishedScreen #unfinished-detail { height: 2; padding: 0 1; }
    """
    AUTO_FOCUS = "#unfinished-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "resume", "key.unfinished.resume", id="unfinished.resume", show=False),
        Binding("x", "abandon(True)", "key.unfinished.delete", id="unfinished.delete"),
        Binding("k", "abandon(False)", "key.unfinished.keep", id="unfinished.keep"),
        # Not in the footer (German would not fit at 80 columns); Help lists it.
        Binding("escape", "back", "key.unfinished.back", id="unfinished.back", show=False),
    ]

    def __init__(self, settings: Any) -> None:
        super().__init__()
        localize_bindings(self)
        self.settings = settings
        self.plans: list[PlanRecord] = []

    def compose(self) -> ComposeResult:
        yield Static(id="unfinished-title")
        yield SelectTable("key.unfinished.resume", id="unfinished-table")
        yield Static(id="unfinished-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#unfinished-table", DataTable)
        for key, width in WIDTHS.items():
            label = t(f"unfinished.col.{key}")
            table.add_column(
                Text(label, justify="right") if key == "entries" else label, width=width, key=key
            )
        self.reload()

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        self.query_one("#unfinished-table", DataTable).loading = True
        self.load()

    def _read_journal(self) -> list[PlanRecord]:
        with BillingService.open(self.settings) as service:
            return service.unfinished()

    @work(exclusive=True, group="unfinished", exit_on_error=False)
    async def load(self) -> None:
        # SQLite may wait for another timebill's write lock: never on the event loop.
        self.plans = await asyncio.to_thread(self._read_journal)
        self.query_one("#unfinished-table", DataTable).loading = False
        self.show()
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "unfinished" and event.state == WorkerState.ERROR:
            self.query_one("#unfinished-table", DataTable).loading = False
            error = event.worker.error
            assert error is not None
            self.notify(
                failure_text(error),
                title=t("unfinished.load_failed"),
                severity="error",
                timeout=12,
                markup=False,
            )

    # -- drawing -----------------------------------------------------------------------------
    def show(self) -> None:
        title = t("unfinished.title", count=numbers.count(len(self.plans)))
        self.query_one("#unfinished-title", Static).update(Text(title))
        table = self.query_one("#unfinished-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for record in self.plans:
            plan = record.plan
            state = f"unfinished.state.{record.state}"
            table.add_row(
                Text(one_line(plan.client_name or record.client_id, WIDTHS["client"])),
                Text(t(state) if state in STRINGS else record.state),
                Text(since_text(record.created_at)),
                Text(numbers.count(len(record.entry_ids)), justify="right"),
                Text(one_line(draft_of(record) or "–", WIDTHS["draft"])),
                key=record.id,
            )
        if self.plans:
            table.move_cursor(row=min(max(cursor, 0), len(self.plans) - 1), animate=False)
        self._detail()

    @property
    def current(self) -> PlanRecord | None:
        index = self.query_one("#unfinished-table", DataTable).cursor_row
        return self.plans[index] if 0 <= index < len(self.plans) else None

    def _detail(self) -> None:
        record = self.current
        detail = Text(no_wrap=True, overflow="ellipsis")
        if record is None:
            detail.append(t("unfinished.none"))
        else:
            detail.append(
                t(
                    "unfinished.detail",
                    plan=record.id[:8],
                    marked=numbers.count(len(record.marked_ids)),
                    count=numbers.count(len(record.entry_ids)),
                    net=numbers.amount(record.plan.total_net, grouping=True),
                    currency=record.plan.currency,
                )
            )
            if record.error:
                detail.append("\n" + one_line(clean(record.error), 200), style="dim")
        self.query_one("#unfinished-detail", Static).update(detail)

    @on(DataTable.RowHighlighted, "#unfinished-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    @on(DataTable.RowSelected, "#unfinished-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_resume()

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("abandon", "resume"):
            return True if self.current is not None else None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_resume(self) -> None:
        """The app's resume (which says what it finished and what it swept), then the list
        again."""
        resume = getattr(self.app, "action_resume_invoices", None)
        if not callable(resume) or self.current is None:
            return
        resume()
        running = [w for w in self.app.workers if w.group == "resume" and not w.is_finished]
        if running:
            self.reload_after(running[-1])

    @work(group="unfinished-resume", exit_on_error=False)
    async def reload_after(self, worker: Worker[Any]) -> None:
        try:
            await worker.wait()
        except WorkerFailed:
            pass  # the app's worker tells the user itself
        self.reload()

    def action_abandon(self, delete: bool) -> None:
        record = self.current
        if record is None:
            return
        draft = draft_of(record)
        client = one_line(record.plan.client_name or record.client_id, 24)
        if not draft:
            what = t("unfinished.ask.no_draft")
        elif record.into_draft:
            what = t(f"unfinished.ask.{'delete' if delete else 'keep'}_lines", draft=draft)
        else:
            what = t(f"unfinished.ask.{'delete' if delete else 'keep'}", draft=draft)
        lines = [
            what,
            t("unfinished.ask.release", count=numbers.count(len(record.marked_ids))),
            t("unfinished.ask.other"),
        ]

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_abandon(record, delete)

        self.app.push_screen(
            ConfirmScreen(
                t("unfinished.ask.title", plan=record.id[:8], client=client),
                lines,
                t(f"unfinished.yes.{'delete' if delete else 'keep'}"),
            ),
            answered,
        )

    @work(group="abandon", exit_on_error=False)
    async def run_abandon(self, record: PlanRecord, delete: bool) -> None:
        # Never exclusive: cancelling a delete or a release half-way leaves its outcome unknown.
        try:
            with open_journal(self.settings) as journal:
                async with (
                    open_billomat(self.settings) as billomat,
                    open_source(self.settings) as source,
                ):
                    result = await abandon(
                        record.id,
                        delete_draft=delete,
                        billomat=billomat,
                        source=source,
                        journal=journal,
                    )
        except TimebillError as err:
            self.notify(
                failure_text(err),
                title=t("unfinished.abandon_failed"),
                severity="error",
                timeout=15,
                markup=False,
            )
            self.reload()
            return
        if result.ok:
            self.notify(
                result_text(record, result),
                title=t("unfinished.abandoned_title"),
                timeout=15,
                markup=False,
            )
        else:
            reasons = "; ".join(
                f"{entry}: {clean(why)}" for entry, why in list(result.failed.items())[:3]
            )
            self.notify(
                t("unfinished.partly", count=len(result.failed), reasons=reasons),
                title=t("unfinished.abandon_failed"),
                severity="error",
                timeout=15,
                markup=False,
            )
        self.reload()
        reload_entries = getattr(self.app, "reload_entries", None)
        if callable(reload_entries):
            reload_entries()
