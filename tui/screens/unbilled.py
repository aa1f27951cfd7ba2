"""The unbilled overview: per customer the open (billable, not billed) amount of the last months
as a stacked bar (a segment per month), the net amount, the hours and the age of the oldest open
entry, largest amount first. Billing starts here: Enter bills the chosen customers (space
chooses; none chosen: the highlighted one) through assign, preview and create; m opens the
month-end queue for the period shown; t switches between 3 and 6 months.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState
from timebill.core.billing.unbilled import CustomerOpen, Overview, unbilled, window
from timebill.core.models import TimeEntry
from timebill.core.text import one_line
from timebill.tui.i18n import register, t
from timebill.tui.screens.entries import Loader, failure_text
from timebill.tui.widgets import numbers
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.plan_text import date_text
from timebill.tui.widgets.select_table import SelectTable
from timebill.tui.widgets.theme_colors import theme_color
from timebill.tui.widgets.unbilled_bars import bar, legend, month_name

STRINGS = {
    "unbilled.title": {
        "en": "Unbilled {start} – {end} · as of {today}",
        "de": "Nicht abgerechnet {start} – {end} · Stand {today}",
    },
    "unbilled.legend": {"en": "net per month", "de": "netto je Monat"},
    "unbilled.col.customer": {"en": "Customer", "de": "Kunde"},
    "unbilled.col.bar": {"en": "Per month", "de": "Je Monat"},
    "unbilled.col.net": {"en": "Net", "de": "Netto"},
    "unbilled.col.hours": {"en": "Hours", "de": "Std."},
    "unbilled.col.age": {"en": "Oldest", "de": "Älteste"},
    "unbilled.days": {"en": "{n} d", "de": "{n} T"},
    "unbilled.no_customer": {"en": "(no customer)", "de": "(ohne Kunde)"},
    "unbilled.loading": {"en": "Loading open entries…", "de": "Offene Einträge werden geladen…"},
    "unbilled.nothing": {
        "en": "Nothing unbilled in these months.",
        "de": "In diesen Monaten ist nichts offen.",
    },
    "unbilled.total": {
        "en": "{count} customers · {entries} entries · {hours} h · {amount} · oldest {age}",
        "de": "{count} Kunden · {entries} Einträge · {hours} Std. · {amount} · älteste {age}",
    },
    "unbilled.chosen": {"en": " · {n} chosen", "de": " · {n} ausgewählt"},
    "unbilled.detail": {
        "en": "{entries} open entries since {oldest}",
        "de": "{entries} offene Einträge seit {oldest}",
    },
    "unbilled.unpriced": {
        "en": " · {n} without a rate (hours only)",
        "de": " · {n} ohne Satz (nur Stunden)",
    },
    "unbilled.load_failed": {
        "en": "Loading the unbilled overview failed",
        "de": "Die Übersicht konnte nicht geladen werden",
    },
    "unbilled.cannot_bill": {
        "en": "Entries without a customer cannot be invoiced: give them a customer in the tracker.",
        "de": "Einträge ohne Kunde lassen sich nicht abrechnen: in der Zeiterfassung zuordnen.",
    },
    "key.unbilled.bill": {"en": "Invoice", "de": "Rechnung"},
    "key.unbilled.choose": {"en": "Choose", "de": "Auswählen"},
    "key.unbilled.month_end": {"en": "Month-end", "de": "Monatsende"},
    "key.unbilled.months": {"en": "Months", "de": "Monate"},
    "key.unbilled.reload": {"en": "Reload", "de": "Neu laden"},
    "key.unbilled.back": {"en": "Back", "de": "Zurück"},
    "help.section.UnbilledScreen": {"en": "Unbilled overview", "de": "Offene Übersicht"},
}
register(STRINGS)

MONTH_CHOICES = (3, 6)
DETAIL_WIDTH = 76
NET_WIDTH, HOURS_WIDTH, AGE_WIDTH = 10, 7, 7
# Five columns with a cell of padding either side, and room for the vertical scrollbar.
CHROME = 5 * 2 + 2


def column_widths(screen_width: int) -> tuple[int, int]:
    """(customer, bar) for a terminal `screen_width` wide: at 80 columns 22 and 22; narrower
    terminals shorten the names first, wider ones lengthen the bars."""
    name = 22 if screen_width >= 80 else 14
    fixed = name + NET_WIDTH + HOURS_WIDTH + AGE_WIDTH + CHROME
    return name, max(6, min(48, screen_width - fixed))


class UnbilledScreen(Screen[None]):
    DEFAULT_CSS = """
    UnbilledScreen { layout: vertical; }
    UnbilledScreen #unbilled-title { height: auto; max-height: 2; padding: 0 1; text-style: bold; background: $panel; }
    UnbilledScreen #unbilled-legend { height: 1; padding: 0 1; }
    UnbilledScreen #unbilled-table { height: 1fr; }
    UnbilledScreen #unbilled-total { height: auto; max-height: 2; padding: 0 1; background: $panel; color: $accent; }
    UnbilledScreen #unbilled-detail {
        height: 2; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    AUTO_FOCUS = "#unbilled-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "choose", "key.unbilled.choose", id="unbilled.choose"),
        Binding("m", "month_end", "key.unbilled.month_end", id="unbilled.month_end"),
        Binding("t", "months", "key.unbilled.months", id="unbilled.months"),
        Binding("r", "reload", "key.unbilled.reload", id="unbilled.reload", show=False),
        Binding("escape", "back", "key.unbilled.back", id="unbilled.back"),
    ]

    def __init__(self, loader: Loader, *, today: dt.date, months: int = 3) -> None:
        super().__init__()
        localize_bindings(self)
        self.loader = loader
        self.today = today
        self.months = months
        self.entries: list[TimeEntry] = []
        self.overview: Overview | None = None
        self.chosen: set[str] = set()
        self.name_width, self.bar_width = column_widths(80)

    def compose(self) -> ComposeResult:
        yield Static(id="unbilled-title")
        yield Static(id="unbilled-legend")
        yield SelectTable("key.unbilled.bill", id="unbilled-table")
        yield Static(id="unbilled-total")
        yield Static(id="unbilled-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#unbilled-table", DataTable)
        self.name_width, self.bar_width = column_widths(self.app.size.width)
        table.add_column(t("unbilled.col.customer"), width=self.name_width, key="name")
        table.add_column(t("unbilled.col.bar"), width=self.bar_width, key="bar")
        table.add_column(Text(t("unbilled.col.net"), justify="right"), width=NET_WIDTH, key="net")
        table.add_column(
            Text(t("unbilled.col.hours"), justify="right"), width=HOURS_WIDTH, key="hours"
        )
        table.add_column(Text(t("unbilled.col.age"), justify="right"), width=AGE_WIDTH, key="age")
        self.reload()

    # -- loading -----------------------------------------------------------------------------
    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return window(self.today, self.months)

    def reload(self) -> None:
        start, end = self.period
        self._title(start, end)
        self.query_one("#unbilled-detail", Static).update(Text(t("unbilled.loading")))
        self.query_one("#unbilled-table", DataTable).loading = True
        self.load(self.months)

    def _title(self, start: dt.date, end: dt.date) -> None:
        title = t(
            "unbilled.title",
            start=f"{month_name(start)} {start.year}",
            end=f"{month_name(end)} {end.year}",
            today=date_text(self.today),
        )
        if self.chosen:
            title += t("unbilled.chosen", n=len(self.chosen))
        self.query_one("#unbilled-title", Static).update(Text(title))

    @work(exclusive=True, group="unbilled", exit_on_error=False)
    async def load(self, months: int) -> tuple[int, list[TimeEntry], Overview]:
        start, end = window(self.today, months)
        entries, held = await self.loader(start, end)
        overview = await asyncio.to_thread(unbilled, entries, self.today, months, held=held)
        return months, entries, overview

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "unbilled":
            return
        table = self.query_one("#unbilled-table", DataTable)
        if event.state == WorkerState.SUCCESS:
            months, entries, overview = event.worker.result  # type: ignore[misc]
            if months != self.months:
                return
            table.loading = False
            self.entries, self.overview = entries, overview
            known = {c.customer_id for c in overview.customers}
            self.chosen &= known
            self.show()
            # The Footer lists the table's Enter again once the loading cover is gone.
            self.refresh_bindings()
        elif event.state == WorkerState.ERROR:
            table.loading = False
            self.refresh_bindings()
            error = event.worker.error
            assert error is not None
            self.query_one("#unbilled-detail", Static).update(Text(one_line(str(error), 200)))
            self.notify(
                failure_text(error),
                title=t("unbilled.load_failed"),
                severity="error",
                timeout=12,
                markup=False,
            )

    # -- drawing -----------------------------------------------------------------------------
    def _styles(self, overview: Overview) -> list[str]:
        accent = theme_color(self, "accent", "cyan")
        warning = theme_color(self, "warning", "yellow")
        # Months before last month have waited longest: drawn in the warning colour.
        recent = overview.months[-2:]
        return [accent if m in recent else warning for m in overview.months]

    def show(self) -> None:
        overview = self.overview
        if overview is None:
            return
        styles = self._styles(overview)
        self.query_one("#unbilled-legend", Static).update(
            legend(overview.months, styles).append(f"  ({t('unbilled.legend')})", style="dim")
        )
        table = self.query_one("#unbilled-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        scale = max((c.amount for c in overview.customers), default=Decimal(0))
        for row in overview.customers:
            table.add_row(*self._cells(row, scale, styles), key=row.customer_id)
        if overview.customers:
            table.move_cursor(row=min(max(cursor, 0), len(overview.customers) - 1), animate=False)
        self._total()
        self._detail()

    def _cells(self, row: CustomerOpen, scale: Decimal, styles: list[str]) -> list[Text]:
        assert self.overview is not None
        mark = "✓ " if row.customer_id in self.chosen else "  "
        name = row.name or t("unbilled.no_customer")
        return [
            Text(mark + one_line(name, self.name_width - 2), style="bold" if mark.strip() else ""),
            bar(row, self.overview.months, scale, self.bar_width, styles),
            Text(numbers.amount(row.amount, grouping=True), justify="right"),
            Text(numbers.hours(row.minutes), justify="right"),
            Text(t("unbilled.days", n=row.age_days(self.today)), justify="right"),
        ]

    def _total(self) -> None:
        overview = self.overview
        assert overview is not None
        if not overview.customers:
            text = t("unbilled.nothing")
        else:
            oldest = overview.oldest
            text = t(
                "unbilled.total",
                count=numbers.count(len(overview.customers)),
                entries=numbers.count(overview.entries),
                hours=numbers.hours(overview.minutes, grouping=True),
                amount=numbers.amount(overview.amount, grouping=True),
                age=t("unbilled.days", n=(self.today - oldest).days if oldest else 0),
            )
        # Wraps at word boundaries where the terminal is narrower than the line.
        self.query_one("#unbilled-total", Static).update(Text(text))
        self._title(*self.period)

    @property
    def current(self) -> CustomerOpen | None:
        if self.overview is None:
            return None
        index = self.query_one("#unbilled-table", DataTable).cursor_row
        rows = self.overview.customers
        return rows[index] if 0 <= index < len(rows) else None

    def _detail(self) -> None:
        row = self.current
        detail = Text(no_wrap=True, overflow="ellipsis")
        if row is not None and self.overview is not None:
            parts = [
                f"{month_name(m)} {numbers.amount(row.by_month[m], grouping=True)}"
                for m in self.overview.months
                if m in row.by_month
            ]
            # The newest months that fit one line: the bar above shows them all.
            while len(" · ".join(parts)) > DETAIL_WIDTH and len(parts) > 1:
                parts = ["…", *parts[2:]] if parts[0] == "…" else ["…", *parts[1:]]
            detail.append(" · ".join(parts) + "\n", style="bold")
            oldest = date_text(row.oldest) if row.oldest else "–"
            detail.append(t("unbilled.detail", entries=numbers.count(row.entries), oldest=oldest))
            if row.unpriced:
                detail.append(t("unbilled.unpriced", n=row.unpriced))
        self.query_one("#unbilled-detail", Static).update(detail)

    @on(DataTable.RowHighlighted, "#unbilled-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    @on(DataTable.RowSelected, "#unbilled-table")
    async def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        await self.action_bill()

    # -- actions -----------------------------------------------------------------------------
    def action_choose(self) -> None:
        row = self.current
        if row is None or not row.customer_id:
            return
        self.chosen ^= {row.customer_id}
        table = self.query_one("#unbilled-table", DataTable)
        table.update_cell(row.customer_id, "name", self._cells(row, Decimal(1), [""])[0])
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1), animate=False)
        self._total()

    def chosen_entries(self) -> list[TimeEntry]:
        """The open entries of the chosen customers (none chosen: the highlighted one)."""
        overview = self.overview
        row = self.current
        if overview is None:
            return []
        ids = self.chosen or ({row.customer_id} if row is not None else set())
        wanted = {e for c in overview.customers if c.customer_id in ids for e in c.entry_ids}
        return [e for e in self.entries if e.id in wanted and e.customer_id]

    async def action_bill(self) -> None:
        row = self.current
        if row is not None and not self.chosen and not row.customer_id:
            self.notify(t("unbilled.cannot_bill"), severity="warning", markup=False)
            return
        entries = self.chosen_entries()
        if entries:
            await cast(Any, self.app).bill_selection(entries)

    async def action_month_end(self) -> None:
        await cast(Any, self.app).month_end(*self.period)

    def action_months(self) -> None:
        index = MONTH_CHOICES.index(self.months) if self.months in MONTH_CHOICES else -1
        self.months = MONTH_CHOICES[(index + 1) % len(MONTH_CHOICES)]
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)

    def on_billing_done(self, message: Message) -> None:
        # timebill.tui.flow's BillingDone (matched by name): entries were billed or released.
        message.stop()
        self.reload()
        reload_entries = getattr(self.app, "reload_entries", None)
        if callable(reload_entries):
            reload_entries()
