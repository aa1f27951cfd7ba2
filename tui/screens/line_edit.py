"""A small dialog to change one invoice line's title, description, quantity or price.

Each changed field is checked on its own through timebill.core.invoicing.builder.edit_line, so a mistake is
marked at the field it is in; nothing is applied while any field is invalid. Dismisses with the
edited plan, or None when cancelled."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea
from timebill.core.invoicing.builder import PlanError, edit_line
from timebill.core.models import InvoicePlan
from timebill.tui.i18n import register, t
from timebill.tui.widgets import numbers
from timebill.tui.widgets.localize import localize_bindings

STRINGS = {
    "line_edit.title": {"en": "Edit line {number}", "de": "Position {number} bearbeiten"},
    "line_edit.field.title": {"en": "Title", "de": "Titel"},
    "line_edit.field.description": {"en": "Description", "de": "Beschreibung"},
    "line_edit.field.quantity": {"en": "Quantity", "de": "Menge"},
    "line_edit.field.unit_price": {"en": "Price", "de": "Preis"},
    "line_edit.hint": {
        "en": "Ctrl+S or Enter applies, Esc cancels",
        "de": "Strg+S oder Enter übernimmt, Esc bricht ab",
    },
    "line_edit.need_title": {
        "en": "A line needs a title.",
        "de": "Eine Position braucht einen Titel.",
    },
    "line_edit.bad_number": {
        "en": "Enter a number of 0 or more, e.g. {example}.",
        "de": "Geben Sie eine Zahl ab 0 ein, z. B. {example}.",
    },
    "key.line_edit.apply": {"en": "Apply", "de": "Übernehmen"},
    "key.line_edit.cancel": {"en": "Cancel", "de": "Abbrechen"},
}
register(STRINGS)

NUMBER_FIELDS = ("quantity", "unit_price")
EXAMPLE = Decimal("7.5")


class LineEditScreen(ModalScreen[InvoicePlan | None]):
    CSS_PATH = "line_edit.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "key.line_edit.apply", id="line_edit.apply", priority=True),
        Binding("escape", "cancel", "key.line_edit.cancel", id="line_edit.cancel"),
    ]

    def __init__(self, plan: InvoicePlan, index: int) -> None:
        super().__init__()
        localize_bindings(self)
        self.plan = plan
        self.index = index
        line = plan.lines[index]
        # What the fields start with: a field left as it was is not sent to edit_line (so an
        # untouched quantity keeps its rounding note).
        self.initial = {
            "title": line.title,
            "description": line.description,
            "quantity": numbers.amount(line.quantity),
            "unit_price": numbers.amount(line.unit_price),
        }

    def compose(self) -> ComposeResult:
        with Vertical(id="line-edit-dialog"):
            yield Static(Text(t("line_edit.title", number=self.index + 1)), id="line-edit-heading")
            for name in ("title", "quantity", "unit_price"):
                with Horizontal(classes="line-edit-row"):
                    yield Label(t(f"line_edit.field.{name}"), classes="line-edit-label")
                    yield Input(self.initial[name], id=f"line-edit-{name}", compact=True)
                yield Static(id=f"line-edit-{name}-error", classes="line-edit-error", markup=False)
            yield Label(t("line_edit.field.description"), classes="line-edit-label")
            yield TextArea(self.initial["description"], id="line-edit-description", soft_wrap=True)
            yield Static(Text(t("line_edit.hint")), id="line-edit-hint")

    def on_mount(self) -> None:
        self.query_one("#line-edit-title", Input).focus()

    def _value(self, name: str) -> str:
        if name == "description":
            return self.query_one("#line-edit-description", TextArea).text
        return self.query_one(f"#line-edit-{name}", Input).value

    def _mark(self, name: str, message: str | None) -> None:
        error = self.query_one(f"#line-edit-{name}-error", Static)
        error.update(Text(message or ""))
        error.set_class(bool(message), "-shown")
        self.query_one(f"#line-edit-{name}", Input).set_class(bool(message), "-invalid")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        changed = {
            name: self._value(name)
            for name in ("title", "description", *NUMBER_FIELDS)
            if self._value(name) != self.initial[name]
        }
        plan = self.plan
        first_bad: str | None = None
        for name in ("title", *NUMBER_FIELDS):
            message = None
            if name in changed:
                try:
                    edit_line(plan, self.index, **{name: changed[name]})
                except PlanError:
                    message = (
                        t("line_edit.need_title")
                        if name == "title"
                        else t("line_edit.bad_number", example=numbers.amount(EXAMPLE))
                    )
            self._mark(name, message)
            first_bad = first_bad or (name if message else None)
        if first_bad is not None:
            self.query_one(f"#line-edit-{first_bad}", Input).focus()
            return
        if changed:
            plan = edit_line(plan, self.index, **changed)  # type: ignore[arg-type]
            self.dismiss(plan)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
