"""FilterPanel: customer, project, service, user, billable and "show billed" for the entries list.

The choices come from the loaded entries (no extra requests); names from the API are shown as
plain Text. Every change posts `FilterPanel.Changed` with the complete `Filters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Label, Select
from timebill.tui.i18n import register, t
from timebill.tui.widgets.entry_rows import KINDS, Choices, EntryRow, Filters, choices

STRINGS = {
    "filters.title": {"en": "Filters", "de": "Filter"},
    "filters.customer": {"en": "All customers", "de": "Alle Kunden"},
    "filters.project": {"en": "All projects", "de": "Alle Projekte"},
    "filters.service": {"en": "All services", "de": "Alle Leistungen"},
    "filters.user": {"en": "All users", "de": "Alle Personen"},
    "filters.billable.all": {"en": "Billable or not", "de": "Abrechenbar oder nicht"},
    "filters.billable.billable": {"en": "Billable only", "de": "Nur abrechenbare"},
    "filters.billable.not_billable": {"en": "Not billable only", "de": "Nur nicht abrechenbare"},
    "filters.show_billed": {"en": "Show billed", "de": "Abgerechnete zeigen"},
    "filters.hint": {"en": "Esc closes", "de": "Esc schließt"},
}
register(STRINGS)


class FilterPanel(VerticalScroll):
    """The filters, one compact control per line."""

    DEFAULT_CSS = """
    FilterPanel {
        width: 30;
        height: 1fr;
        background: $panel;
        padding: 0 1;
        border-left: vkey $border-blurred;
        & > .filters-title { text-style: bold; color: $primary; margin: 0 0 1 0; }
        & > Select { margin: 0 0 1 0; }
        & > Checkbox { margin: 0 0 1 0; background: $panel; }
        & > .filters-hint { color: $text-muted; }
        &:focus-within { border-left: vkey $border; }
    }
    """

    class Changed(Message):
        def __init__(self, panel: FilterPanel, filters: Filters) -> None:
            super().__init__()
            self.panel = panel
            self.filters = filters

        @property
        def control(self) -> FilterPanel:
            return self.panel

    def __init__(self, filters: Filters | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.filters = filters or Filters()
        self._rows: Sequence[EntryRow] = ()
        self._choices: Choices = {}

    def compose(self) -> ComposeResult:
        yield Label(t("filters.title"), classes="filters-title")
        for kind in KINDS:
            yield Select[str]([], prompt=t(f"filters.{kind}"), compact=True, id=f"filter-{kind}")
        yield Select(
            [
                (t(f"filters.billable.{value}"), value)
                for value in ("all", "billable", "not_billable")
            ],
            value=self.filters.billable,
            allow_blank=False,
            compact=True,
            id="filter-billable",
        )
        yield Checkbox(
            t("filters.show_billed"),
            self.filters.show_billed,
            compact=True,
            id="filter-show-billed",
        )
        yield Label(t("filters.hint"), classes="filters-hint")

    def set_rows(self, rows: Sequence[EntryRow], found: Choices) -> None:
        """Offer the customers, projects, services and users `found` in the loaded `rows`; a
        chosen value that is no longer among them is dropped."""
        self._rows = rows
        self._choices = found
        for kind in KINDS:
            self._fill(kind)

    def _fill(self, kind: str) -> None:
        if kind == "project" and self.filters.customer_id is not None:
            customer = self.filters.customer_id
            options = choices([r for r in self._rows if r.entry.customer_id == customer], kind)
        else:
            options = self._choices.get(kind, [])
        select = self.query_one(f"#filter-{kind}", Select)
        current = getattr(self.filters, f"{kind}_id")
        with self.prevent(Select.Changed):
            select.set_options([(Text(name), ident) for ident, name in options])
            if current is not None and any(ident == current for ident, _ in options):
                select.value = current
        if current is not None and select.value != current:
            self._update(**{f"{kind}_id": None})

    def _update(self, **changes: Any) -> None:
        filters = replace(self.filters, **changes)
        if filters != self.filters:
            self.filters = filters
            self.post_message(self.Changed(self, filters))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        ident = event.select.id or ""
        value = None if event.value is Select.NULL else str(event.value)
        if ident == "filter-billable":
            self._update(billable=value or "all")
            return
        kind = ident.removeprefix("filter-")
        if kind in KINDS:
            self._update(**{f"{kind}_id": value})
            if kind == "customer":
                self._fill("project")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._update(show_billed=event.value)

    def reset(self) -> None:
        """Back to no filters (the billable choice and "show billed" included)."""
        with self.prevent(Select.Changed, Checkbox.Changed):
            for kind in KINDS:
                self.query_one(f"#filter-{kind}", Select).clear()
            self.query_one("#filter-billable", Select).value = "all"
            self.query_one("#filter-show-billed", Checkbox).value = False
        self._update(
            customer_id=None,
            project_id=None,
            service_id=None,
            user_id=None,
            billable="all",
            show_billed=False,
        )
        self._fill("project")
