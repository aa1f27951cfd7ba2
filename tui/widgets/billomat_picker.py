"""BillomatPicker: type-ahead search over Billomat clients or articles (Input + filtered
OptionList), suggestions by name similarity first, Enter to accept.

The options are built from `Candidate`s; what the user types narrows them (every word must
appear in the name, number or detail, ignoring case and accents' composition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option
from timebill.core.billing.assign import name_key
from timebill.core.text import one_line
from timebill.tui.i18n import register, t
from timebill.tui.widgets.localize import localize_bindings

STRINGS = {
    "picker.placeholder": {
        "en": "Type to search, Enter to accept",
        "de": "Tippen zum Suchen, Enter übernimmt",
    },
    "picker.suggested": {"en": "suggested", "de": "Vorschlag"},
    "picker.current": {"en": "current", "de": "aktuell"},
    "picker.none_found": {
        "en": "Nothing matches “{query}”.",
        "de": "Nichts passt zu „{query}“.",
    },
    "key.picker.up": {"en": "Previous", "de": "Vorheriger"},
    "key.picker.down": {"en": "Next", "de": "Nächster"},
}
register(STRINGS)


@dataclass(frozen=True)
class Candidate:
    """One choice: a Billomat client or article, or a special choice such as "free text"."""

    id: str
    label: str
    detail: str = ""
    special: bool = False
    # Offered whatever is typed ("create a new client"): last below the matches, first when
    # nothing matches, so Enter after a search that found nothing takes it.
    pinned: bool = False

    @property
    def search_key(self) -> str:
        return name_key(f"{self.label} {self.detail}")


class BillomatPicker(Vertical):
    """Emits `Picked` with the chosen candidate's id."""

    DEFAULT_CSS = """
    BillomatPicker { height: 1fr; min-height: 4; }
    BillomatPicker > Input { margin: 0; }
    BillomatPicker > OptionList { height: 1fr; border: none; padding: 0; }
    BillomatPicker > OptionList:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "key.picker.up", id="picker.up", show=False),
        Binding("down", "move(1)", "key.picker.down", id="picker.down", show=False),
    ]

    class Picked(Message):
        def __init__(self, picker: BillomatPicker, candidate_id: str) -> None:
            super().__init__()
            self.picker = picker
            self.candidate_id = candidate_id

        @property
        def control(self) -> BillomatPicker:
            return self.picker

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        localize_bindings(self)
        self._candidates: list[Candidate] = []
        self._suggested: list[str] = []
        self._current: str | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("picker.placeholder"), compact=True)
        # Never focused: Up/Down/Enter reach the list through the search field, so Enter
        # always picks for the row the screen shows as current, wherever Tab went before.
        options = OptionList()
        options.can_focus = False
        yield options

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    def show(
        self,
        candidates: Sequence[Candidate],
        *,
        suggested: Sequence[str] = (),
        current: str | None = None,
    ) -> None:
        """Offer `candidates` (ordered: suggested ids first, then specials, then the rest by
        name); the search starts empty and the first suggestion (else the current choice) is
        highlighted."""
        self._candidates = list(candidates)
        self._suggested = [s for s in suggested if any(c.id == s for c in candidates)]
        self._current = current
        self.input.value = ""
        self._refill("")

    @property
    def highlighted_id(self) -> str | None:
        option = self.options.highlighted_option
        return option.id if option is not None else None

    def _ordered(self, query: str) -> list[Candidate]:
        words = name_key(query).split()
        pinned = [c for c in self._candidates if c.pinned]
        found = [
            c for c in self._candidates if not c.pinned and all(w in c.search_key for w in words)
        ]
        if not found:
            return pinned
        by_id = {c.id: c for c in found}
        first = [by_id[s] for s in self._suggested if s in by_id]
        specials = [c for c in found if c.special and c.id not in self._suggested]
        rest = sorted(
            (c for c in found if not c.special and c.id not in self._suggested),
            key=lambda c: (name_key(c.label), c.id),
        )
        return first + specials + rest + pinned

    def _prompt(self, candidate: Candidate) -> Text:
        text = Text(one_line(candidate.label), style="italic" if candidate.special else "")
        if candidate.detail:
            text.append("  " + one_line(candidate.detail), style="dim")
        if candidate.id in self._suggested:
            text.append(f"  ★ {t('picker.suggested')}", style="bold")
        elif candidate.id == self._current:
            text.append(f"  ● {t('picker.current')}", style="bold")
        return text

    def _refill(self, query: str) -> None:
        ordered = self._ordered(query)
        options = self.options
        options.clear_options()
        if not ordered:
            options.add_option(
                Option(Text(t("picker.none_found", query=one_line(query))), disabled=True)
            )
            return
        options.add_options(Option(self._prompt(c), id=c.id) for c in ordered)
        ids = [c.id for c in ordered]
        if not query and not self._suggested and self._current in ids:
            options.highlighted = ids.index(self._current)
        else:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick()

    def _pick(self) -> None:
        candidate_id = self.highlighted_id
        if candidate_id is not None:
            self.post_message(self.Picked(self, candidate_id))

    def action_move(self, step: int) -> None:
        options = self.options
        if options.option_count == 0:
            return
        if step < 0:
            options.action_cursor_up()
        else:
            options.action_cursor_down()
