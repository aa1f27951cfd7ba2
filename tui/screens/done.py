"""Done: the draft that was created (or filled), its number, id and Billomat address; then back
to the entries (now shown billed) or on to the next customer with open entries.

Dismisses with "back" or "next"."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static
from timebill.core.billing.transaction import BillingResult
from timebill.core.models import InvoicePlan
from timebill.core.money import Totals
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.numbers import money
from timebill.tui.widgets.plan_text import period_text

STRINGS = {
    "done.created": {"en": "Draft created", "de": "Entwurf angelegt"},
    "done.added": {"en": "Lines added to the draft", "de": "Positionen zum Entwurf hinzugefügt"},
    "done.unfinished": {
        "en": "Draft created, marking unfinished",
        "de": "Entwurf angelegt, Markierung unvollständig",
    },
    "done.number": {"en": "Number", "de": "Nummer"},
    "done.provisional": {
        "en": "{number} (provisional until completed)",
        "de": "{number} (vorläufig bis zum Abschluss)",
    },
    "done.no_number": {
        "en": "none yet (Billomat numbers an invoice when it is completed)",
        "de": "noch keine (Billomat vergibt sie beim Abschließen)",
    },
    "done.id": {"en": "Billomat id", "de": "Billomat-ID"},
    "done.client": {"en": "Client", "de": "Kunde"},
    "done.lines": {
        "en": "{count} lines, net {net}, gross {gross}",
        "de": "{count} Positionen, netto {net}, brutto {gross}",
        "en_one": "1 line, net {net}, gross {gross}",
        "de_one": "1 Position, netto {net}, brutto {gross}",
    },
    "done.draft_total": {
        "en": "Draft now: net {net}, gross {gross}",
        "de": "Entwurf jetzt: netto {net}, brutto {gross}",
    },
    "done.marked": {
        "en": "{count} entries marked billed in {tracker}.",
        "de": "{count} Einträge in {tracker} als abgerechnet markiert.",
        "en_one": "1 entry marked billed in {tracker}.",
        "de_one": "1 Eintrag in {tracker} als abgerechnet markiert.",
    },
    "done.found_again": {
        "en": "The draft was found again after an interrupted run: no second draft was made.",
        "de": "Der Entwurf wurde nach einem Abbruch wiedergefunden: kein zweiter Entwurf.",
    },
    "done.address": {"en": "Open in Billomat", "de": "In Billomat öffnen"},
    "done.next_is": {"en": "Next: {name}", "de": "Als Nächstes: {name}"},
    "done.copied": {"en": "Address copied.", "de": "Adresse kopiert."},
    "key.done.back": {"en": "Back to the entries", "de": "Zurück zu den Einträgen"},
    "key.done.back_list": {"en": "Back to the list", "de": "Zurück zur Liste"},
    "key.done.next": {"en": "Next customer", "de": "Nächster Kunde"},
    "key.done.copy": {"en": "Copy address", "de": "Adresse kopieren"},
    "key.done.open": {"en": "Open", "de": "Öffnen"},
}
register(STRINGS)


class DoneScreen(Screen[Literal["back", "next"]]):
    CSS_PATH = "done.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape", "back", "key.done.back", id="done.back"),
        Binding("n", "next", "key.done.next", id="done.next"),
        Binding("y", "copy", "key.done.copy", id="done.copy"),
        Binding("o", "open", "key.done.open", id="done.open", show=False),
    ]

    def __init__(
        self,
        result: BillingResult,
        plan: InvoicePlan,
        *,
        url: str,
        tracker: str,
        into_draft: str | None = None,
        next_name: str | None = None,
        back_to_list: bool = False,
        draft_total: Totals | None = None,
    ) -> None:
        super().__init__()
        localize_bindings(self)
        if back_to_list:
            self._relabel("back", t("key.done.back_list"))
        self.result = result
        self.plan = plan
        self.url = url
        self.tracker = tracker
        self.into_draft = into_draft
        self.next_name = next_name
        self.draft_total = draft_total

    def _relabel(self, action: str, description: str) -> None:
        bindings = self._bindings.key_to_bindings
        for key, found in list(bindings.items()):
            bindings[key] = [
                replace(b, description=description) if b.action == action else b for b in found
            ]

    def compose(self) -> ComposeResult:
        result = self.result
        if result.state != "done":
            heading = t("done.unfinished")
        elif self.into_draft:
            heading = t("done.added")
        else:
            heading = t("done.created")
        with Vertical(id="done-box"):
            yield Static(Text(heading), id="done-heading")
            yield Static(self._facts(), id="done-facts")
            yield Static(self._outcome(), id="done-outcome")
            yield Static(Text(t("done.address")), classes="done-label")
            yield Static(Text(self.url), id="done-url")
            if self.next_name:
                yield Static(
                    Text(t("done.next_is", name=one_line(self.next_name, 50))), id="done-next"
                )
        yield Footer()

    def _facts(self) -> Text:
        result, plan = self.result, self.plan
        text = Text()
        rows = (
            (
                t("done.number"),
                # Billomat shows a draft's number before it is final (digest: provisional).
                t("done.provisional", number=result.invoice_number)
                if result.invoice_number
                else t("done.no_number"),
            ),
            (t("done.id"), result.invoice_id or "–"),
            (t("done.client"), one_line(plan.client_name or plan.client_id)),
        )
        for label, value in rows:
            text.append(f"{label:<12} ", style="dim")
            text.append(f"{value}\n", style="bold" if label == t("done.number") else "")
        text.append(" " * 13 + period_text(plan) + "\n")
        text.append(
            " " * 13
            + t(
                "done.lines",
                count=len(plan.lines),
                net=money(plan.total_net, plan.currency),
                gross=money(plan.total_gross, plan.currency),
            )
        )
        if self.into_draft and self.draft_total is not None and result.state == "done":
            total = self.draft_total
            text.append(
                "\n"
                + " " * 13
                + t(
                    "done.draft_total",
                    net=money(total.net, plan.currency),
                    gross=money(total.gross, plan.currency),
                ),
                style="bold",
            )
        return text

    def _outcome(self) -> Text:
        result = self.result
        text = Text(t("done.marked", count=len(result.marked), tracker=self.tracker))
        if result.found_existing:
            text.append("\n" + t("done.found_again"), style="dim")
        if result.state != "done" and result.message:
            text.append("\n" + clean(result.message), style="bold")
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return bool(self.next_name)
        return True

    def action_back(self) -> None:
        self.dismiss("back")

    def action_next(self) -> None:
        if self.next_name:
            self.dismiss("next")

    def action_copy(self) -> None:
        # OSC 52: works over SSH in terminals that allow it.
        self.app.copy_to_clipboard(self.url)
        self.notify(t("done.copied"), timeout=3, markup=False)

    def action_open(self) -> None:
        self.app.open_url(self.url)
