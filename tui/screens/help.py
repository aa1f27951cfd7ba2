"""The help screen (`?`): every key of the screen it was opened from, grouped by where it works.

Built from the live bindings (after keymaps and translation), so it never disagrees with the
Footer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static
from timebill.tui.i18n import register, t
from timebill.tui.widgets.localize import localize_bindings

STRINGS = {
    "help.title": {"en": "Keys", "de": "Tasten"},
    "help.close": {
        "en": "Esc, q or ? closes this help.",
        "de": "Esc, q oder ? schließt diese Hilfe.",
    },
    "help.section.app": {"en": "Everywhere", "de": "Überall"},
    "help.section.EntriesScreen": {"en": "Entries", "de": "Einträge"},
    "help.section.EntryList": {"en": "In the list", "de": "In der Liste"},
    "help.section.AssignScreen": {"en": "Assignments", "de": "Zuordnungen"},
    "help.section.BillomatPicker": {"en": "In the choices", "de": "In der Auswahl"},
    "help.section.PreviewScreen": {"en": "Preview", "de": "Vorschau"},
    "help.section.PlanTable": {"en": "In the lines", "de": "In den Positionen"},
    "help.section.LineEditScreen": {"en": "Edit a line", "de": "Position bearbeiten"},
    "help.section.DraftPickerScreen": {"en": "Choose a draft", "de": "Entwurf wählen"},
    "help.section.DoneScreen": {"en": "Done", "de": "Fertig"},
    "help.section.MonthEndScreen": {"en": "Month-end", "de": "Monatsabschluss"},
    "help.section.DeletedDrafts": {"en": "Deleted drafts", "de": "Gelöschte Entwürfe"},
    "help.section.SetupScreen": {"en": "Setup", "de": "Einrichtung"},
    "help.section.ConfirmScreen": {"en": "Question", "de": "Rückfrage"},
    "help.section.other": {"en": "On this screen", "de": "Auf diesem Bildschirm"},
    "help.palette": {
        "en": "Command palette: setup, reload, theme, resume invoices",
        "de": "Befehle: Einrichtung, neu laden, Theme, Rechnungen fortsetzen",
    },
    "key.help.close": {"en": "Close", "de": "Schließen"},
    "help.focus": {
        "en": "Next / previous field (filters, period, search)",
        "de": "Nächstes / voriges Feld (Filter, Zeitraum, Suche)",
    },
}
register(STRINGS)


@dataclass
class _Section:
    title: str
    keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _section_title(node: DOMNode, is_app: bool) -> str:
    if is_app:
        return t("help.section.app")
    # Never a class name: a screen or widget without a title of its own gets a plain one.
    key = f"help.section.{type(node).__name__}"
    text = t(key)
    return t("help.section.other") if text == key else text


def collect_keys(screen: Screen[object]) -> list[_Section]:
    """The bindings with a description of the app, `screen` and the widgets on it (ours only:
    text inputs' editing keys are not timebill's to document), grouped by node type."""
    app = screen.app
    sections: dict[str, _Section] = {}
    nodes: list[tuple[DOMNode, bool]] = [(app, True), (screen, False)]
    nodes += [(node, False) for node in screen.walk_children() if _ours(node)]
    for node, is_app in nodes:
        title = _section_title(node, is_app)
        section = sections.setdefault(title, _Section(title))
        if is_app:
            section.keys[("focus", t("help.focus"))] = ["tab", "shift+tab"]
        actions = _our_actions(type(node))
        for _key, binding in node._bindings:
            if not binding.description or binding.system or binding.action not in actions:
                continue
            if binding.action == "command_palette":
                description = t("help.palette")
            else:
                description = binding.description
            keys = section.keys.setdefault((binding.action, description), [])
            display = app.get_key_display(binding)
            if display not in keys:
                keys.append(display)
    return [section for section in sections.values() if section.keys]


def _our_actions(cls: type) -> set[str]:
    """Actions bound by timebill's own classes (not the ones Textual's base classes add, such
    as scrolling sideways or copying text)."""
    actions = set()
    for base in cls.__mro__:
        if base.__module__.startswith("timebill.tui."):
            for binding in base.__dict__.get("BINDINGS", []):
                actions.add(binding.action if isinstance(binding, Binding) else binding[1])
    return actions


def _ours(node: DOMNode) -> bool:
    return type(node).__module__.startswith("timebill.tui.")


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "key.help.close", id="help.close"),
    ]

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        localize_bindings(self)
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label(t("help.title"), id="help-title")
            with VerticalScroll(id="help-keys"):
                for section in collect_keys(self.target):
                    yield Label(section.title, classes="help-section")
                    yield Static(self._table(section))
            yield Label(t("help.close"), id="help-close")

    @staticmethod
    def _table(section: _Section) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(min_width=14, style="bold")
        table.add_column()
        for (_action, description), keys in section.keys.items():
            table.add_row(Text(" ".join(keys)), Text(description))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
