"""The client's invoice texts (x in the preview): invoice title, intro, closing note, and the
templates of the line titles and descriptions, with the placeholders they may use.

Each template is checked on its own (timebill.core.invoicing.texts.check_template), so a wrong
placeholder is marked at its field and nothing is taken while any field is wrong. Dismisses
with the options carrying the new texts, or None when cancelled or nothing changed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea
from timebill.core.invoicing import texts
from timebill.core.invoicing.builder import PlanOptions
from timebill.core.invoicing.texts import TemplateError
from timebill.tui.i18n import register, t
from timebill.tui.widgets.localize import localize_bindings

STRINGS = {
    "texts.title": {"en": "Texts for {client}", "de": "Texte für {client}"},
    "texts.field.invoice_title_template": {"en": "Title", "de": "Titel"},
    "texts.field.intro": {"en": "Intro", "de": "Einleitung"},
    "texts.field.note": {"en": "Closing note", "de": "Schlusstext"},
    "texts.field.title_template": {"en": "Line title", "de": "Positionstitel"},
    "texts.field.description_template": {"en": "Line text", "de": "Positionstext"},
    "texts.account_default": {
        "en": "empty: the text set in Billomat",
        "de": "leer: der Text aus Billomat",
    },
    "texts.fields.invoice": {"en": "Invoice:", "de": "Rechnung:"},
    "texts.fields.lines": {"en": "Lines, also:", "de": "Positionen auch:"},
    "texts.hint": {
        "en": "Ctrl+S saves for this client, Esc cancels",
        "de": "Strg+S speichert für diesen Kunden, Esc bricht ab",
    },
    "texts.unknown": {
        "en": "{field} is not a placeholder here; use one listed below.",
        "de": "{field} ist hier kein Platzhalter; nutzen Sie einen der unten genannten.",
    },
    "texts.syntax": {
        "en": "Braces must pair up around a placeholder; {{ and }} write a brace.",
        "de": "Klammern nur paarweise um einen Platzhalter; {{ und }} ergeben eine Klammer.",
    },
    "texts.lost": {
        "en": "the invoice texts being edited",
        "de": "die gerade bearbeiteten Rechnungstexte",
    },
    "key.texts.save": {"en": "Save", "de": "Speichern"},
    "key.texts.cancel": {"en": "Cancel", "de": "Abbrechen"},
    "help.section.TextsScreen": {"en": "Invoice texts", "de": "Rechnungstexte"},
}
register(STRINGS)

# The fields in the order shown; the multi-line ones are TextAreas.
FIELDS = ("invoice_title_template", "intro", "note", "title_template", "description_template")
MULTILINE = frozenset({"intro", "note"})
# The placeholders as listed: the invoice's (each works in lines too), then the lines' own.
INVOICE_SHOWN = ("period", "date", "start", "end", "client", "customer")
LINE_SHOWN = ("service", "project", "user", "article", "note", "hours")


def _listed(names: tuple[str, ...]) -> str:
    return " ".join("{" + name + "}" for name in names)


class TextsScreen(ModalScreen[PlanOptions | None]):
    CSS_PATH = "texts.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "key.texts.save", id="texts.save", priority=True),
        Binding("escape", "cancel", "key.texts.cancel", id="texts.cancel"),
    ]

    def __init__(self, options: PlanOptions, client_name: str) -> None:
        super().__init__()
        localize_bindings(self)
        self.options = options
        self.client_name = client_name
        # Empty where the option is unset: the placeholder shows the default that then applies.
        self.initial = {name: getattr(options, name) or "" for name in FIELDS}

    def _placeholder(self, name: str) -> str:
        language = self.options.language
        if name == "invoice_title_template":
            return texts.DEFAULT_INVOICE_TITLE[language]
        if name == "title_template":
            return texts.DEFAULT_TITLES[language][self.options.grouping]
        if name in MULTILINE:
            return t("texts.account_default")
        return ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="texts-dialog"):
            yield Static(
                Text(t("texts.title", client=self.client_name)), id="texts-heading", markup=False
            )
            for name in FIELDS:
                with Horizontal(classes="texts-row" + (" -tall" if name in MULTILINE else "")):
                    yield Label(t(f"texts.field.{name}"), classes="texts-label")
                    if name in MULTILINE:
                        yield TextArea(
                            self.initial[name],
                            id=f"texts-{name}",
                            soft_wrap=True,
                            placeholder=self._placeholder(name),
                        )
                    else:
                        yield Input(
                            self.initial[name],
                            id=f"texts-{name}",
                            placeholder=self._placeholder(name),
                            compact=True,
                        )
                yield Static(id=f"texts-{name}-error", classes="texts-error", markup=False)
            yield Static(
                Text.assemble(
                    (t("texts.fields.invoice") + " ", "dim"),
                    _listed(INVOICE_SHOWN),
                    "\n",
                    (t("texts.fields.lines") + " ", "dim"),
                    _listed(LINE_SHOWN),
                ),
                id="texts-fields",
                markup=False,
            )
            yield Static(Text(t("texts.hint")), id="texts-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#texts-invoice_title_template", Input).focus()

    def _value(self, name: str) -> str:
        if name in MULTILINE:
            return self.query_one(f"#texts-{name}", TextArea).text
        return self.query_one(f"#texts-{name}", Input).value

    def _mark(self, name: str, message: str | None) -> None:
        error = self.query_one(f"#texts-{name}-error", Static)
        error.update(Text(message or ""))
        error.set_class(bool(message), "-shown")
        self.query_one(f"#texts-{name}").set_class(bool(message), "-invalid")

    def changed(self) -> dict[str, str]:
        return {
            name: self._value(name) for name in FIELDS if self._value(name) != self.initial[name]
        }

    def work_at_risk(self) -> str | None:
        return t("texts.lost") if self.changed() else None

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        first_bad: str | None = None
        for name in FIELDS:
            message = None
            try:
                texts.check_templates({name: self._value(name)})
            except TemplateError as error:
                message = (
                    t("texts.unknown", field="{" + error.field + "}")
                    if error.field is not None
                    else t("texts.syntax")
                )
            self._mark(name, message)
            first_bad = first_bad or (name if message else None)
        if first_bad is not None:
            self.query_one(f"#texts-{first_bad}").focus()
            return
        changed = self.changed()
        if not changed:
            self.dismiss(None)
            return
        # An empty title is no title: the default applies, which follows the grouping.
        update: dict[str, str | None] = {
            name: (value or None) if name.endswith("title_template") else value
            for name, value in changed.items()
        }
        self.dismiss(self.options.model_copy(update=update))

    def action_cancel(self) -> None:
        self.dismiss(None)
