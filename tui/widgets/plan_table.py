"""PlanTable: an invoice plan's lines (title, quantity, unit, price, VAT, line total), sized to
the terminal's width."""

from __future__ import annotations

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

# Fixed columns: number, quantity, unit, price, VAT, total; the title takes what is left.
_WIDTHS = {"number": 2, "quantity": 6, "unit": 6, "price": 8, "vat": 5, "total": 10}
_MIN_TITLE = 12


class PlanTable(SelectTable):
    """The lines of one plan; the row key is the line's index."""

    DEFAULT_CSS = """
    PlanTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("key.plan_table.edit", id=id, classes=classes)
        self.plan: InvoicePlan | None = None
        self._title_width = 0

    def show_plan(self, plan: InvoicePlan | None) -> None:
        """Show `plan`'s lines, keeping the cursor on the same line number where it exists."""
        self.plan = plan
        row = self.cursor_row
        self._rebuild()
        if plan is not None and plan.lines:
            self.move_cursor(row=min(max(row, 0), len(plan.lines) - 1), animate=False)

    def _title_width_for(self, width: int) -> int:
        # Each column has a cell padding of 1 on both sides; 2 more for the scrollbar.
        fixed = sum(_WIDTHS.values()) + 2 * (len(_WIDTHS) + 1) + 2
        return max(_MIN_TITLE, width - fixed)

    def _rebuild(self) -> None:
        self._title_width = self._title_width_for(self.size.width or 80)
        self.clear(columns=True)
        self.add_column(t("plan.col.number"), width=_WIDTHS["number"], key="number")
        self.add_column(t("plan.col.title"), width=self._title_width, key="title")
        for key in ("quantity", "unit", "price", "vat", "total"):
            self.add_column(
                Text(t(f"plan.col.{key}"), justify="left" if key == "unit" else "right"),
                width=_WIDTHS[key],
                key=key,
            )
        if self.plan is None:
            return
        for index, line in enumerate(self.plan.lines):
            self.add_row(*self._cells(index, line), key=str(index))

    def _cells(self, index: int, line: InvoiceLine) -> list[Text]:
        return [
            Text(str(index + 1), justify="right", style="dim"),
            Text(one_line(line.title, self._title_width)),
            Text(numbers.amount(line.quantity), justify="right"),
            Text(one_line(line.unit, _WIDTHS["unit"])),
            Text(numbers.amount(line.unit_price, grouping=True), justify="right"),
            Text(percent(line.tax_rate), justify="right"),
            Text(numbers.amount(line.total_net, grouping=True), justify="right"),
        ]

    def on_resize(self, event: Resize) -> None:
        if self._title_width_for(event.size.width) != self._title_width:
            self.show_plan(self.plan)

    @property
    def line_index(self) -> int | None:
        if self.plan is None or not self.plan.lines or self.row_count == 0:
            return None
        return min(max(self.cursor_row, 0), len(self.plan.lines) - 1)
