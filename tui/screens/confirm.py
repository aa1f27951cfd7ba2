"""A yes/no question over the current screen (e.g. creating a draft with implausible entries).

Dismisses with True only for an explicit yes (y or the button); Esc and n say no."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from timebill.tui.i18n import register, t
from timebill.tui.widgets.localize import localize_bindings

STRINGS = {
    "confirm.hint": {"en": "y: yes · n / Esc: no", "de": "j/y: ja · n / Esc: nein"},
    "key.confirm.yes": {"en": "Yes", "de": "Ja"},
    "key.confirm.no": {"en": "No", "de": "Nein"},
}
register(STRINGS)


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen #confirm-dialog {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen #confirm-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,j", "answer(True)", "key.confirm.yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "key.confirm.no", id="confirm.no"),
    ]

    def __init__(self, question: Text) -> None:
        super().__init__()
        localize_bindings(self)
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.question, id="confirm-question")
            yield Static(Text(t("confirm.hint")), id="confirm-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
