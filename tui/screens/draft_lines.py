"""The lines of one draft timebill made, and `x`: take an entry off the draft and release it.

Only an entry with a line of its own can be taken off, and only while the invoice is a draft
(the rule and its reasons: timebill.core.billing.history). It asks first, naming the line, the
amount and what happens in Billomat and the tracker."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker
from timebill.core.billing.history import can_take_off, take_off
from timebill.core.billing.journal import PlanRecord
from timebill.core.connect import open_billomat, open_journal, open_source
from timebill.core.errors import TimebillError
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.history import show_link, state_text
from timebill.tui.widgets import numbers
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.worker_errors import notify_failure

STRINGS = {
    "lines.title": {
        "en": "Draft {number} · {client} · ",
        "de": "Entwurf {number} · {client} · ",
    },
    "lines.col.line": {"en": "Line", "de": "Position"},
    "lines.col.quantity": {"en": "Quantity", "de": "Menge"},
    "lines.col.net": {"en": "Net", "de": "Netto"},
    "lines.col.entries": {"en": "Entries", "de": "Einträge"},
    "lines.col.state": {"en": "State", "de": "Status"},
    "lines.taken_off": {"en": "taken off", "de": "entfernt"},
    "lines.not_released": {"en": "release…", "de": "freigeben…"},
    "lines.own_line": {
        "en": "x takes this entry off the draft and releases it in {tracker}.",
        "de": "x nimmt diesen Eintrag aus dem Entwurf und gibt ihn in {tracker} frei.",
    },
    "lines.shared_line": {
        "en": "Bills {n} entries together: not taken apart (delete the draft, then sync).",
        "de": "Rechnet {n} Einträge zusammen ab: nicht trennbar (Entwurf löschen, dann sync).",
    },
    "lines.was_taken_off": {
        "en": "Taken off this draft; the entry is open again in {tracker}.",
        "de": "Aus diesem Entwurf genommen; der Eintrag ist in {tracker} wieder offen.",
    },
    "lines.not_draft": {
        "en": "No longer a draft: lines can only be taken off drafts.",
        "de": "Kein Entwurf mehr: nur aus Entwürfen lassen sich Positionen nehmen.",
    },
    "lines.confirm.title": {
        "en": "Take the entry off draft {number}?",
        "de": "Eintrag aus Entwurf {number} nehmen?",
    },
    "lines.confirm.line": {
        "en": "{quantity} {unit} · net {net}",
        "de": "{quantity} {unit} · netto {net}",
    },
    "lines.confirm.what": {
        "en": "The line is deleted from the draft in Billomat; the entry is open again in {tracker}.",
        "de": "Die Position wird im Billomat-Entwurf gelöscht; der Eintrag ist in {tracker} wieder offen.",
    },
    "lines.confirm.yes": {"en": "take off", "de": "herausnehmen"},
    "lines.done": {
        "en": "Taken off draft {number} and released: {title}",
        "de": "Aus Entwurf {number} genommen und freigegeben: {title}",
    },
    "lines.failed": {"en": "Not taken off", "de": "Nicht herausgenommen"},
    "key.lines.take_off": {"en": "Take off", "de": "Herausnehmen"},
    "key.lines.open": {"en": "Open in browser", "de": "Im Browser öffnen"},
    "key.lines.back": {"en": "Back", "de": "Zurück"},
    "help.section.DraftLinesScreen": {"en": "Draft lines", "de": "Entwurfspositionen"},
}
register(STRINGS)


class DraftLinesScreen(Screen[bool]):
    """Dismisses with True when an entry was taken off (the entries changed)."""

    DEFAULT_CSS = """
    DraftLinesScreen { layout: vertical; }
    DraftLinesScreen #lines-title { height: 1; padding: 0 1; text-style: bold; background: $panel; }
    DraftLinesScreen #lines-table { height: 1fr; }
    DraftLinesScreen #lines-detail { height: 2; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    AUTO_FOCUS = "#lines-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "take_off", "key.lines.take_off", id="lines.take_off"),
        Binding("o", "open", "key.lines.open", id="lines.open"),
        Binding("escape", "back", "key.lines.back", id="lines.back"),
    ]

    def __init__(self, settings: Any, record: PlanRecord, status: str | None) -> None:
        super().__init__()
        localize_bindings(self)
        self.settings = settings
        self.record = record
        self.status = status
        self.taken: dict[str, bool] = {}
        self.busy = False
        self.changed = False

    @property
    def tracker(self) -> str:
        return self.record.plan.source

    @property
    def number(self) -> str:
        return self.record.invoice_number or self.record.invoice_id or ""

    def compose(self) -> ComposeResult:
        yield Static(id="lines-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="lines-table")
        yield Static(id="lines-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#lines-table", DataTable)
        table.add_column(t("lines.col.line"), width=30, key="line")
        table.add_column(Text(t("lines.col.quantity"), justify="right"), width=9, key="qty")
        table.add_column(Text(t("lines.col.net"), justify="right"), width=10, key="net")
        table.add_column(Text(t("lines.col.entries"), justify="right"), width=8, key="entries")
        table.add_column(t("lines.col.state"), width=10, key="state")
        title = Text(
            t(
                "lines.title",
                number=self.number,
                client=one_line(self.record.plan.client_name or self.record.client_id, 30),
            )
        )
        title.append_text(state_text(self, self.status))
        self.query_one("#lines-title", Static).update(title)
        self._read_taken()

    def _read_taken(self) -> None:
        with open_journal(self.settings) as journal:
            self.taken = journal.taken_off(self.record.id)
        self.show()

    def show(self) -> None:
        table = self.query_one("#lines-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for index, line in enumerate(self.record.plan.lines):
            state = Text("")
            if len(line.entry_ids) == 1 and line.entry_ids[0] in self.taken:
                released = self.taken[line.entry_ids[0]]
                state = Text(
                    t("lines.taken_off" if released else "lines.not_released"), style="dim"
                )
            table.add_row(
                Text(one_line(line.title, 30)),
                Text(numbers.amount(line.quantity), justify="right"),
                Text(numbers.amount(line.total_net, grouping=True), justify="right"),
                Text(numbers.count(len(line.entry_ids)), justify="right"),
                state,
                key=str(index),
            )
        if self.record.plan.lines:
            table.move_cursor(row=min(max(cursor, 0), len(self.record.plan.lines) - 1))
        self._detail()
        self.refresh_bindings()

    @property
    def current(self) -> Any:
        index = self.query_one("#lines-table", DataTable).cursor_row
        lines = self.record.plan.lines
        return lines[index] if 0 <= index < len(lines) else None

    def _detail(self) -> None:
        line = self.current
        detail = Text(no_wrap=True, overflow="ellipsis")
        if line is not None:
            detail.append(one_line(line.description or line.title, 200) + "\n", style="dim")
            if len(line.entry_ids) == 1 and self.taken.get(line.entry_ids[0]):
                detail.append(t("lines.was_taken_off", tracker=self.tracker))
            elif self.status not in (None, "DRAFT"):
                detail.append(t("lines.not_draft"))
            elif can_take_off(line):
                detail.append(t("lines.own_line", tracker=self.tracker))
            else:
                detail.append(t("lines.shared_line", n=len(line.entry_ids)))
        self.query_one("#lines-detail", Static).update(detail)

    @on(DataTable.RowHighlighted, "#lines-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take_off":
            line = self.current
            if self.busy or line is None or not can_take_off(line):
                return None
            if self.status not in (None, "DRAFT"):
                return None
            return None if self.taken.get(line.entry_ids[0]) else True
        return True

    def action_take_off(self) -> None:
        line = self.current
        if line is None or self.busy or not can_take_off(line):
            return
        lines: list[Text | str] = [
            Text(one_line(line.title, 60), style="bold"),
            t(
                "lines.confirm.line",
                quantity=numbers.amount(line.quantity),
                unit=line.unit,
                net=numbers.amount(line.total_net, grouping=True),
            ),
            t("lines.confirm.what", tracker=self.tracker),
        ]

        def answered(yes: bool | None) -> None:
            if yes and not self.busy:
                self.busy = True
                self.refresh_bindings()
                self.take(line.entry_ids[0], line.title)

        self.app.push_screen(
            ConfirmScreen(
                t("lines.confirm.title", number=self.number), lines, t("lines.confirm.yes")
            ),
            answered,
        )

    # Never exclusive: cancelling a DELETE half-way leaves its outcome unknown.
    @work(group="take-off", exit_on_error=False)
    async def take(self, entry_id: str, title: str) -> None:
        settings = self.settings
        try:
            async with open_billomat(settings) as billomat, open_source(settings) as source:
                with open_journal(settings) as journal:
                    await take_off(
                        billomat=billomat,
                        source=source,
                        journal=journal,
                        record=journal.plan(self.record.id),
                        entry_id=entry_id,
                    )
        except TimebillError as exc:
            self.notify(
                clean(str(exc)), title=t("lines.failed"), severity="error", timeout=15, markup=False
            )
        else:
            self.changed = True
            self.notify(
                t("lines.done", number=self.number, title=one_line(title, 60)), markup=False
            )
        finally:
            self.busy = False
            self._read_taken()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_failure(self, event):
            self.busy = False
            self.refresh_bindings()

    def action_open(self) -> None:
        if self.record.invoice_id:
            show_link(self.app, self.settings, self.record.invoice_id, self.number)

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(self.changed)

    def work_at_risk(self) -> str | None:
        return t("lines.confirm.yes") + "…" if self.busy else None
