"""A question before a step that cannot be taken back by accident: creating a draft (which
locks the entries in the tracker) or quitting with work that would be lost.

Enter confirms, Escape goes back; nothing else answers, so a stray key never confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static
from timebill.tui.i18n import register, t
from timebill.tui.widgets.localize import localize_bindings

STRINGS = {
    "key.confirm.yes": {"en": "Confirm", "de": "Bestätigen"},
    "key.confirm.no": {"en": "Back", "de": "Zurück"},
    "confirm.keys": {
        "en": "Enter: {yes} · Esc: back",
        "de": "Enter: {yes} · Esc: zurück",
    },
}
register(STRINGS)


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True on Enter, False on Escape."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; background: $background 60%; }
    ConfirmScreen #confirm-box {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $warning; padding: 0 1;
    }
    ConfirmScreen #confirm-title { text-style: bold; color: $warning; width: 1fr; }
    ConfirmScreen #confirm-body { margin: 1 0; width: 1fr; }
    ConfirmScreen #confirm-keys { color: $text-muted; width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "answer(True)", "key.confirm.yes", id="confirm.yes", priority=True),
        Binding("escape", "answer(False)", "key.confirm.no", id="confirm.no"),
    ]

    def __init__(self, title: str, lines: Sequence[Text | str], yes: str) -> None:
        """`yes` names what Enter does ("Create the draft", "Quit")."""
        super().__init__()
        localize_bindings(self)
        self.title_text = title
        self.lines = list(lines)
        self.yes = yes

    def compose(self) -> ComposeResult:
        body = Text()
        for number, line in enumerate(self.lines):
            if number:
                body.append("\n")
            body.append(line if isinstance(line, Text) else Text(line))
        with Vertical(id="confirm-box"):
            yield Label(Text(self.title_text), id="confirm-title")
            yield Static(body, id="confirm-body")
            yield Label(Text(t("confirm.keys", yes=self.yes)), id="confirm-keys")
        yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
