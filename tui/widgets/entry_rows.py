"""The entries list's data, without Textual: one precomputed row per entry, the filters, and the
selection with running totals.

Everything the list shows or filters on is computed once per load (cleaned names and notes, the
amount, a lower-cased search string), so a keystroke in the search box costs one list
comprehension over plain Python objects and drawing costs only the visible rows.
"""

from __future__ import annotations

import datetime as dt
import gc
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Literal

from timebill.core.entry import TimeEntry
from timebill.core.money import entry_amount
from timebill.core.text import one_line

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
        self.search = (
            f"{note}\n{self.customer}\n{self.project}\n{self.service}\n{self.user}".lower()
        )

    @property
    def selectable(self) -> bool:
        return self.state in SELECTABLE_STATES


def _clean_one_line(text: str | None) -> str:
    if not text:
        return ""
    if text.isprintable():
        # Printable means no C0/C1 controls, no escapes, no bidi controls (all Cc/Cf).
        return text.strip()
    return one_line(text)


_BY_DATE = attrgetter("date")


@lru_cache(maxsize=4096)
def name_order(name: str) -> str:
    """How a person sorts names: Ä with A, case ignored (not by code point, where "Bäckerei"
    would follow "Brückner")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _customer_name(entry: TimeEntry) -> str:
    return name_order(entry.customer_name or "")


def build_rows(entries: Iterable[TimeEntry], in_progress: Collection[str] = ()) -> list[EntryRow]:
    """Rows sorted by date, customer and id (the order the CLI prints)."""
    builder = RowBuilder(entries, in_progress)
    with QuietGC():
        builder.step(len(builder.ordered))
    return builder.rows


class RowBuilder:
    """Builds the rows a slice at a time, so the app can draw and take keys in between.

    This runs once per load over every entry, so it is written for speed: names repeat across
    thousands of entries and are cleaned once (cache); notes are only cleaned when
    `isprintable` (a C-speed check) finds something to clean; the amount takes the tracker's
    revenue directly when it has one. Run it inside QuietGC."""

    def __init__(self, entries: Iterable[TimeEntry], in_progress: Collection[str] = ()) -> None:
        # Two stable sorts on single keys: faster than one sort on (date, name) tuples, which
        # Python compares field by field. Ties keep the tracker's order.
        ordered = sorted(entries, key=_customer_name)
        ordered.sort(key=_BY_DATE)
        self.ordered = ordered
        self.in_progress = in_progress
        self.rows: list[EntryRow] = []
        self._names: dict[str | None, str] = {}

    @property
    def done(self) -> bool:
        return len(self.rows) == len(self.ordered)

    def step(self, count: int) -> bool:
        """Build the next `count` rows; True once all are built."""
        names = self._names
        in_progress = self.in_progress
        clean_name = _clean_one_line
        rows = self.rows
        append = rows.append
        start = len(rows)
        for index in range(start, min(start + count, len(self.ordered))):
            entry = self.ordered[index]
            customer = names.get(entry.customer_name)
            if customer is None:
                customer = names[entry.customer_name] = clean_name(entry.customer_name)
            project = names.get(entry.project_name)
            if project is None:
                project = names[entry.project_name] = clean_name(entry.project_name)
            service = names.get(entry.service_name)
            if service is None:
                service = names[entry.service_name] = clean_name(entry.service_name)
            user = names.get(entry.user_name)
            if user is None:
                user = names[entry.user_name] = clean_name(entry.user_name)
            note = entry.note
            if note:
                note = note.strip() if note.isprintable() else one_line(note)
            revenue = entry.revenue
            amount = (
                revenue if revenue is not None and entry.kind == "time" else entry_amount(entry)
            )
            if entry.running:
                state = RUNNING
            elif entry.billed:
                state = BILLED
            elif entry.id in in_progress:
                state = IN_PROGRESS
            else:
                state = OPEN if entry.billable else NOT_BILLABLE
            append(
                EntryRow(
                    index,
                    entry,
                    state,
                    (customer, project, service, user),
                    note,
                    amount,
                )
            )
        return self.done


class QuietGC:
    """Keeps Python's cyclic garbage collector off the rows of a big load.

    Building 100,000 rows creates hundreds of thousands of long-lived objects; while they pile
    up, the collector walks everything again each time the heap grows by a quarter (on 3.11
    that tripled the build), only to find nothing: rows never form cycles. So it is paused
    while rows are built, and afterwards what exists is moved out of its sight
    (`gc.freeze`): later collections stay as quick as before the load. Reference counting still
    frees the rows when a later load replaces them."""

    def __enter__(self) -> QuietGC:
        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        gc.freeze()
        if self.was_enabled:
            gc.enable()


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


KINDS = ("customer", "project", "service", "user")
Choices = dict[str, list[tuple[str, str]]]


def choices(rows: Iterable[EntryRow], kind: str) -> list[tuple[str, str]]:
    """(id, name) of the customers, projects, services or users in `rows`, sorted by name."""
    ident = attrgetter(f"entry.{kind}_id")
    name = attrgetter(kind)
    # A set of pairs first: one C-level pass over 100,000 rows instead of a Python loop.
    found: dict[str, str] = {}
    for key, label in sorted({(ident(row), name(row)) for row in rows}, key=_pair_order):
        if key is not None and key not in found:
            found[key] = label or key
    return sorted(found.items(), key=lambda item: (name_order(item[1]), item[0]))


def _pair_order(pair: tuple[str | None, str]) -> tuple[str, str]:
    return (pair[0] or "", pair[1])


def all_choices(rows: Sequence[EntryRow]) -> Choices:
    return {kind: choices(rows, kind) for kind in KINDS}


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
