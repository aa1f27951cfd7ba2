"""History: the drafts timebill made (from the journal), newest first, with their state read
from Billomat (draft, open, overdue, paid, cancelled, deleted). o opens the highlighted one in
the browser (the address is shown as well, for SSH); Enter lists its lines, where a single
entry can be taken off a draft (tui/screens/draft_lines.py)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState
from timebill.core.billing.history import DELETED, UNKNOWN, DraftRecord, made_drafts, read_states
from timebill.core.billomat.links import invoice_url
from timebill.core.connect import open_billomat, open_journal, tracker_account
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.screens.entries import failure_text
from timebill.tui.widgets import numbers
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.plan_text import date_text
from timebill.tui.widgets.select_table import SelectTable
from timebill.tui.widgets.theme_colors import theme_color

STRINGS = {
    "history.title": {
        "en": "History: drafts timebill made ({count})",
        "de": "Verlauf: von timebill angelegte Entwürfe ({count})",
    },
    "history.col.number": {"en": "Number", "de": "Nummer"},
    "history.col.client": {"en": "Client", "de": "Kunde"},
    "history.col.created": {"en": "Created", "de": "Angelegt"},
    "history.col.entries": {"en": "Entries", "de": "Einträge"},
    "history.col.net": {"en": "Net", "de": "Netto"},
    "history.col.state": {"en": "State", "de": "Status"},
    "history.state.DRAFT": {"en": "draft", "de": "Entwurf"},
    "history.state.OPEN": {"en": "open", "de": "offen"},
    "history.state.OVERDUE": {"en": "overdue", "de": "überfällig"},
    "history.state.PAID": {"en": "paid", "de": "bezahlt"},
    "history.state.CANCELED": {"en": "cancelled", "de": "storniert"},
    "history.state.DELETED": {"en": "deleted", "de": "gelöscht"},
    "history.state.UNKNOWN": {"en": "unknown", "de": "unbekannt"},
    "history.state.loading": {"en": "…", "de": "…"},
    "history.none": {
        "en": "timebill has not created any drafts yet.",
        "de": "timebill hat noch keine Entwürfe angelegt.",
    },
    "history.detail": {
        "en": "Draft {number} · id {id} · {count} entries · net {net} {currency}",
        "de": "Entwurf {number} · ID {id} · {count} Einträge · netto {net} {currency}",
        "en_one": "Draft {number} · id {id} · 1 entry · net {net} {currency}",
        "de_one": "Entwurf {number} · ID {id} · 1 Eintrag · netto {net} {currency}",
    },
    "history.link": {"en": "Draft {number}: {url}", "de": "Entwurf {number}: {url}"},
    "history.load_failed": {
        "en": "Loading the history failed",
        "de": "Der Verlauf konnte nicht geladen werden",
    },
    "key.history.lines": {"en": "Lines", "de": "Positionen"},
    "key.history.open": {"en": "Open in browser", "de": "Im Browser öffnen"},
    "key.history.reload": {"en": "Reload", "de": "Neu laden"},
    "key.history.back": {"en": "Back", "de": "Zurück"},
    "help.section.HistoryScreen": {"en": "History", "de": "Verlauf"},
}
register(STRINGS)

WIDTHS = {"number": 11, "client": 17, "created": 10, "entries": 8, "net": 10, "state": 10}


def state_text(node: Any, status: str | None) -> Text:
    if status is None:
        return Text(t("history.state.loading"), style="dim")
    key = status if f"history.state.{status}" in STRINGS else UNKNOWN
    label = t(f"history.state.{key}")
    if key == "DRAFT":
        return Text(label, style=theme_color(node, "accent", "cyan"))
    if key in (DELETED, "OVERDUE", UNKNOWN):
        return Text(label, style=theme_color(node, "warning", "yellow"))
    if key == "PAID":
        return Text(label, style=theme_color(node, "success", "green"))
    return Text(label)


def show_link(app: App[Any], settings: Any, invoice_id: str, number: str) -> str:
    """Open the invoice in the browser and show its address (which SSH users copy)."""
    url = invoice_url(settings, invoice_id)
    app.notify(t("history.link", number=number or invoice_id, url=url), timeout=20, markup=False)
    try:
        app.open_url(url)
    except Exception:  # no browser (SSH): the address above is the way
        pass
    return url


class HistoryScreen(Screen[None]):
    DEFAULT_CSS = """
    HistoryScreen { layout: vertical; }
    HistoryScreen #history-title { height: 1; padding: 0 1; text-style: bold; background: $panel; }
    HistoryScreen #history-table { height: 1fr; }
    HistoryScreen #history-detail { height: 2; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    AUTO_FOCUS = "#history-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open", "key.history.open", id="history.open"),
        Binding("r", "reload", "key.history.reload", id="history.reload"),
        Binding("escape", "back", "key.history.back", id="history.back"),
    ]

    def __init__(self, settings: Any) -> None:
        super().__init__()
        localize_bindings(self)
        self.settings = settings
        self.drafts: list[DraftRecord] = []
        self.states: dict[str, DraftRecord] = {}
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static(id="history-title")
        yield SelectTable("key.history.lines", id="history-table")
        yield Static(id="history-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for key, width in WIDTHS.items():
            label = t(f"history.col.{key}")
            right = key in ("entries", "net")
            table.add_column(Text(label, justify="right") if right else label, width=width, key=key)
        self.reload()

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        self.query_one("#history-table", DataTable).loading = True
        self.load()

    def _read_journal(self) -> list[DraftRecord]:
        with open_journal(self.settings) as journal:
            return made_drafts(journal, tracker_account(self.settings))

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load(self) -> None:
        # SQLite may wait for another timebill's write lock: never on the event loop.
        self.drafts = await asyncio.to_thread(self._read_journal)
        self.states = {}
        self.show()
        self.query_one("#history-table", DataTable).loading = False
        self.refresh_bindings()
        if self.drafts:
            async with open_billomat(self.settings) as billomat:
                read = await read_states(billomat, self.drafts)
            self.states = {d.record.id: d for d in read}
            self.show()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "history" and event.state == WorkerState.ERROR:
            table = self.query_one("#history-table", DataTable)
            table.loading = False
            self.refresh_bindings()
            error = event.worker.error
            assert error is not None
            self.notify(
                failure_text(error),
                title=t("history.load_failed"),
                severity="error",
                timeout=12,
                markup=False,
            )

    # -- drawing -----------------------------------------------------------------------------
    def status_of(self, draft: DraftRecord) -> str | None:
        known = self.states.get(draft.record.id)
        return known.status if known is not None else None

    def show(self) -> None:
        title = t("history.title", count=numbers.count(len(self.drafts)))
        self.query_one("#history-title", Static).update(Text(title))
        table = self.query_one("#history-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for draft in self.drafts:
            plan = draft.record.plan
            table.add_row(
                Text(one_line(draft.number or draft.invoice_id, WIDTHS["number"])),
                Text(one_line(plan.client_name or draft.record.client_id, WIDTHS["client"])),
                Text(date_text(draft.created)),
                Text(numbers.count(len(draft.record.entry_ids)), justify="right"),
                Text(numbers.amount(plan.total_net, grouping=True), justify="right"),
                state_text(self, self.status_of(draft)),
                key=draft.record.id,
            )
        if self.drafts:
            table.move_cursor(row=min(max(cursor, 0), len(self.drafts) - 1), animate=False)
        self._detail()

    @property
    def current(self) -> DraftRecord | None:
        index = self.query_one("#history-table", DataTable).cursor_row
        return self.drafts[index] if 0 <= index < len(self.drafts) else None

    def _detail(self) -> None:
        draft = self.current
        detail = Text(no_wrap=True, overflow="ellipsis")
        if draft is None:
            detail.append(t("history.none"))
        else:
            plan = draft.record.plan
            detail.append(
                t(
                    "history.detail",
                    number=draft.number or "–",
                    id=draft.invoice_id,
                    count=numbers.count(len(draft.record.entry_ids)),
                    net=numbers.amount(plan.total_net, grouping=True),
                    currency=plan.currency,
                )
            )
            detail.append("\n" + invoice_url(self.settings, draft.invoice_id), style="dim")
            known = self.states.get(draft.record.id)
            if known is not None and known.problem:
                detail.append(" · " + clean(known.problem), style="bold")
        self.query_one("#history-detail", Static).update(detail)

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    @on(DataTable.RowSelected, "#history-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        draft = self.current
        if draft is None:
            return
        from timebill.tui.screens.draft_lines import DraftLinesScreen

        def closed(changed: bool | None) -> None:
            if changed:
                self.changed = True
                self.reload()
                reload_entries = getattr(self.app, "reload_entries", None)
                if callable(reload_entries):
                    reload_entries()

        self.app.push_screen(
            DraftLinesScreen(self.settings, draft.record, self.status_of(draft)), closed
        )

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return True if self.current is not None else None
        return True

    def action_open(self) -> None:
        draft = self.current
        if draft is not None:
            show_link(self.app, self.settings, draft.invoice_id, draft.number)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
