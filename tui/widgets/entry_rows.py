"""The entries list's data, without Textual: one precomputed row per entry, the filters, and the
selection with running totals.

Everything the list shows or filters on is computed once per load (cleaned names and notes, the
amount, a lower-cased search string), so a keystroke in the search box costs one list
comprehension over plain Python objects and drawing costs only the visible rows.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Literal

from core.commands.entries import entry_amount
from core.models import TimeEntry
from core.text import one_line

OPEN = "open"
NOT_BILLABLE = "not_billable"
BILLED = "billed"
IN_PROGRESS = "in_progress"
RUNNING = "running"
# Billed entries, those of an unfinished invoice (journal) and running timers can never be
# selected. Non-billable ones can: a client may be set to include them (PlanOptions), and the
# invoice builder reports them as skipped otherwise.
SELECTABLE_STATES = frozenset({OPEN, NOT_BILLABLE})

Billable = Literal["all", "billable", "not_billable"]
ZERO = Decimal(0)


class EntryRow:
    """One entry as the list shows it. Rows are compared by identity (a set of rows is a
    selection); `index` is the row's place in the loaded list."""

    __slots__ = (
        "amount",
        "customer",
        "date",
        "entry",
        "index",
        "minutes",
        "note",
        "project",
        "search",
        "service",
        "state",
        "user",
    )

    def __init__(
        self,
        index: int,
        entry: TimeEntry,
        state: str,
        names: tuple[str, str, str, str],
        note: str,
        amount: Decimal | None,
    ) -> None:
        self.index = index
        self.entry = entry
        self.state = state
        self.date: dt.date = entry.date
        self.customer, self.project, self.service, self.user = names
        self.note = note
        self.minutes = entry.minutes
        self.amount = amount
        self.search = "\n".join((note, *names)).lower()

    @property
    def selectable(self) -> bool:
        return self.state in SELECTABLE_STATES


def _safe(text: str | None, cache: dict[str | None, str]) -> str:
    """`text` on one line without control characters. Names repeat across thousands of entries
    (cache); `isprintable` is a C-speed check that nothing needs cleaning."""
    cached = cache.get(text)
    if cached is None:
        cached = cache[text] = _clean_one_line(text)
    return cached


def _clean_one_line(text: str | None) -> str:
    if not text:
        return ""
    if text.isprintable():
        # Printable means no C0/C1 controls, no escapes, no bidi controls (all Cc/Cf).
        return text.strip()
    return one_line(text)


def entry_row_state(entry: TimeEntry, in_progress: Collection[str]) -> str:
    if entry.running:
        return RUNNING
    if entry.billed:
        return BILLED
    if entry.id in in_progress:
        return IN_PROGRESS
    return OPEN if entry.billable else NOT_BILLABLE


def _customer_name(entry: TimeEntry) -> str:
    return entry.customer_name or ""


def build_rows(entries: Iterable[TimeEntry], in_progress: Collection[str] = ()) -> list[EntryRow]:
    """Rows sorted by date, customer and id (the order the CLI prints).

    100,000 entries make 100,000 rows of long-lived objects: the cyclic garbage collector
    would walk all of them again and again while they are built (it tripled the time), and
    none of them can form a cycle, so it is paused meanwhile."""
    names: dict[str | None, str] = {}
    # Three stable sorts on single keys: a third faster than one sort on (date, name, id)
    # tuples, which Python compares field by field.
    ordered = sorted(entries, key=attrgetter("id"))
    ordered.sort(key=_customer_name)
    ordered.sort(key=attrgetter("date"))
    paused = gc.isenabled()
    gc.disable()
    try:
        rows = []
        append = rows.append
        for index, entry in enumerate(ordered):
            note = entry.note
            append(
                EntryRow(
                    index,
                    entry,
                    entry_row_state(entry, in_progress),
                    (
                        _safe(entry.customer_name, names),
                        _safe(entry.project_name, names),
                        _safe(entry.service_name, names),
                        _safe(entry.user_name, names),
                    ),
                    _clean_one_line(note) if note else "",
                    entry_amount(entry),
                )
            )
    finally:
        if paused:
            gc.enable()
    return rows


