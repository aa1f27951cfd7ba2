"""The entries screen (the app's main screen): a period, filters, a search, the entries and the
selection that goes on to an invoice.

Entries are loaded in a worker and turned into precomputed rows off the event loop; filtering
and searching are list comprehensions over those rows, so each keystroke repaints at once even
with 100,000 entries. Billing itself is not done here: the screen posts `BillRequested` (or
`MonthEndRequested`) and the app starts that flow.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Select
from textual.worker import Worker, WorkerState
from timebill.core.entry import TimeEntry
from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    TimebillError,
    UnknownAccountError,
)
from timebill.tui.i18n import register, t
from timebill.tui.widgets.entry_list import EntryList
from timebill.tui.widgets.entry_rows import (
    Choices,
    EntryRow,
    Filters,
    QuietGC,
    RowBuilder,
    Selection,
    all_choices,
    apply_filters,
    apply_search,
    refines,
    search_terms,
)
from timebill.tui.widgets.entry_status import EntryDetail, EntryStatus
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.period_bar import PeriodBar

if TYPE_CHECKING:
    from timebill.tui.widgets.filter_panel import FilterPanel

STRINGS = {
    "key.entries.search": {"en": "Search", "de": "Suche"},
    "key.entries.filters": {"en": "Filters", "de": "Filter"},
    "key.entries.period": {"en": "Period", "de": "Zeitraum"},
    "key.entries.reload": {"en": "Reload", "de": "Neu laden"},
    "key.entries.bill": {"en": "Invoice", "de": "Rechnung"},
    "key.entries.month_end": {"en": "Month-end", "de": "Monatsende"},
    "key.entries.back": {"en": "Back to the list", "de": "Zurück zur Liste"},
    "key.entries.unbilled": {"en": "Unbilled overview", "de": "Offene Übersicht"},
    "key.entries.history": {"en": "History of drafts", "de": "Verlauf der Entwürfe"},
    "key.entries.draft": {"en": "The entry's draft", "de": "Entwurf des Eintrags"},
    "entries.on_draft": {"en": "Draft {number} (d: link)", "de": "Entwurf {number} (d: Link)"},
    "entries.no_draft": {
        "en": "timebill knows no draft for this entry (billed elsewhere).",
        "de": "timebill kennt keinen Entwurf zu diesem Eintrag (anderswo abgerechnet).",
    },
    "key.entries.list": {"en": "From the search to the list", "de": "Von der Suche zur Liste"},
    "entries.search_placeholder": {
        "en": "Search notes and names…",
        "de": "Notizen und Namen durchsuchen…",
    },
    "entries.filters_none": {"en": "f: filters", "de": "f: Filter"},
    "entries.filters_some": {"en": "{n} filter(s) · f", "de": "{n} Filter · f"},
    "entries.loading": {"en": "Loading entries…", "de": "Einträge werden geladen…"},
    "entries.empty": {
        "en": "No entries in this period.",
        "de": "Keine Einträge in diesem Zeitraum.",
    },
    "entries.no_match": {
        "en": "No entries match the search or filters.",
        "de": "Keine Einträge passen zu Suche oder Filtern.",
    },
    "entries.not_connected": {
        "en": "Not connected yet: open the setup (ctrl+p, Setup: connections).",
        "de": "Noch nicht verbunden: Einrichtung öffnen (Strg+P, Einrichtung: Verbindungen).",
    },
    "entries.select_first": {
        "en": "Select entries first: space selects one, a all shown.",
        "de": "Erst Einträge auswählen: Leertaste wählt einen aus, a alle angezeigten.",
    },
    "entries.load_failed": {
        "en": "Loading entries failed",
        "de": "Laden der Einträge fehlgeschlagen",
    },
    "entries.hint_setup": {
        "en": "Check the connection in the setup: ctrl+p, Setup: connections.",
        "de": "Verbindung in der Einrichtung prüfen: Strg+P, Einrichtung: Verbindungen.",
    },
    "entries.hint_retry": {
        "en": "Check the network, then press r to try again.",
        "de": "Netzwerk prüfen, dann mit r erneut versuchen.",
    },
    "entries.hint_wait": {
        "en": "Wait a minute, then press r to try again.",
        "de": "Eine Minute warten, dann mit r erneut versuchen.",
    },
    "entries.hint_again": {"en": "Press r to try again.", "de": "Mit r erneut versuchen."},
    "entries.unexpected": {
        "en": "Unexpected error ({kind}): {message}",
        "de": "Unerwarteter Fehler ({kind}): {message}",
    },
}
register(STRINGS)

# About 20 ms of work per slice (100,000 rows in 50 slices), so keys wait no longer than that.
ROWS_PER_STEP = 2_000

# What the screen needs to load a period: the entries and the ids of entries that belong to an
# unfinished invoice (journal), so those are shown "in progress" and cannot be selected.
Loader = Callable[[dt.date, dt.date], Awaitable[tuple[list[TimeEntry], Collection[str]]]]


@dataclass(frozen=True)
class Loaded:
    start: dt.date
    end: dt.date
    # Not in the repr: Textual logs worker results, and 100,000 rows took 70 ms to print.
    rows: list[EntryRow] = field(repr=False)


def failure_hint(error: BaseException) -> str:
    """What the user can do about a failed load."""
    if isinstance(error, AuthenticationError | UnknownAccountError | PermissionDeniedError):
        return t("entries.hint_setup")
    if isinstance(error, ConfigError):
        return t("entries.hint_setup")
    if isinstance(error, RateLimitedError):
        return t("entries.hint_wait")
    if isinstance(error, NetworkError):
        return t("entries.hint_retry")
    return t("entries.hint_again")


def failure_text(error: BaseException) -> str:
    if isinstance(error, TimebillError):
        return f"{error}\n{failure_hint(error)}"
    return t("entries.unexpected", kind=type(error).__name__, message=str(error))


class EntriesScreen(Screen[None]):
    # DEFAULT_CSS rather than a CSS_PATH file: it is the app's default screen, and Textual reads
    # CSS_PATH files only for screens it installs or pushes.
    DEFAULT_CSS = """
    EntriesScreen {
        layout: vertical;
    }

    EntriesScreen #period {
        height: 1;
        background: $panel;
    }

    EntriesScreen #search-bar {
        height: 1;
        background: $panel;
    }

    EntriesScreen #search-label {
        width: 3;
        padding: 0 1;
        color: $primary;
        text-style: bold;
    }

    EntriesScreen #search {
        width: 1fr;
        background: $panel;
    }

    EntriesScreen #search:focus {
        background: $boost;
    }

    EntriesScreen #filter-hint {
        width: auto;
        padding: 0 1;
        color: $text-muted;
    }

    EntriesScreen #body {
        height: 1fr;
    }

    EntriesScreen #entries {
        width: 1fr;
        height: 1fr;
    }
    """
    AUTO_FOCUS = "EntryList"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "key.entries.search", id="entries.search"),
        Binding("f", "toggle_filters", "key.entries.filters", id="entries.filters"),
        Binding("enter", "bill", "key.entries.bill", id="entries.bill"),
        Binding("p", "focus_period", "key.entries.period", id="entries.period", show=False),
        Binding("r", "reload", "key.entries.reload", id="entries.reload", show=False),
        Binding("m", "month_end", "key.entries.month_end", id="entries.month_end", show=False),
        Binding(
            "o", "app.open_unbilled", "key.entries.unbilled", id="entries.unbilled", show=False
        ),
        Binding("h", "app.open_history", "key.entries.history", id="entries.history", show=False),
        Binding("d", "entry_draft", "key.entries.draft", id="entries.draft", show=False),
        Binding("escape", "back", "key.entries.back", id="entries.back", show=False),
        Binding("down", "focus_list", "key.entries.list", id="entries.list", show=False),
    ]

    class BillRequested(Message):
        """The user wants an invoice for `entries` (all selectable, in list order)."""

        def __init__(self, entries: list[TimeEntry], start: dt.date, end: dt.date) -> None:
            super().__init__()
            self.entries = entries
            self.start = start
            self.end = end

    class MonthEndRequested(Message):
        """The user wants the month-end queue for the period."""

        def __init__(self, start: dt.date, end: dt.date) -> None:
            super().__init__()
            self.start = start
            self.end = end

    def __init__(
        self,
        loader: Loader,
        *,
        today: dt.date,
        account: str = "",
        preset: str = "last-month",
        period: tuple[dt.date, dt.date] | None = None,
        auto_load: bool = True,
        waiting: bool = False,
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self.loader = loader
        self.today = today
        self.account = account
        self.preset = preset
        self.initial_period = period
        self.auto_load = auto_load
        # The app is still reading its settings: the list shows it is loading until the app
        # calls `reload` (or `not_connected`).
        self.waiting = waiting
        self.selection = Selection()
        self.rows: list[EntryRow] = []
        self.filters = Filters()
        self.base: list[EntryRow] = []
        self.terms: list[str] = []
        self.shown: list[EntryRow] = []
        self._request: tuple[dt.date, dt.date] | None = None
        self._shown_cache: tuple[list[EntryRow], set[EntryRow]] | None = None
        self.choices: Choices = {}

    def compose(self) -> ComposeResult:
        yield PeriodBar(self.today, self.preset, id="period")
        with Horizontal(id="search-bar"):
            yield Label("/", id="search-label")
            yield Input(placeholder=t("entries.search_placeholder"), compact=True, id="search")
            yield Label(t("entries.filters_none"), id="filter-hint")
        with Horizontal(id="body"):
            yield EntryList(selection=self.selection, id="entries")
            # The FilterPanel is mounted on first use: its controls are dozens of widgets the
            # first frame need not wait for.
        yield EntryDetail(id="detail")
        yield EntryStatus(id="status-bar")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        bar = self.query_one(PeriodBar)
        if self.initial_period is not None:
            bar.set_period(*self.initial_period)
        entry_list = self.query_one(EntryList)
        self.set_focus(entry_list)
        self._update_status()
        if self.auto_load:
            self.reload()
        elif self.waiting:
            entry_list.loading = True
            entry_list.empty_text = t("entries.loading")
        else:
            self.not_connected()

    # -- public ------------------------------------------------------------------------------
    @property
    def period(self) -> tuple[dt.date, dt.date]:
        bar = self.query_one(PeriodBar)
        return bar.start, bar.end

    def reload(self) -> None:
        """Load the period again (after a setup change or an invoice)."""
        start, end = self.period
        self._request = (start, end)
        entry_list = self.query_one(EntryList)
        entry_list.loading = True
        entry_list.empty_text = t("entries.loading")
        self.load_entries(start, end)

    def not_connected(self) -> None:
        """No tracker to load from (timebill is not set up)."""
        entry_list = self.query_one(EntryList)
        entry_list.loading = False
        entry_list.empty_text = t("entries.not_connected")
        entry_list.refresh()

    def selected_entries(self) -> list[TimeEntry]:
        return self.selection.entries()

    # -- loading -----------------------------------------------------------------------------
    @work(exclusive=True, group="entries", exit_on_error=False)
    async def load_entries(self, start: dt.date, end: dt.date) -> Loaded:
        entries, in_progress = await self.loader(start, end)
        # Building 100,000 rows takes half a second: a slice at a time on the event loop, which
        # draws and takes keys in between. (A thread took twice as long, fighting the event
        # loop for the GIL.)
        builder = RowBuilder(entries, frozenset(in_progress))
        with QuietGC():
            while not builder.step(ROWS_PER_STEP):
                await asyncio.sleep(0)
        return Loaded(start, end, builder.rows)

    @work(thread=True, exclusive=True, group="choices", exit_on_error=False)
    def collect_choices(self, rows: list[EntryRow]) -> None:
        # The filter choices are only needed once the filters are opened: gathered after the
        # first paint (a few tenths of a second for 100,000 rows), not before it.
        found = all_choices(rows)
        self.app.call_from_thread(self._set_choices, rows, found)

    def _set_choices(self, rows: list[EntryRow], found: Choices) -> None:
        if rows is not self.rows:
            return  # a newer load replaced these rows meanwhile
        self.choices = found
        panel = self._panel()
        if panel is not None:
            panel.set_rows(self.rows, self.choices)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "entries":
            return
        if event.state == WorkerState.SUCCESS:
            loaded = event.worker.result
            if isinstance(loaded, Loaded) and (loaded.start, loaded.end) == self._request:
                self._show(loaded)
        elif event.state == WorkerState.ERROR:
            entry_list = self.query_one(EntryList)
            entry_list.loading = False
            entry_list.empty_text = ""
            entry_list.refresh()
            self.refresh_bindings()
            error = event.worker.error
            assert error is not None
            self.notify(
                failure_text(error),
                title=t("entries.load_failed"),
                severity="error",
                timeout=12,
                markup=False,
            )

    def _show(self, loaded: Loaded) -> None:
        self.rows = loaded.rows
        self.selection.carry_over(self.rows)
        entry_list = self.query_one(EntryList)
        entry_list.set_date_width(6 if loaded.start.year == loaded.end.year else 8)
        entry_list.fit_numbers(self.rows)
        self._refilter()
        entry_list.loading = False
        # After the frame that shows the rows: gathering the choices competes for the GIL.
        self.call_after_refresh(self.collect_choices, self.rows)
        # The Footer lists the focused list's keys again once the loading cover is gone.
        self.refresh_bindings()

    # -- filtering ---------------------------------------------------------------------------
    def _refilter(self) -> None:
        self.base = apply_filters(self.rows, self.filters)
        self.shown = apply_search(self.base, self.terms)
        self._publish()

    def _shown_set(self) -> set[EntryRow]:
        if self._shown_cache is None or self._shown_cache[0] is not self.shown:
            self._shown_cache = (self.shown, set(self.shown))
        return self._shown_cache[1]

    def _publish(self) -> None:
        entry_list = self.query_one(EntryList)
        if not self.rows:
            entry_list.empty_text = t("entries.empty")
        else:
            entry_list.empty_text = t("entries.no_match")
        entry_list.set_rows(self.shown)
        self._update_status()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        terms = search_terms(event.value)
        if terms == self.terms:
            return
        source = self.shown if refines(self.terms, terms) else self.base
        self.terms = terms
        self.shown = apply_search(source, terms)
        self._publish()

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.set_focus(self.query_one(EntryList))

    def on_filter_panel_changed(self, event: FilterPanel.Changed) -> None:
        self.filters = event.filters
        n = event.filters.active
        hint = t("entries.filters_some", n=n) if n else t("entries.filters_none")
        self.query_one("#filter-hint", Label).update(hint)
        self._refilter()

    def on_period_bar_changed(self, event: PeriodBar.Changed) -> None:
        self.reload()
        self.set_focus(self.query_one(EntryList))

    def on_billing_done(self, message: Message) -> None:
        # timebill.tui.flow's BillingDone (matched by name, so this screen does not import the flow):
        # invoices were created or entries released, so the states shown are stale.
        message.stop()
        self.reload()

    # -- status ------------------------------------------------------------------------------
    def on_entry_list_selection_changed(self, event: EntryList.SelectionChanged) -> None:
        self._update_status()

    def on_entry_list_highlighted(self, event: EntryList.Highlighted) -> None:
        found = (
            getattr(self.app, "entry_invoices", {}).get(event.row.entry.id) if event.row else None
        )
        draft = t("entries.on_draft", number=found[2] or found[1]) if found else ""
        self.query_one(EntryDetail).show(event.row, draft=draft)

    def action_entry_draft(self) -> None:
        row = self.query_one(EntryList).highlighted
        show = getattr(self.app, "show_entry_invoice", None)
        if row is not None and callable(show) and not show(row.entry.id):
            self.notify(t("entries.no_draft"), markup=False)

    def _update_status(self) -> None:
        self.query_one(EntryStatus).show(
            self.selection,
            hidden=len(self.selection.rows - self._shown_set()) if len(self.selection) else 0,
            shown=len(self.shown),
            total=len(self.rows),
            account=self.account,
        )

    # -- actions -----------------------------------------------------------------------------
    # Focus moves with Screen.set_focus, at once: Widget.focus() waits behind the keys already
    # queued, so the letters of a quickly typed "/review" would reach the list, not the search.
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_list":
            # Down leaves the search for the list; elsewhere it keeps its usual meaning.
            return self.focused is not None and self.focused.id == "search"
        return True

    def action_focus_search(self) -> None:
        self.set_focus(self.query_one("#search", Input))

    def action_focus_list(self) -> None:
        self.set_focus(self.query_one(EntryList))

    def action_focus_period(self) -> None:
        self.set_focus(self.query_one("#period-preset", Select))

    def _panel(self) -> FilterPanel | None:
        found = self.query("FilterPanel")
        return cast("FilterPanel", found.first()) if found else None

    async def action_toggle_filters(self) -> None:
        # Imported on first use, as it is mounted: the first frame does not wait for it.
        from timebill.tui.widgets.filter_panel import FilterPanel

        panel = self._panel()
        if panel is None:
            panel = FilterPanel(self.filters, id="filters")
            await self.query_one("#body").mount(panel)
            panel.set_rows(self.rows, self.choices)
        else:
            panel.display = not panel.display
        if panel.display:
            self.set_focus(panel.query_one("#filter-customer", Select))
        else:
            self.set_focus(self.query_one(EntryList))

    def action_back(self) -> None:
        panel = self._panel()
        search = self.query_one("#search", Input)
        if panel is not None and panel.display:
            panel.display = False
            self.set_focus(self.query_one(EntryList))
        elif self.focused is not self.query_one(EntryList):
            self.set_focus(self.query_one(EntryList))
        elif search.value:
            search.value = ""

    def action_reload(self) -> None:
        self.reload()

    def action_bill(self) -> None:
        entries = self.selection.entries()
        if not entries:
            self.notify(t("entries.select_first"), severity="warning", markup=False)
            return
        self.post_message(self.BillRequested(entries, *self.period))

    def action_month_end(self) -> None:
        self.post_message(self.MonthEndRequested(*self.period))
