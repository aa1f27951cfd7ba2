"""Month-end: every customer with open billable entries in the period, with hours, amount and
whether it has a Billomat client; walked customer by customer (Enter: preview, confirm, next)
or marked reviewed (space, or v in the preview) and created all at once (c) with a progress view.

Drafts timebill made that were deleted in Billomat are listed below the queue: their entries
are still marked billed in the tracker, and `l` releases them.

Like the CLI's month-end run and every resume, the screen sweeps late copies of drafts and lines
(timebill.core.billing.drafts.sweep): when it loads, before anything is created (the deleted
drafts' check runs it first), and again when "create reviewed" has finished, failed or not. Each
copy removed, or not, is a notification (tui/swept.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker
from timebill.core.billing.catalog import Catalog, customers_of, services_of
from timebill.core.billing.drafts import SweepAction
from timebill.core.billing.month_end import (
    QueueProgress,
    QueueRow,
    create_rows,
    month_end_queue,
    next_open,
)
from timebill.core.billing.outcomes import Created
from timebill.core.billing.service import BillingService
from timebill.core.billomat.links import invoice_url
from timebill.core.connect import open_source
from timebill.core.errors import AuthenticationError, TimebillError
from timebill.core.invoicing.builder import Assignments
from timebill.core.models import TimeEntry
from timebill.core.text import clean, one_line
from timebill.tui.billing_notices import notice, progress_text
from timebill.tui.i18n import register, t
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.swept import notify_swept
from timebill.tui.widgets import numbers
from timebill.tui.widgets.deleted_drafts import DeletedDrafts
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.plan_text import date_text
from timebill.tui.widgets.progress_panel import ProgressPanel
from timebill.tui.widgets.queue_cells import mapping_cell, state_cell
from timebill.tui.widgets.select_table import SelectTable
from timebill.tui.widgets.worker_errors import notify_failure

STRINGS = {
    "month_end.title": {
        "en": "Month-end {start} – {end}",
        "de": "Monatsabschluss {start} – {end}",
    },
    "month_end.summary": {
        "en": "{count} customers with open entries · {reviewed} reviewed · {created} created",
        "de": "{count} Kunden mit offenen Einträgen · {reviewed} geprüft · {created} angelegt",
    },
    "month_end.loading": {"en": "Loading open entries…", "de": "Offene Einträge werden geladen…"},
    "month_end.nothing": {
        "en": "No open billable entries in this period.",
        "de": "Keine offenen abrechenbaren Einträge in diesem Zeitraum.",
    },
    "month_end.col.name": {"en": "Client", "de": "Kunde"},
    "month_end.col.hours": {"en": "Hours", "de": "Std."},
    "month_end.col.amount": {"en": "Net", "de": "Netto"},
    "month_end.col.mapping": {"en": "Mapping", "de": "Zuordnung"},
    "month_end.col.state": {"en": "State", "de": "Status"},
    "month_end.load_failed": {
        "en": "Loading the month-end run failed",
        "de": "Der Monatsabschluss konnte nicht geladen werden",
    },
    "month_end.open_setup": {
        "en": "Open the setup and check the keys.",
        "de": "Öffnen Sie die Einrichtung und prüfen Sie die Schlüssel.",
    },
    "month_end.try_again": {
        "en": "Press F5 to try again.",
        "de": "Mit F5 erneut versuchen.",
    },
    "month_end.created_all": {
        "en": "Created {created} of {count} drafts.",
        "de": "{created} von {count} Entwürfen angelegt.",
    },
    "month_end.some_failed": {
        "en": "Some drafts failed: see the rows marked failed; run “resume unfinished invoices” for those that started.",
        "de": "Einige Entwürfe scheiterten: siehe die Zeilen „fehlgeschlagen“; begonnene mit „Unfertige Rechnungen fortsetzen“ abschließen.",
    },
    "month_end.nothing_reviewed": {
        "en": "Mark plans reviewed first (space, or v in the preview).",
        "de": "Erst Pläne als geprüft markieren (Leertaste, oder v in der Vorschau).",
    },
    "key.month_end.preview": {"en": "Preview", "de": "Vorschau"},
    "key.month_end.review": {"en": "Reviewed", "de": "Geprüft"},
    "key.month_end.create_all": {"en": "Create reviewed", "de": "Anlegen"},
    "key.month_end.reload": {"en": "Reload", "de": "Laden"},
    "key.month_end.back": {"en": "Back", "de": "Zurück"},
}
STRINGS.update(
    {
        "month_end.confirm.title": {
            "en": "Create the reviewed drafts?",
            "de": "Die geprüften Entwürfe anlegen?",
        },
        "month_end.confirm.drafts": {
            "en": "{count} drafts: {names}",
            "de": "{count} Entwürfe: {names}",
        },
        "month_end.confirm.entries": {
            "en": "{count} entries, {hours} h, then marked billed",
            "de": "{count} Einträge, {hours} Std., danach als abgerechnet markiert",
            "en_one": "1 entry, {hours} h, then marked billed",
            "de_one": "1 Eintrag, {hours} Std., danach als abgerechnet markiert",
        },
        "month_end.confirm.money": {
            "en": "Net {net} · gross {gross} {currency}",
            "de": "Netto {net} · brutto {gross} {currency}",
        },
        "month_end.confirm.yes": {"en": "create all", "de": "alle anlegen"},
        "month_end.lost.reviewed": {
            "en": "{count} reviewed drafts not created yet",
            "de": "{count} geprüfte, noch nicht angelegte Entwürfe",
        },
        "month_end.lost.creating": {
            "en": "drafts being created (timebill resume finishes them)",
            "de": "Entwürfe, die gerade angelegt werden (timebill resume stellt sie fertig)",
        },
    }
)
register(STRINGS)


class MonthEndScreen(Screen[bool]):
    """Dismisses with True when anything was created or released (the entries changed)."""

    CSS_PATH = "month_end.tcss"
    AUTO_FOCUS = "#month-end-queue"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "preview", "key.month_end.preview", id="month_end.preview", show=False),
        Binding("space", "review", "key.month_end.review", id="month_end.review"),
        Binding("c", "create_all", "key.month_end.create_all", id="month_end.create_all"),
        Binding("f5", "reload", "key.month_end.reload", id="month_end.reload"),
        Binding("escape", "back", "key.month_end.back", id="month_end.back", show=False),
    ]

    class Progress(Message):
        def __init__(self, text: str, done: int, total: int | None) -> None:
            super().__init__()
            self.text = text
            self.done = done
            self.total = total

    def __init__(
        self, service: BillingService, start: dt.date, end: dt.date, *, owns_service: bool = False
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self.service = service
        self.owns_service = owns_service
        self.start_date = start
        self.end_date = end
        self.entries: list[TimeEntry] = []
        self.assignments = Assignments()
        self.rows: list[QueueRow] = []
        self.loaded = False
        self.busy = False  # creating or releasing
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static(
            Text(
                t(
                    "month_end.title",
                    start=date_text(self.start_date),
                    end=date_text(self.end_date),
                )
            ),
            id="month-end-title",
        )
        yield SelectTable("key.month_end.preview", id="month-end-queue")
        yield Static(id="month-end-detail", markup=False)
        yield DeletedDrafts(self.service, id="month-end-deleted")
        yield ProgressPanel(id="month-end-progress")
        yield Footer()

    def on_mount(self) -> None:
        self._add_columns()
        self.action_reload()

    def _add_columns(self) -> None:
        """Hours and amounts as wide as their longest value (numbers are never cut); the
        name gives up what they take beyond the usual width."""
        queue = self.query_one("#month-end-queue", DataTable)
        hours = max([7, *(len(numbers.hours(r.minutes, grouping=True)) for r in self.rows)])
        amount = max([10, *(len(numbers.amount(r.amount, grouping=True)) for r in self.rows)])
        self._name_width = max(12, 27 - (hours - 7) - (amount - 10))
        queue.clear(columns=True)
        queue.add_column(t("month_end.col.name"), width=self._name_width, key="name")
        queue.add_column(Text(t("month_end.col.hours"), justify="right"), width=hours, key="hours")
        queue.add_column(
            Text(t("month_end.col.amount"), justify="right"), width=amount, key="amount"
        )
        queue.add_column(t("month_end.col.mapping"), width=12, key="mapping")
        queue.add_column(t("month_end.col.state"), width=11, key="state")

    def on_unmount(self) -> None:
        if self.owns_service:
            self.service.close()

    # -- loading ---------------------------------------------------------------------------
    def action_reload(self) -> None:
        self.query_one("#month-end-detail", Static).update(Text(t("month_end.loading")))
        self.load()
        if not self.busy:  # "create reviewed" sweeps when it ends: not two sweeps at once
            self.query_one(DeletedDrafts).check()

    @work(exclusive=True, group="month-end-load", exit_on_error=False)
    async def load(self) -> None:
        service = self.service
        queue = self.query_one("#month-end-queue", DataTable)
        queue.loading = True
        try:
            async with open_source(service.settings) as source:
                entries, catalog = await asyncio.gather(
                    source.entries(self.start_date, self.end_date, billable=True, billed=False),
                    self._catalog(),
                )
        except TimebillError as exc:
            self._failed(t("month_end.load_failed"), exc)
            return
        finally:
            queue.loading = False
        service.catalog = catalog
        self.entries = entries
        self.loaded = True
        self.build()

    async def _catalog(self) -> Catalog:
        if self.service.catalog is not None:
            return self.service.catalog
        return await self.service.load_catalog()

    def _failed(self, title: str, exc: TimebillError) -> None:
        hint = (
            t("month_end.open_setup")
            if isinstance(exc, AuthenticationError)
            else t("month_end.try_again")
        )
        self.notify(
            f"{clean(str(exc))}\n{hint}", title=title, severity="error", timeout=12, markup=False
        )
        self.query_one("#month-end-detail", Static).update(Text(clean(str(exc))))

    def build(self) -> None:
        """Plans for every client from the loaded entries (pure: no network, no journal
        writes; name matches are remembered when the Assign screen confirms them)."""
        queue = month_end_queue(self.service, self.entries, previous=self.rows)
        self.assignments, self.rows = queue.assignments, queue.rows
        self.show_rows()

    def show_rows(self) -> None:
        queue = self.query_one("#month-end-queue", DataTable)
        row_index = queue.cursor_row
        self._add_columns()
        for row in self.rows:
            queue.add_row(*self._cells(row), key=row.key)
        if self.rows:
            queue.move_cursor(row=min(max(row_index, 0), len(self.rows) - 1), animate=False)
        self._show_detail()
        self.refresh_bindings()

    def _cells(self, row: QueueRow) -> list[Text]:
        return [
            Text(one_line(row.name, self._name_width)),
            Text(numbers.hours(row.minutes, grouping=True), justify="right"),
            Text(numbers.amount(row.amount, grouping=True), justify="right"),
            mapping_cell(self, row),
            state_cell(self, row),
        ]

    def _update_row(self, row: QueueRow) -> None:
        queue = self.query_one("#month-end-queue", DataTable)
        for column, cell in zip(
            ("name", "hours", "amount", "mapping", "state"), self._cells(row), strict=True
        ):
            queue.update_cell(row.key, column, cell)
        self._show_detail()
        self.refresh_bindings()

    @property
    def current(self) -> QueueRow | None:
        index = self.query_one("#month-end-queue", DataTable).cursor_row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def _show_detail(self) -> None:
        detail = Text()
        if self.loaded and not self.rows:
            detail.append(t("month_end.nothing"))
        elif self.rows:
            reviewed = sum(1 for r in self.rows if r.state == "reviewed")
            created = sum(1 for r in self.rows if r.state == "created")
            detail.append(
                t(
                    "month_end.summary",
                    count=len(self.rows),
                    reviewed=reviewed,
                    created=created,
                ),
                style="dim",
            )
            row = self.current
            if row is not None and row.result is not None and row.result.invoice_id:
                url = invoice_url(self.service.settings, row.result.invoice_id)
                number = row.result.invoice_number or "–"
                detail.append(
                    "\n"
                    + t("queue.created_detail", id=row.result.invoice_id, number=number, url=url)
                )
            if row is not None and row.message:
                detail.append("\n" + one_line(row.message, 200), style="bold")
        self.query_one("#month-end-detail", Static).update(detail)

    @on(DataTable.RowHighlighted, "#month-end-queue")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#month-end-queue")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_preview()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_failure(self, event) and event.worker.group == "month-end-create":
            self.busy = False
            self.query_one(ProgressPanel).end()
            self.refresh_bindings()

    def on_deleted_drafts_released(self, message: DeletedDrafts.Released) -> None:
        self.changed = True
        self.load()

    # -- the queue -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.busy and action != "reload":
            return None
        if action == "create_all":
            return True if any(r.state == "reviewed" for r in self.rows) else None
        if action in ("preview", "review"):
            return None if self.current is None else True
        return True

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(self.changed)

    def action_review(self) -> None:
        from timebill.tui.screens.preview import PreviewOutcome

        row = self.current
        if row is None or self.busy or row.kind != "plan" or row.plan is None:
            return
        if row.state == "reviewed":
            row.state, row.reviewed = "open", None
        elif row.state in ("open", "failed"):
            plan = row.plan
            options = row.options or self.service.client_options(plan.client_id)
            row.state, row.reviewed, row.message = (
                "reviewed",
                PreviewOutcome("reviewed", plan, options),
                "",
            )
        self._update_row(row)
        queue = self.query_one("#month-end-queue", DataTable)
        queue.move_cursor(row=min(queue.cursor_row + 1, len(self.rows) - 1), animate=False)

    def action_preview(self) -> None:
        index = self.query_one("#month-end-queue", DataTable).cursor_row
        if not self.busy and 0 <= index < len(self.rows):
            self.walk(index)

    def _entries_of(self, row: QueueRow) -> list[TimeEntry]:
        return [e for e in self.entries if e.customer_id in row.customer_ids]

    @work(exclusive=True, group="month-end-walk", exit_on_error=False)
    async def walk(self, index: int | None) -> None:
        """Preview, confirm, next: one customer after another until the user stops."""
        from timebill.tui.screens.assign import AssignScreen
        from timebill.tui.screens.done import DoneScreen
        from timebill.tui.screens.preview import PreviewScreen

        service = self.service
        while index is not None:
            row = self.rows[index]
            self.query_one("#month-end-queue", DataTable).move_cursor(row=index, animate=False)
            if row.kind == "unassigned":
                entries = self._entries_of(row)
                resolution = await self.app.push_screen_wait(
                    AssignScreen(service, customers_of(entries), services_of(entries), always=True)
                )
                if resolution is not None:
                    self.build()
                return
            if row.kind != "plan" or row.state == "created" or row.client_id is None:
                return
            billable = [r for r in self.rows if r.kind == "plan"]
            number = next(i for i, r in enumerate(billable, start=1) if r is row)
            outcome = await self.app.push_screen_wait(
                PreviewScreen(
                    service,
                    self._entries_of(row),
                    self.assignments,
                    client_id=row.client_id,
                    customer_ids=row.customer_ids,
                    queue=True,
                    reviewed=row.reviewed,  # type: ignore[arg-type]
                    position=f"{number}/{len(billable)}",
                )
            )
            if outcome is None:
                return
            if outcome.kind == "reviewed":
                row.state, row.reviewed, row.message = "reviewed", outcome, ""
                self._update_row(row)
                index = next_open(self.rows, index)
                continue
            if outcome.kind == "failed" or outcome.result is None:
                row.state = "failed"
                self._update_row(row)
                return
            self.changed = True
            row.state, row.result, row.reviewed, row.plan = (
                "created",
                outcome.result,
                outcome,
                outcome.plan,
            )
            self._update_row(row)
            following = next_open(self.rows, index)
            choice = await self.app.push_screen_wait(
                DoneScreen(
                    outcome.result,
                    outcome.plan,
                    url=invoice_url(service.settings, outcome.result.invoice_id),
                    tracker=service.tracker,
                    into_draft=outcome.into_draft,
                    next_name=self.rows[following].name if following is not None else None,
                    back_to_list=True,
                    draft_total=outcome.draft_total,
                )
            )
            if choice != "next":
                return
            index = following

    def work_at_risk(self) -> str | None:
        if self.busy:
            return t("month_end.lost.creating")
        reviewed = sum(1 for r in self.rows if r.state == "reviewed")
        return t("month_end.lost.reviewed", count=reviewed) if reviewed else None

    def action_create_all(self) -> None:
        todo = [r for r in self.rows if r.state == "reviewed"]
        if not todo:
            self.notify(t("month_end.nothing_reviewed"), severity="warning", markup=False)
            return
        if self.busy:
            return
        # Ask first: each draft locks its entries in the tracker.
        plans = [r.plan for r in todo if r.plan is not None]
        net = sum((p.total_net for p in plans), Decimal(0))
        gross = sum((p.total_gross for p in plans), Decimal(0))
        currencies = sorted({p.currency for p in plans})
        lines: list[Text | str] = [
            Text(
                t(
                    "month_end.confirm.drafts",
                    count=len(todo),
                    names=", ".join(one_line(r.name, 24) for r in todo[:4])
                    + (" …" if len(todo) > 4 else ""),
                ),
                style="bold",
            ),
            t(
                "month_end.confirm.entries",
                count=numbers.count(sum(len(r.entry_ids) for r in todo)),
                hours=numbers.hours(sum(r.minutes for r in todo), grouping=True),
            ),
            t(
                "month_end.confirm.money",
                net=numbers.amount(net, grouping=True),
                gross=numbers.amount(gross, grouping=True),
                currency="/".join(currencies),
            ),
        ]

        def answered(yes: bool | None) -> None:
            if yes and not self.busy:
                self.busy = True
                self.refresh_bindings()
                self.query_one(ProgressPanel).begin("", None)
                self.create_all(todo)

        self.app.push_screen(
            ConfirmScreen(t("month_end.confirm.title"), lines, t("month_end.confirm.yes")),
            answered,
        )

    def on_month_end_screen_progress(self, message: MonthEndScreen.Progress) -> None:
        self.query_one(ProgressPanel).update(message.text, message.done, message.total)

    def _report(self, where: QueueProgress) -> None:
        self.post_message(self.Progress(progress_text(where), where.done, where.total))

    def _created(self, row: QueueRow, outcome: Created) -> None:
        if not outcome.created:
            row.message = notice(outcome)[1]
        self.changed = self.changed or outcome.recorded
        self._update_row(row)

    # Never exclusive: cancelling a POST half-way leaves its outcome unknown.
    @work(group="month-end-create", exit_on_error=False)
    async def create_all(self, todo: list[QueueRow]) -> None:
        created = 0
        swept: list[SweepAction] = []
        failure: TimebillError | None = None
        try:
            async with self.service.connect() as (source, billomat):
                try:
                    outcomes = await create_rows(
                        self.service,
                        todo,
                        source=source,
                        billomat=billomat,
                        report=self._report,
                        updated=self._created,
                        entries=self.entries,
                    )
                    created = sum(1 for outcome in outcomes if outcome.created)
                except TimebillError as exc:
                    failure = exc
                # After the run, failed half-way or not: a copy that landed meanwhile goes too.
                swept = await self.service.sweep(billomat)
        except TimebillError as exc:
            failure = failure or exc
        finally:
            self.busy = False
            self.query_one(ProgressPanel).end()
            self.refresh_bindings()
        if failure is not None:
            self._failed(t("month_end.load_failed"), failure)
        notify_swept(self.app, swept)
        failed = any(r.state == "failed" for r in todo)
        self.notify(
            t("month_end.created_all", created=created, count=len(todo))
            + ("\n" + t("month_end.some_failed") if failed else ""),
            severity="warning" if failed else "information",
            timeout=10,
            markup=False,
        )
