"""PlanTable: an invoice plan's lines (title, quantity, unit, price, VAT, line total), sized to
the terminal's width."""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.events import Resize
from timebill.core.models import InvoiceLine, InvoicePlan
from timebill.core.text import one_line
from timebill.tui.i18n import register, t
from timebill.tui.widgets import numbers
from timebill.tui.widgets.plan_text import percent
from timebill.tui.widgets.select_table import SelectTable

STRINGS = {
    "plan.col.number": {"en": "#", "de": "#"},
    "plan.col.title": {"en": "Line", "de": "Position"},
    "plan.col.quantity": {"en": "Qty", "de": "Menge"},
    "plan.col.unit": {"en": "Unit", "de": "Einh."},
    "plan.col.price": {"en": "Price", "de": "Preis"},
    "plan.col.vat": {"en": "VAT", "de": "USt"},
    "plan.col.total": {"en": "Total", "de": "Gesamt"},
    "key.plan_table.edit": {"en": "Edit", "de": "Ändern"},
}
register(STRINGS)

# The narrowest each column may be; numbers widen to their longest value and are never cut.
_WIDTHS = {"number": 2, "quantity": 6, "unit": 6, "price": 8, "vat": 5, "total": 10}
_MIN_TITLE = 12
# What gives way, in this order, when the numbers and a short title do not fit the width.
_DROP_ORDER = ("number", "vat", "unit")
_NUMERIC = ("quantity", "price", "total")
COLUMN_ORDER = ("number", "title", "quantity", "unit", "price", "vat", "total")


def column_widths(
    width: int, cells: list[dict[str, str]], headers: dict[str, str]
) -> dict[str, int]:
    """Widths for a table `width` cells wide: every number whole, the title what is left (at
    least _MIN_TITLE, or 8 once optional columns are gone), optional columns dropped first."""
    widths = dict(_WIDTHS)
    for key in widths:
        longest = max((len(row[key]) for row in cells), default=0)
        widths[key] = max(widths[key], longest, len(headers.get(key, "")))
    shown = list(widths)

    def title_room() -> int:
        # Each column has a cell padding of 1 on both sides; 2 more for the scrollbar.
        return width - sum(widths[k] for k in shown) - 2 * (len(shown) + 1) - 2

    for drop in _DROP_ORDER:
        if title_room() >= _MIN_TITLE:
            break
        shown.remove(drop)
    result = {key: widths[key] for key in shown}
    result["title"] = max(title_room(), 8)
    return result


class PlanTable(SelectTable):
    """The lines of one plan; the row key is the line's index."""

    DEFAULT_CSS = """
    PlanTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("key.plan_table.edit", id=id, classes=classes)
        self.plan: InvoicePlan | None = None
        self._widths: dict[str, int] = {}

    def show_plan(self, plan: InvoicePlan | None) -> None:
        """Show `plan`'s lines, keeping the cursor on the same line number where it exists."""
        self.plan = plan
        row = self.cursor_row
        self._rebuild()
        if plan is not None and plan.lines:
            self.move_cursor(row=min(max(row, 0), len(plan.lines) - 1), animate=False)

    def _texts(self, index: int, line: InvoiceLine) -> dict[str, str]:
        return {
            "number": str(index + 1),
            "title": line.title,
            "quantity": numbers.amount(line.quantity, grouping=True, exact=True),
            "unit": line.unit,
            "price": numbers.amount(line.unit_price, grouping=True),
            "vat": percent(line.tax_rate),
            "total": numbers.amount(line.total_net, grouping=True),
        }

    def _columns(self) -> list[str]:
        """The columns shown, in their order on screen (cells follow the same order)."""
        return [key for key in COLUMN_ORDER if key in self._widths]

    def _layout(self, width: int) -> dict[str, int]:
        lines = self.plan.lines if self.plan is not None else ()
        cells = [self._texts(i, line) for i, line in enumerate(lines)]
        headers = {key: t(f"plan.col.{key}") for key in _WIDTHS}
        return column_widths(width, cells, headers)

    def _rebuild(self) -> None:
        self._widths = self._layout(self.size.width or 80)
        self.clear(columns=True)
        for key in self._columns():
            justify: Literal["left", "right"] = "left" if key in ("title", "unit") else "right"
            self.add_column(
                Text(t(f"plan.col.{key}"), justify=justify), width=self._widths[key], key=key
            )
        if self.plan is None:
            return
        for index, line in enumerate(self.plan.lines):
            texts = self._texts(index, line)
            row = []
            for key in self._columns():
                if key == "title":
                    row.append(Text(one_line(texts[key], self._widths[key])))
                elif key == "unit":
                    row.append(Text(one_line(texts[key], self._widths[key])))
                else:
                    style = "dim" if key == "number" else ""
                    row.append(Text(texts[key], justify="right", style=style))
            self.add_row(*row, key=str(index))

    def on_resize(self, event: Resize) -> None:
        if self._layout(event.size.width) != self._widths:
            self.show_plan(self.plan)

    @property
    def line_index(self) -> int | None:
        if self.plan is None or not self.plan.lines or self.row_count == 0:
            return None
        return min(max(self.cursor_row, 0), len(self.plan.lines) - 1)