# --- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the list to; ids are the tracker's."""

    customer_id: str | None = None
    project_id: str | None = None
    service_id: str | None = None
    user_id: str | None = None
    billable: Billable = "all"
    show_billed: bool = False

    @property
    def active(self) -> int:
        """How many filters differ from the default (for the "2 filters" hint)."""
        return sum(
            (
                self.customer_id is not None,
                self.project_id is not None,
                self.service_id is not None,
                self.user_id is not None,
                self.billable != "all",
                self.show_billed,
            )
        )


def apply_filters(rows: Sequence[EntryRow], filters: Filters) -> list[EntryRow]:
    """The rows that pass the structured filters (not the search)."""
    f = filters
    if f == Filters(show_billed=True):
        return list(rows)
    want_billable = None if f.billable == "all" else f.billable == "billable"
    return [
        r
        for r in rows
        if (f.show_billed or r.state != BILLED)
        and (f.customer_id is None or r.entry.customer_id == f.customer_id)
        and (f.project_id is None or r.entry.project_id == f.project_id)
        and (f.service_id is None or r.entry.service_id == f.service_id)
        and (f.user_id is None or r.entry.user_id == f.user_id)
        and (want_billable is None or r.entry.billable == want_billable)
    ]


def search_terms(query: str) -> list[str]:
    return query.lower().split()


def apply_search(rows: Sequence[EntryRow], terms: Sequence[str]) -> list[EntryRow]:
    """Rows whose notes or names contain every term (case-insensitive)."""
    result = rows
    for term in terms:
        result = [r for r in result if term in r.search]
    return list(result)


def refines(old: Sequence[str], new: Sequence[str]) -> bool:
    """True when every row matching `new` also matches `old`, so `new` can filter the previous
    result instead of all rows (typing one more letter)."""
    return all(any(o in n for n in new) for o in old)


def choices(rows: Iterable[EntryRow], kind: str) -> list[tuple[str, str]]:
    """(id, name) of the customers, projects, services or users in `rows`, sorted by name."""
    found: dict[str, str] = {}
    for row in rows:
        ident = getattr(row.entry, f"{kind}_id")
        if ident is not None and ident not in found:
            found[ident] = getattr(row, kind) or ident
    return sorted(found.items(), key=lambda item: (item[1].casefold(), item[0]))


# --- selection --------------------------------------------------------------------------------


class Selection:
    """The selected rows with their total minutes and amount, kept up to date on every change
    (so the status line never sums 100,000 rows)."""

    def __init__(self) -> None:
        self.rows: set[EntryRow] = set()
        self.minutes = 0
        self.amount = ZERO

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, row: object) -> bool:
        return row in self.rows

    def add(self, row: EntryRow) -> bool:
        if not row.selectable or row in self.rows:
            return False
        self.rows.add(row)
        self.minutes += row.minutes
        if row.amount is not None:
            self.amount += row.amount
        return True

    def discard(self, row: EntryRow) -> bool:
        if row not in self.rows:
            return False
        self.rows.remove(row)
        self.minutes -= row.minutes
        if row.amount is not None:
            self.amount -= row.amount
        return True

    def toggle(self, row: EntryRow) -> bool:
        """Select or unselect `row`; False when it cannot be selected."""
        return self.discard(row) or self.add(row)

    def select_all(self, rows: Iterable[EntryRow]) -> int:
        return sum(self.add(row) for row in rows)

    def invert(self, rows: Iterable[EntryRow]) -> None:
        for row in rows:
            self.toggle(row)

    def clear(self) -> None:
        self.rows.clear()
        self.minutes = 0
        self.amount = ZERO

    def entries(self) -> list[TimeEntry]:
        """The selected entries in list order."""
        return [row.entry for row in sorted(self.rows, key=lambda r: r.index)]

    def carry_over(self, rows: Iterable[EntryRow]) -> None:
        """After a reload: keep the entries still there and still selectable (by id)."""
        wanted = {row.entry.id for row in self.rows}
        self.clear()
        if wanted:
            for row in rows:
                if row.entry.id in wanted:
                    self.add(row)
