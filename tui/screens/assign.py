"""Assign: which Billomat client each tracker customer, and which article each service, maps to.

Opened by the billing flow when a customer or service of the selection has no assignment yet
(and again from the preview with `a`). Remembered and exactly matching names are taken as they
are; the others get suggestions by name similarity, the best one highlighted so Enter accepts
it. A service may stay without article: its lines are free text at the tracker's rate.

Dismisses with the timebill.core.billing.assign.Resolution to plan with, or None when cancelled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker
from timebill.core.billing import assign
from timebill.core.billing.catalog import Catalog
from timebill.core.billing.service import BillingService
from timebill.core.errors import AuthenticationError, TimebillError
from timebill.core.models import Customer
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.widgets import numbers
from timebill.tui.widgets.billomat_picker import BillomatPicker, Candidate
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.select_table import SelectTable
from timebill.tui.widgets.theme_colors import theme_color
from timebill.tui.widgets.worker_errors import notify_failure

STRINGS = {
    "assign.title": {
        "en": "Assign: Billomat client and article for each customer and service",
        "de": "Zuordnen: Billomat-Kunde und -Artikel je Kunde und Leistung",
    },
    "assign.loading": {
        "en": "Loading Billomat clients and articles…",
        "de": "Billomat-Kunden und -Artikel werden geladen…",
    },
    "assign.col.kind": {"en": "Kind", "de": "Art"},
    "assign.lost": {
        "en": "{count} assignments chosen on the assignment screen",
        "de": "{count} auf dem Zuordnungs-Bildschirm gewählte Zuordnungen",
    },
    "assign.col.tracker": {"en": "In {tracker}", "de": "In {tracker}"},
    "assign.col.billomat": {"en": "In Billomat", "de": "In Billomat"},
    "assign.kind.customer": {"en": "Customer", "de": "Kunde"},
    "assign.kind.service": {"en": "Service", "de": "Leistung"},
    "assign.no_client": {"en": "— no client yet", "de": "— noch kein Kunde"},
    "assign.free_text": {
        "en": "No article: free text at the tracker's rate",
        "de": "Kein Artikel: Freitext zum Satz aus der Zeiterfassung",
    },
    "assign.free_text_short": {
        "en": "free text, tracker's rate",
        "de": "Freitext, Satz aus Zeiterf.",
    },
    "assign.prompt.customer": {
        "en": "Billomat client for {name}:",
        "de": "Billomat-Kunde für {name}:",
    },
    "assign.prompt.service": {
        "en": "Billomat article for {name}:",
        "de": "Billomat-Artikel für {name}:",
    },
    "assign.all_set": {
        "en": "Everything is assigned: Ctrl+S continues.",
        "de": "Alles zugeordnet: Strg+S geht weiter.",
    },
    "assign.need_client": {
        "en": "Pick a Billomat client for at least one customer, or press Esc to cancel.",
        "de": "Wählen Sie für mindestens einen Kunden einen Billomat-Kunden, oder Esc bricht ab.",
    },
    "assign.load_failed": {
        "en": "Loading Billomat clients and articles failed",
        "de": "Billomat-Kunden und -Artikel konnten nicht geladen werden",
    },
    "assign.open_setup": {
        "en": "Check the Billomat ID and API key in the setup.",
        "de": "Prüfen Sie Billomat-ID und API-Schlüssel in der Einrichtung.",
    },
    "assign.try_again": {
        "en": "Try again in a moment.",
        "de": "Versuchen Sie es gleich noch einmal.",
    },
    "assign.per_unit": {"en": "per {unit}", "de": "je {unit}"},
    "assign.new_client": {
        "en": "+ New Billomat client “{name}”",
        "de": "+ Neuer Billomat-Kunde „{name}“",
    },
    "assign.new_client.title": {
        "en": "Create a new Billomat client?",
        "de": "Neuen Billomat-Kunden anlegen?",
    },
    "assign.new_client.name": {"en": "Name: {name}", "de": "Name: {name}"},
    "assign.new_client.from": {
        "en": "From {tracker} customer {id}; Billomat gives it a number.",
        "de": "Aus {tracker}-Kunde {id}; Billomat vergibt die Nummer.",
    },
    "assign.new_client.yes": {"en": "create the client", "de": "Kunden anlegen"},
    "assign.new_client.done": {
        "en": "Created Billomat client {name} ({number}).",
        "de": "Billomat-Kunde {name} ({number}) angelegt.",
    },
    "assign.new_client.failed": {
        "en": "Creating the Billomat client failed",
        "de": "Billomat-Kunde konnte nicht angelegt werden",
    },
    "key.assign.done": {"en": "Continue", "de": "Weiter"},
    "key.assign.cancel": {"en": "Cancel", "de": "Abbrechen"},
    "key.assign.items": {"en": "List", "de": "Liste"},
    "key.assign.choose": {"en": "Choose", "de": "Wählen"},
}
register(STRINGS)

# The picker's id for "no article" (an option id must not be empty).
FREE_TEXT_OPTION = "-free-text-"
# The picker's id for "create a Billomat client named like the customer".
NEW_CLIENT_OPTION = "-new-client-"


@dataclass
class AssignItem:
    kind: Literal["customer", "service"]
    tracker_id: str
    name: str
    choice: str | None = None  # Billomat id; None: no client / free text
    decided: bool = False  # a client or article chosen, or free text kept
    changed: bool = False  # chosen on this screen
    suggested: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.tracker_id}"

    @property
    def open(self) -> bool:
        return not self.decided


class AssignScreen(Screen[assign.Resolution | None]):
    CSS_PATH = "assign.tcss"
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "done", "key.assign.done", id="assign.done", priority=True),
        Binding("escape", "cancel", "key.assign.cancel", id="assign.cancel"),
        Binding("f2", "focus_items", "key.assign.items", id="assign.items"),
    ]

    def __init__(
        self,
        service: BillingService,
        customers: Mapping[str, str],
        services: Mapping[str, str],
        *,
        always: bool = False,
    ) -> None:
        """`customers` / `services`: tracker id -> name, those in the selection. Unless
        `always`, the screen goes straight on when nothing needs asking."""
        super().__init__()
        localize_bindings(self)
        self.service = service
        self.customers = dict(customers)
        self.services = dict(services)
        self.always = always
        self.items: list[AssignItem] = []
        self.ready = False

    def compose(self) -> ComposeResult:
        yield Static(Text(t("assign.title")), id="assign-title")
        yield SelectTable("key.assign.choose", id="assign-items")
        yield Static(id="assign-prompt", markup=False)
        yield BillomatPicker(id="assign-picker")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#assign-items", DataTable)
        tracker = self.service.tracker
        table.add_column(t("assign.col.kind"), width=9, key="kind")
        table.add_column(t("assign.col.tracker", tracker=tracker), width=26, key="tracker")
        table.add_column(t("assign.col.billomat"), width=34, key="billomat")
        if self.service.catalog is None:
            self.query_one("#assign-prompt", Static).update(Text(t("assign.loading")))
            self.load()
        else:
            # After the first refresh: `start` may dismiss the screen straight away.
            self.call_after_refresh(self.start, self.service.catalog)

    @work(exclusive=True, group="assign-load", exit_on_error=False)
    async def load(self) -> None:
        self.query_one("#assign-items").loading = True
        try:
            catalog = await self.service.load_catalog()
        except TimebillError as exc:
            hint = (
                t("assign.open_setup")
                if isinstance(exc, AuthenticationError)
                else t("assign.try_again")
            )
            self.notify(
                f"{clean(str(exc))}\n{hint}",
                title=t("assign.load_failed"),
                severity="error",
                timeout=12,
                markup=False,
            )
            self.dismiss(None)
            return
        finally:
            self.query_one("#assign-items").loading = False
        self.service.catalog = catalog
        self.start(catalog)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_failure(self, event) and event.worker.group == "assign-load":
            self.dismiss(None)

    # -- building --------------------------------------------------------------------------
    def start(self, catalog: Catalog) -> None:
        resolution = self.service.resolve(self.customers, self.services)
        free = self.service.free_text_decided()
        chosen = resolution.assignments
        self.items = []
        for customer_id, name in sorted(self.customers.items(), key=lambda i: i[1].casefold()):
            client_id = chosen.clients.get(customer_id)
            self.items.append(
                AssignItem(
                    "customer",
                    customer_id,
                    name,
                    client_id,
                    decided=client_id is not None,
                    suggested=[c.id for c in assign.suggestions(name, catalog.clients, "name")],
                )
            )
        for service_id, name in sorted(self.services.items(), key=lambda i: i[1].casefold()):
            article_id = chosen.articles.get(service_id)
            self.items.append(
                AssignItem(
                    "service",
                    service_id,
                    name,
                    article_id,
                    decided=article_id is not None or service_id in free,
                    suggested=[a.id for a in assign.suggestions(name, catalog.articles, "title")],
                )
            )
        if not self.always and not any(item.open for item in self.items):
            self.dismiss(resolution)
            return
        self.ready = True
        table = self.query_one("#assign-items", DataTable)
        table.clear()
        for item in self.items:
            table.add_row(*self._cells(item), key=item.key)
        first_open = next((i for i, item in enumerate(self.items) if item.open), 0)
        if self.items:
            table.move_cursor(row=first_open, animate=False)
            self._show_picker(first_open)
        self.query_one(BillomatPicker).input.focus()

    def _label(self, item: AssignItem) -> Text:
        catalog = self.service.catalog or Catalog()
        if item.kind == "customer":
            client = catalog.client(item.choice)
            if client is None:
                return Text(
                    t("assign.no_client"), style=f"bold {theme_color(self, 'warning', 'yellow')}"
                )
            return Text(one_line(client.name), style="bold" if item.changed else "")
        article = catalog.article(item.choice)
        if article is None:
            style = "italic" if item.decided else f"italic {theme_color(self, 'warning', 'yellow')}"
            return Text(t("assign.free_text_short"), style=style)
        return Text(one_line(article.title), style="bold" if item.changed else "")

    def _cells(self, item: AssignItem) -> list[Text]:
        return [
            Text(t(f"assign.kind.{item.kind}"), style="dim"),
            Text(one_line(item.name)),
            self._label(item),
        ]

    def _candidates(self, item: AssignItem) -> list[Candidate]:
        catalog = self.service.catalog or Catalog()
        if item.kind == "customer":
            found = [Candidate(c.id, c.name, c.client_number or "") for c in catalog.clients]
            # Not offered when a client of that very name exists: it would be a duplicate.
            if assign.exact_match(item.name, catalog.clients, "name") is None:
                label = t("assign.new_client", name=one_line(item.name, 40))
                found.append(Candidate(NEW_CLIENT_OPTION, label, special=True, pinned=True))
            return found
        found = [Candidate(FREE_TEXT_OPTION, t("assign.free_text"), special=True)]
        for article in catalog.articles:
            price = ""
            if article.sales_price is not None:
                price = numbers.amount(article.sales_price, grouping=True)
                if article.unit_name:
                    price += " " + t("assign.per_unit", unit=one_line(article.unit_name))
            detail = " · ".join(p for p in (article.article_number or "", price) if p)
            found.append(Candidate(article.id, article.title, detail))
        return found

    def _show_picker(self, index: int) -> None:
        if not 0 <= index < len(self.items):
            return
        item = self.items[index]
        prompt = f"assign.prompt.{item.kind}"
        self.query_one("#assign-prompt", Static).update(
            Text(t(prompt, name=one_line(item.name, 40)))
        )
        current = item.choice
        if item.kind == "service" and item.decided and item.choice is None:
            current = FREE_TEXT_OPTION
        self.query_one(BillomatPicker).show(
            self._candidates(item),
            suggested=[] if item.decided else item.suggested,
            current=current,
        )

    @property
    def current_index(self) -> int:
        return self.query_one("#assign-items", DataTable).cursor_row

    # -- events ----------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#assign-items")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.ready:
            self._show_picker(event.cursor_row)

    @on(DataTable.RowSelected, "#assign-items")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.query_one(BillomatPicker).input.focus()

    @on(BillomatPicker.Picked)
    def _picked(self, event: BillomatPicker.Picked) -> None:
        index = self.current_index
        if not self.ready or not 0 <= index < len(self.items):
            return
        item = self.items[index]
        if event.candidate_id == NEW_CLIENT_OPTION:
            self._ask_new_client(item)
            return
        self._choose(item, None if event.candidate_id == FREE_TEXT_OPTION else event.candidate_id)

    def _ask_new_client(self, item: AssignItem) -> None:
        lines = [
            t("assign.new_client.name", name=one_line(item.name)),
            t("assign.new_client.from", tracker=self.service.tracker, id=item.tracker_id),
        ]

        def answered(yes: bool | None) -> None:
            if yes:
                self.create_client(item)
            else:
                self.query_one(BillomatPicker).input.focus()

        self.app.push_screen(
            ConfirmScreen(t("assign.new_client.title"), lines, t("assign.new_client.yes")),
            answered,
        )

    @work(exclusive=True, group="assign-create", exit_on_error=False)
    async def create_client(self, item: AssignItem) -> None:
        try:
            client = await self.service.create_client(Customer(id=item.tracker_id, name=item.name))
        except TimebillError as exc:
            self.notify(
                clean(str(exc)),
                title=t("assign.new_client.failed"),
                severity="error",
                timeout=12,
                markup=False,
            )
            # A lost answer may hide a client that was created after all: read the clients
            # again, so the picker lists it by its name instead of offering a second one.
            with contextlib.suppress(TimebillError):
                await self.service.load_catalog()
            self._show_picker(self.current_index)
            return
        self.notify(
            t(
                "assign.new_client.done",
                name=one_line(client.name),
                number=client.client_number or client.id,
            ),
            timeout=4,
            markup=False,
        )
        self._choose(item, client.id)
        index = self.current_index
        if 0 <= index < len(self.items) and self.items[index] is item:
            # Still on this row (nothing else open): list the new client as the current one.
            self._show_picker(index)

    def _choose(self, item: AssignItem, choice: str | None) -> None:
        item.choice = choice
        item.decided = True
        item.changed = True
        table = self.query_one("#assign-items", DataTable)
        table.update_cell(item.key, "billomat", self._label(item))
        index = self.items.index(item)
        following = [
            i
            for i in list(range(index + 1, len(self.items))) + list(range(index))
            if self.items[i].open
        ]
        if following:
            table.move_cursor(row=following[0], animate=False)
        else:
            self.notify(t("assign.all_set"), timeout=4, markup=False)
        self.query_one(BillomatPicker).input.focus()

    def work_at_risk(self) -> str | None:
        changed = sum(1 for item in self.items if item.changed)
        return t("assign.lost", count=changed) if changed else None

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("done", "focus_items") and not self.ready:
            return None
        return True

    def action_focus_items(self) -> None:
        self.query_one("#assign-items", DataTable).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_done(self) -> None:
        if not self.ready:
            return
        customers = [item for item in self.items if item.kind == "customer"]
        if customers and not any(item.choice for item in customers):
            self.notify(t("assign.need_client"), severity="warning", timeout=6, markup=False)
            return
        client_choice = {
            item.tracker_id: item.choice
            for item in customers
            if item.changed and item.choice is not None
        }
        article_choice: dict[str, str] = {}
        for item in self.items:
            if item.kind != "service":
                continue
            if item.choice is not None and item.changed:
                article_choice[item.tracker_id] = item.choice
            elif item.choice is None:
                # Continuing accepts what the list shows: free text, and it is not asked again.
                self.service.keep_free_text(item.tracker_id, item.name)
        self.dismiss(
            self.service.resolve(
                self.customers,
                self.services,
                client_choice=client_choice,
                article_choice=article_choice,
            )
        )
