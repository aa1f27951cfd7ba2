"""PeriodBar: the billing period as a preset (this month, last month, ...) or custom dates.

One line: a compact preset picker and the two dates. Choosing a preset fills the dates; typing a
date and pressing Enter switches to custom dates, checked first (a wrong date or a period that
runs backwards is marked and explained, nothing is loaded).
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Select
from timebill.core.periods import PRESETS, PeriodError, parse_date
from timebill.tui.i18n import language, register, t

STRINGS = {
    "period.this-month": {"en": "This month", "de": "Dieser Monat"},
    "period.last-month": {"en": "Last month", "de": "Letzter Monat"},
    "period.this-quarter": {"en": "This quarter", "de": "Dieses Quartal"},
    "period.last-quarter": {"en": "Last quarter", "de": "Letztes Quartal"},
    "period.custom": {"en": "Custom dates", "de": "Eigener Zeitraum"},
    "period.to": {"en": "to", "de": "bis"},
    # The bar keeps about 28 columns at 80x24 for its note: a short one there, the whole
    # explanation as a notification.
    "period.bad_date_short": {"en": "{what}: not a date", "de": "{what}: kein Datum"},
    "period.bad_date": {
        "en": "{what}: not a date, use YYYY-MM-DD, DD.MM.YYYY or DD.MM.YY",
        "de": "{what}: kein Datum, bitte JJJJ-MM-TT, TT.MM.JJJJ oder TT.MM.JJ",
    },
    "period.backwards_short": {"en": "Start after end", "de": "Beginn nach Ende"},
    "period.from": {"en": "From", "de": "Von"},
    "period.until": {"en": "To", "de": "Bis"},
    "period.backwards": {
        "en": "The period runs backwards: the start is after the end",
        "de": "Der Zeitraum ist verkehrt: der Beginn liegt nach dem Ende",
    },
}
register(STRINGS)

CUSTOM = "custom"
PRESET_ORDER = ("this-month", "last-month", "this-quarter", "last-quarter")


def format_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y") if language() == "de" else day.isoformat()


class PeriodBar(Horizontal):
    """Posts `PeriodBar.Changed` with a valid period; shows why an invalid one is refused."""

    DEFAULT_CSS = """
    PeriodBar {
        height: 1;
        width: 1fr;
        & > Select { width: 20; }
        & > Input { width: 12; margin: 0 0 0 1; }
        & > Input:focus { background: $boost; color: $foreground; text-style: bold; }
        & > Input.-invalid { color: $error; }
        & > .period-to { width: auto; margin: 0 0 0 1; color: $text-muted; }
        & > #period-error { width: 1fr; margin: 0 0 0 2; color: $error; }
    }
    """

    class Changed(Message):
        def __init__(self, bar: PeriodBar, start: dt.date, end: dt.date, preset: str) -> None:
            super().__init__()
            self.bar = bar
            self.start = start
            self.end = end
            self.preset = preset

        @property
        def control(self) -> PeriodBar:
            return self.bar

    def __init__(self, today: dt.date, preset: str = "last-month", *, id: str | None = None):
        super().__init__(id=id)
        self.today = today
        self.preset = preset if preset in PRESETS else CUSTOM
        self.start, self.end = PRESETS.get(preset, PRESETS["last-month"])(today)

    def compose(self) -> ComposeResult:
        options = [(t(f"period.{name}"), name) for name in (*PRESET_ORDER, CUSTOM)]
        yield Select(
            options, value=self.preset, allow_blank=False, compact=True, id="period-preset"
        )
        yield Input(format_date(self.start), compact=True, id="period-start")
        yield Label(t("period.to"), classes="period-to")
        yield Input(format_date(self.end), compact=True, id="period-end")
        yield Label("", id="period-error")

    def set_period(self, start: dt.date, end: dt.date) -> None:
        """Show custom dates (e.g. given on the command line) without posting Changed."""
        self.start, self.end, self.preset = start, end, CUSTOM
        self._show_dates()
        with self.prevent(Select.Changed):
            self.query_one("#period-preset", Select).value = CUSTOM

    def _show_dates(self) -> None:
        for ident, day in (("#period-start", self.start), ("#period-end", self.end)):
            field = self.query_one(ident, Input)
            field.value = format_date(day)
            field.remove_class("-invalid")
        self.query_one("#period-error", Label).update("")

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        preset = str(event.value)
        if preset == self.preset:
            return
        self.preset = preset
        if preset == CUSTOM:
            self.screen.set_focus(self.query_one("#period-start", Input))
            return
        self.start, self.end = PRESETS[preset](self.today)
        self._show_dates()
        self.post_message(self.Changed(self, self.start, self.end, preset))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        period = self._read_dates()
        if period is None:
            return
        start, end = period
        changed = (start, end) != (self.start, self.end)
        self.start, self.end = start, end
        # The dates as resolved (01.11.26 -> 01.11.2026): what is loaded is what is shown.
        self._show_dates()
        if not changed:
            return
        self.preset = CUSTOM
        with self.prevent(Select.Changed):
            self.query_one("#period-preset", Select).value = CUSTOM
        self.post_message(self.Changed(self, start, end, CUSTOM))

    def _read_dates(self) -> tuple[dt.date, dt.date] | None:
        error = self.query_one("#period-error", Label)
        values: list[dt.date] = []
        for ident, what in (("#period-start", "period.from"), ("#period-end", "period.until")):
            field = self.query_one(ident, Input)
            try:
                values.append(parse_date(field.value))
            except PeriodError:
                field.add_class("-invalid")
                self.screen.set_focus(field)
                error.update(Text(t("period.bad_date_short", what=t(what))))
                self.notify(t("period.bad_date", what=t(what)), severity="error", markup=False)
                return None
            field.remove_class("-invalid")
        start, end = values
        if end < start:
            self.query_one("#period-end", Input).add_class("-invalid")
            error.update(Text(t("period.backwards_short")))
            self.notify(t("period.backwards"), severity="error", markup=False)
            return None
        error.update("")
        return start, end
