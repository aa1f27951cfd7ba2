"""The terminal app: for now the entries of the configured tracker (the full flow of setup,
assign, preview and create lands with the app issue)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from core.commands.entries import entry_amount, entry_state
from core.connect import open_source
from core.errors import TimebillError
from core.models import TimeEntry
from core.periods import month_range
from core.text import one_line


class TimebillApp(App[None]):
    TITLE = "timebill"
    CSS = """
    #period { height: 1; padding: 0 1; color: $text-muted; }
    #entries { height: 1fr; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("r", "reload", "Reload", id="reload"),
        Binding("[", "previous_month", "Prev month", id="previous_month"),
        Binding("]", "next_month", "Next month", id="next_month"),
    ]

    def __init__(self, settings: Any, *, today: dt.date | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.months_back = 1
        self.today = today or dt.date.today()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="period")
        yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "Date", "Customer", "Project", "Service", "User", "Hours", "Amount", "Note", "State"
        )
        self.action_reload()

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return month_range(self.today, self.months_back)

    def action_reload(self) -> None:
        start, end = self.period
        self.query_one("#period", Static).update(Text(f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"))
        self.load_entries(start, end)

    def action_previous_month(self) -> None:
        self.months_back += 1
        self.action_reload()

    def action_next_month(self) -> None:
        if self.months_back > 0:
            self.months_back -= 1
            self.action_reload()

    @work(exclusive=True, group="entries", exit_on_error=False)
    async def load_entries(self, start: dt.date, end: dt.date) -> None:
        table = self.query_one(DataTable)
        table.loading = True
        try:
            async with open_source(self.settings) as source:
                entries = await source.entries(start, end)
        except TimebillError as exc:
            self.notify(str(exc), title="Loading entries failed", severity="error", timeout=10)
            return
        finally:
            table.loading = False
        if (start, end) != self.period:
            return  # the user moved on to another month meanwhile
        self.show(sorted(entries, key=lambda e: (e.date, e.customer_name or "", e.id)))

    def show(self, entries: list[TimeEntry]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        minutes = 0
        for e in entries:
            amount = entry_amount(e)
            minutes += e.minutes
            table.add_row(
                Text(e.date.strftime("%d.%m.")),
                Text(one_line(e.customer_name or "–", 22)),
                Text(one_line(e.project_name or "–", 18)),
                Text(one_line(e.service_name or "–", 16)),
                Text(one_line(e.user_name or "–", 14)),
                Text(f"{e.hours:.2f}", justify="right"),
                Text("" if amount is None else f"{amount:.2f}", justify="right"),
                Text(one_line(e.note, 40)),
                Text(entry_state(e), style="dim" if e.billed or not e.billable else ""),
                key=e.id,
            )
        start, end = self.period
        self.query_one("#period", Static).update(
            Text(
                f"{start:%d.%m.%Y} – {end:%d.%m.%Y}   {len(entries)} entries, {minutes / 60:.2f} h"
            )
        )


def run_app(settings: Any, config_path: Path | None = None) -> int:
    TimebillApp(settings).run()
    return 0
