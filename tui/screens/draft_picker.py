"""Where a plan's lines go: a new draft, or one of the client's drafts in Billomat.

The drafts are read in a worker when the dialog opens. Dismisses with a DraftChoice, or None
when cancelled (the preview keeps its target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker
from timebill.core.connect import open_billomat
from timebill.core.errors import AuthenticationError, TimebillError
from timebill.core.models import Invoice
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.numbers import money
from timebill.tui.widgets.plan_text import date_text
from timebill.tui.widgets.worker_errors import notify_failure

if TYPE_CHECKING:
    from timebill.core.settings.model import Settings

STRINGS = {
    "draft_picker.title": {
        "en": "Where should the lines for {client} go?",
        "de": "Wohin sollen die Positionen für {client}?",
    },
    "draft_picker.new": {"en": "A new draft", "de": "Ein neuer Entwurf"},
    "draft_picker.none": {
        "en": "{client} has no drafts in Billomat.",
        "de": "{client} hat keine Entwürfe in Billomat.",
    },
    "draft_picker.failed": {
        "en": "Loading the client's drafts failed",
        "de": "Die Entwürfe des Kunden konnten nicht geladen werden",
    },
    "draft_picker.open_setup": {
        "en": "Check the Billomat key in the setup.",
        "de": "Prüfen Sie den Billomat-Schlüssel in der Einrichtung.",
    },
    "draft_picker.retry": {
        "en": "A new draft is still possible; try again later to add to one.",
        "de": "Ein neuer Entwurf geht trotzdem; später erneut versuchen, um zu ergänzen.",
    },
    "draft_picker.hint": {
        "en": "Enter chooses, Esc keeps the current choice",
        "de": "Enter wählt, Esc behält die bisherige Wahl",
    },
    "draft_picker.net": {"en": "net", "de": "netto"},
    "key.draft_picker.cancel": {"en": "Cancel", "de": "Abbrechen"},
}
register(STRINGS)

NEW_DRAFT = "-new-draft-"


@dataclass(frozen=True)
class DraftChoice:
    invoice_id: str | None  # None: a new draft
    label: str = ""


def draft_label(invoice: Invoice) -> str:
    parts = [invoice.invoice_number or f"id {invoice.id}"]
    if invoice.title:
        parts.append(one_line(invoice.title, 30))
    if invoice.date:
        parts.append(date_text(invoice.date))
    parts.append(f"{t('draft_picker.net')} {money(invoice.total_net, invoice.currency_code)}")
    return " · ".join(parts)


class DraftPickerScreen(ModalScreen[DraftChoice | None]):
    CSS_PATH = "draft_picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.draft_picker.cancel", id="draft_picker.cancel"),
    ]

    def __init__(self, settings: Settings, client_id: str, client_name: str, current: str | None):
        super().__init__()
        localize_bindings(self)
        self.settings = settings
        self.client_id = client_id
        self.client_name = client_name
        self.current = current
        self.drafts: list[Invoice] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="draft-picker-dialog"):
            yield Static(
                Text(t("draft_picker.title", client=one_line(self.client_name, 40))),
                id="draft-picker-heading",
            )
            yield OptionList(Option(Text(t("draft_picker.new")), id=NEW_DRAFT), id="draft-options")
            yield Static(Text(t("draft_picker.hint")), id="draft-picker-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    @work(exclusive=True, group="drafts", exit_on_error=False)
    async def load(self) -> None:
        options = self.query_one(OptionList)
        options.loading = True
        try:
            async with open_billomat(self.settings) as billomat:
                drafts = await billomat.drafts(self.client_id)
        except TimebillError as exc:
            hint = (
                t("draft_picker.open_setup")
                if isinstance(exc, AuthenticationError)
                else t("draft_picker.retry")
            )
            self.notify(
                f"{clean(str(exc))}\n{hint}",
                title=t("draft_picker.failed"),
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        finally:
            options.loading = False
        self.drafts = sorted(drafts, key=lambda d: (d.date is None, d.date, d.id), reverse=True)
        for draft in self.drafts:
            options.add_option(Option(Text(draft_label(draft)), id=draft.id))
        if not self.drafts:
            self.query_one("#draft-picker-hint", Static).update(
                Text(t("draft_picker.none", client=one_line(self.client_name, 40)))
            )
        ids = [NEW_DRAFT, *(d.id for d in self.drafts)]
        if self.current in ids:
            options.highlighted = ids.index(self.current)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        notify_failure(self, event)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id
        draft = next((d for d in self.drafts if d.id == chosen), None)
        if draft is None:
            self.dismiss(DraftChoice(None, ""))
        else:
            self.dismiss(DraftChoice(draft.id, draft_label(draft)))

    def action_cancel(self) -> None:
        self.dismiss(None)
