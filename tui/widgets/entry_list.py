"""EntryList: the entries table as a line-API widget (ScrollView + render_line, as Toolong does).

It holds the visible rows as a plain Python list and draws only the lines on screen, so 100,000
loaded entries cost what 20 do once they are built. Row data (cleaned text, amounts, states)
comes precomputed from `entry_rows`; the filtering happens outside and arrives via `set_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from timebill.tui.i18n import register, t
from timebill.tui.widgets import numbers
from timebill.tui.widgets.entry_rows import (
    BILLED,
    IN_PROGRESS,
    NOT_BILLABLE,
    OPEN,
    RUNNING,
    EntryRow,
    Selection,
)
from timebill.tui.widgets.localize import localize_bindings

STRINGS = {
    "entry_list.col.date": {"en": "Date", "de": "Datum"},
    "entry_list.col.customer": {"en": "Customer", "de": "Kunde"},
    "entry_list.col.project": {"en": "Project", "de": "Projekt"},
    "entry_list.col.service": {"en": "Service", "de": "Leistung"},
    "entry_list.col.user": {"en": "User", "de": "Person"},
    "entry_list.col.hours": {"en": "Hours", "de": "Std."},
    "entry_list.col.amount": {"en": "Amount", "de": "Betrag"},
    "entry_list.col.note": {"en": "Note", "de": "Notiz"},
    "entry_list.col.state": {"en": "State", "de": "Status"},
    f"entry_list.state.{OPEN}": {"en": "open", "de": "offen"},
    f"entry_list.state.{NOT_BILLABLE}": {"en": "no charge", "de": "nicht abr."},
    f"entry_list.state.{BILLED}": {"en": "billed", "de": "abgerechnet"},
    f"entry_list.state.{IN_PROGRESS}": {"en": "in progress", "de": "in Arbeit"},
    f"entry_list.state.{RUNNING}": {"en": "running", "de": "läuft"},
    "key.entry_list.toggle": {"en": "Select", "de": "Wählen"},
    "key.entry_list.select_all": {"en": "All", "de": "Alle"},
    "key.entry_list.invert": {"en": "Invert", "de": "Umkehren"},
    "key.entry_list.clear": {"en": "Select none", "de": "Keine"},
    "key.entry_list.up": {"en": "Up", "de": "Hoch"},
    "key.entry_list.down": {"en": "Down", "de": "Runter"},
    "key.entry_list.page_up": {"en": "Page up", "de": "Seite hoch"},
    "key.entry_list.page_down": {"en": "Page down", "de": "Seite runter"},
    "key.entry_list.first": {"en": "First entry", "de": "Erster Eintrag"},
    "key.entry_list.last": {"en": "Last entry", "de": "Letzter Eintrag"},
}
register(STRINGS)

Align = Literal["left", "right"]
MARKS = {BILLED: "✓", IN_PROGRESS: "»", RUNNING: "▸"}
SELECTED_MARK = "●"


@dataclass(frozen=True)
class Column:
    key: str
    width: int
    align: Align = "left"


# (key, minimum width, weight): what is left after the fixed columns is shared by weight.
_FLEX = (("customer", 6, 3), ("project", 4, 2), ("service", 4, 2), ("user", 4, 1), ("note", 6, 4))
# Dropped first when the terminal is too narrow for every column's minimum.
_DROP_ORDER = ("user", "project", "service", "note")


def layout_columns(
    width: int, *, date_width: int = 6, hours_width: int = 6, amount_width: int = 9
) -> list[Column]:
    """Column widths for a list `width` cells wide: fixed numbers and state, the rest shared.
    The numbers' widths fit the longest value loaded: a number is never cut."""
    fixed = [
        Column("date", date_width),
        Column("hours", hours_width, "right"),
        Column("amount", amount_width, "right"),
        Column("state", 11),
    ]
    flex = list(_FLEX)
    mark = 2
    while True:
        gaps = len(fixed) + len(flex) - 1
        room = width - mark - gaps - sum(c.width for c in fixed)
        if room >= sum(minimum for _, minimum, _ in flex) or len(flex) == 1:
            break
        drop = next(key for key in _DROP_ORDER if any(f[0] == key for f in flex))
        flex = [f for f in flex if f[0] != drop]
    room = max(room, 0)
    extra = room - sum(minimum for _, minimum, _ in flex)
    total_weight = sum(weight for _, _, weight in flex)
    widths = {key: minimum + extra * weight // total_weight for key, minimum, weight in flex}
    # Cells lost to rounding go to the note.
    leftover = room - sum(widths.values())
    last = "note" if "note" in widths else flex[-1][0]
    widths[last] += max(leftover, 0)
    by_key = {c.key: c for c in fixed} | {key: Column(key, widths[key]) for key in widths}
    order = ("date", "customer", "project", "service", "user", "hours", "amount", "note", "state")
    return [by_key[key] for key in order if key in by_key]


def fit(text: str, width: int, align: Align = "left") -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` cells."""
    if width <= 0:
        return ""
    length = len(text) if text.isascii() else cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    padding = " " * (width - length)
    return padding + text if align == "right" else text + padding


class EntryList(ScrollView, can_focus=True):
    """The loaded entries (after filtering) with a cursor and a selection."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_entry", "key.entry_list.toggle", id="entry_list.toggle"),
        Binding("a", "select_all", "key.entry_list.select_all", id="entry_list.select_all"),
        Binding("i", "invert", "key.entry_list.invert", id="entry_list.invert"),
        Binding("u", "clear", "key.entry_list.clear", id="entry_list.clear", show=False),
        Binding("up,k", "cursor_up", "key.entry_list.up", id="entry_list.up", show=False),
        Binding("down,j", "cursor_down", "key.entry_list.down", id="entry_list.down", show=False),
        Binding("pageup", "page_up", "key.entry_list.page_up", id="entry_list.page_up", show=False),
        Binding(
            "pagedown",
            "page_down",
            "key.entry_list.page_down",
            id="entry_list.page_down",
            show=False,
        ),
        Binding("home,g", "first", "key.entry_list.first", id="entry_list.first", show=False),
        Binding("end,G", "last", "key.entry_list.last", id="entry_list.last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-list--header",
        "entry-list--cursor",
        "entry-list--selected",
        "entry-list--billed",
        "entry-list--in-progress",
        "entry-list--muted",
        "entry-list--empty",
    }

    DEFAULT_CSS = """
    EntryList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .entry-list--header { background: $panel; color: $foreground; text-style: bold; }
        & > .entry-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .entry-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .entry-list--selected { color: $accent; text-style: bold; }
        & > .entry-list--billed { color: $text-muted; text-style: italic; }
        & > .entry-list--in-progress { color: $warning; text-style: italic; }
        & > .entry-list--muted { color: $text-muted; }
        & > .entry-list--empty { color: $text-muted; }
    }
    """

    cursor: reactive[int] = reactive(0, repaint=False, init=False)

    class SelectionChanged(Message):
        """The selection or its totals changed."""

        def __init__(self, entry_list: EntryList, selection: Selection) -> None:
            super().__init__()
            self.entry_list = entry_list
            self.selection = selection

        @property
        def control(self) -> EntryList:
            return self.entry_list

    class Highlighted(Message):
        """The cursor moved to `row` (None when the list is empty)."""

        def __init__(self, entry_list: EntryList, row: EntryRow | None) -> None:
            super().__init__()
            self.entry_list = entry_list
            self.row = row

        @property
        def control(self) -> EntryList:
            return self.entry_list

    def __init__(
        self,
        *,
        selection: Selection | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        localize_bindings(self)
        self.rows: list[EntryRow] = []
        self.selection = selection if selection is not None else Selection()
        self.empty_text = ""
        self.date_width = 6
        self.number_widths = (6, 9)
        self._columns: tuple[int, list[Column]] | None = None

    # -- data --------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[EntryRow], *, keep_cursor: bool = True) -> None:
        """Show `rows` (already filtered and ordered). The cursor stays on the same entry when it
        is still shown, else at the same position."""
        current = self.highlighted if keep_cursor else None
        self.rows = list(rows)
        position = 0
        if current is not None:
            position = self.cursor
            if position >= len(self.rows) or self.rows[position] is not current:
                # A linear look-up only when the filter changed what sits under the cursor.
                position = next(
                    (i for i, r in enumerate(self.rows) if r is current),
                    min(self.cursor, max(len(self.rows) - 1, 0)),
                )
        self.virtual_size = Size(0, len(self.rows) + 1)
        self.set_reactive(EntryList.cursor, position)
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, self.highlighted))

    @property
    def highlighted(self) -> EntryRow | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    # -- cursor ------------------------------------------------------------------------------
    @property
    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self, self.highlighted))

    def _refresh_row(self, index: int) -> None:
        y = index + 1 - round(self.scroll_y)
        if 1 <= y < self.size.height:
            self.refresh_line(index + 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + self._page:
            self.scroll_to(y=self.cursor - self._page + 1, animate=False)

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= self._page

    def action_page_down(self) -> None:
        self.cursor += self._page

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows) - 1

    async def _on_key(self, event: events.Key) -> None:
        # Keys typed faster than the app handles them all queue here while the list has the
        # focus; Textual would only look up their bindings once each key has bubbled up to the
        # app, after this queue has moved on. So the letters of a quickly typed "/review"
        # would reach the list, not the search ("a" selecting all on the way). Instead a key
        # runs its binding here, in order, and once the focus has moved on, the keys still
        # queued go back to the app, which hands them to where the focus is now.
        focused = self.screen.focused
        if focused is not None and focused is not self:
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.enabled and not active.binding.priority:
            event.stop()
            event.prevent_default()
            await self.app.run_action(active.binding.action, active.node)

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index

    # -- selection ---------------------------------------------------------------------------
    def _selection_changed(self) -> None:
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.selection))

    def action_toggle_entry(self) -> None:
        row = self.highlighted
        if row is None:
            return
        if self.selection.toggle(row):
            self._selection_changed()
        else:
            self.app.bell()
        self.cursor += 1

    def action_select_all(self) -> None:
        self.selection.select_all(self.rows)
        self._selection_changed()

    def action_invert(self) -> None:
        self.selection.invert(self.rows)
        self._selection_changed()

    def action_clear(self) -> None:
        self.selection.clear()
        self._selection_changed()

    # -- drawing -----------------------------------------------------------------------------
    def columns(self, width: int) -> list[Column]:
        if self._columns is None or self._columns[0] != width:
            hours, amount = self.number_widths
            columns = layout_columns(
                width, date_width=self.date_width, hours_width=hours, amount_width=amount
            )
            self._columns = (width, columns)
        return self._columns[1]

    def fit_numbers(self, rows: Sequence[EntryRow]) -> None:
        """Widen the hours and amount columns to the longest of `rows` (all loaded, not only
        those shown, so the columns keep still while filtering)."""
        most_minutes = max((row.minutes for row in rows), default=0)
        amounts = [row.amount for row in rows if row.amount is not None]
        widest = (
            max((len(numbers.amount(a)) for a in (max(amounts), min(amounts))), default=0)
            if amounts
            else 0
        )
        self.number_widths = (max(6, len(numbers.hours(most_minutes))), max(9, widest))
        self._columns = None

    def set_date_width(self, width: int) -> None:
        self.date_width = width
        self._columns = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base + self.get_component_rich_style("entry-list--header"))
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            if not self.rows and y == 2 and self.empty_text:
                style = base + self.get_component_rich_style("entry-list--empty")
                return Strip([Segment(fit("  " + self.empty_text, width), style)], width)
            return Strip.blank(width, base)
        return self._row(self.rows[index], index == self.cursor, width, base)

    def _header(self, width: int, style: Style) -> Strip:
        cells = [fit("", 2)]
        for column in self.columns(width):
            cells.append(fit(t(f"entry_list.col.{column.key}"), column.width, column.align))
        text = fit(cells[0] + " ".join(cells[1:]), width)
        return Strip([Segment(text, style)], width)

    def _row(self, row: EntryRow, is_cursor: bool, width: int, base: Style) -> Strip:
        style = base
        selected = row in self.selection
        if row.state == BILLED:
            style += self.get_component_rich_style("entry-list--billed")
        elif row.state == IN_PROGRESS:
            style += self.get_component_rich_style("entry-list--in-progress")
        elif row.state != OPEN:
            style += self.get_component_rich_style("entry-list--muted")
        if selected:
            style += self.get_component_rich_style("entry-list--selected")
        if is_cursor:
            style += self.get_component_rich_style("entry-list--cursor")
        mark = SELECTED_MARK if selected else MARKS.get(row.state, " ")
        cells = []
        for column in self.columns(width):
            cells.append(fit(self._cell(row, column.key), column.width, column.align))
        text = fit(mark + " " + " ".join(cells), width)
        return Strip([Segment(text, style)], width)

    def _cell(self, row: EntryRow, key: str) -> str:
        if key == "date":
            return row.date.strftime("%d.%m." if self.date_width == 6 else "%d.%m.%y")
        if key == "hours":
            return numbers.hours(row.minutes)
        if key == "amount":
            return numbers.amount(row.amount)
        if key == "state":
            return t(f"entry_list.state.{row.state}")
        return str(getattr(row, key))
