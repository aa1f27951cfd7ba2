"""Reading mite time entries: the store snapshot, entry filters and sorting, and the wire view.

Paging through 100,000 entries asks for the same filtered list once per page; `EntryLists`
filters and sorts once per (filter, store version) and the caller encodes only one page.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from timebill.core.sandbox.mite_data import date_range, flag, id_set, revenue, sort_name
from timebill.core.sandbox.seed import TIMEZONE
from timebill.core.sandbox.server import Request

Record = dict[str, Any]
SORTS = ("date", "user", "customer", "project", "service", "note", "minutes", "revenue")
DESC_BY_DEFAULT = frozenset({"date", "minutes", "revenue"})


@dataclass(frozen=True)
class Snapshot:
    """The store as one listing sees it. Records are replaced on change, never mutated in place,
    so a snapshot can be read outside the store's lock."""

    version: tuple[int, int]
    entries: list[Record]
    users: dict[int, Record]
    customers: dict[int, Record]
    projects: dict[int, Record]
    services: dict[int, Record]
    tracking: dict[int, Record]  # entry id -> running tracker

    def view(self, r: Record) -> Record:
        """One entry as mite sends it, names joined in from the current objects."""
        user = self.users.get(r["user_id"]) or {}
        project = self.projects.get(r["project_id"]) if r["project_id"] else None
        customer = self.customers.get(project["customer_id"] or 0) if project else None
        service = self.services.get(r["service_id"]) if r["service_id"] else None
        view = {
            "id": r["id"],
            "minutes": r["minutes"],
            "date_at": r["date_at"],
            "note": r["note"],
            "billable": r["billable"],
            "locked": r["locked"],
            "revenue": revenue(r["minutes"], r["hourly_rate"]),
            "hourly_rate": r["hourly_rate"],
            "user_id": r["user_id"],
            "user_name": user.get("name"),
            "project_id": project["id"] if project else None,
            "project_name": project["name"] if project else None,
            "customer_id": customer["id"] if customer else None,
            "customer_name": customer["name"] if customer else None,
            "service_id": service["id"] if service else None,
            "service_name": service["name"] if service else None,
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
        }
        tracker = self.tracking.get(r["id"])
        if tracker is not None:
            view["tracking"] = {
                "since": tracker["since"],
                "minutes": r["minutes"] + elapsed(tracker),
            }
        return view


def elapsed(tracker: Record) -> int:
    """Whole minutes a tracker has run (real time: the sandbox's timers run on the wall clock)."""
    since = dt.datetime.fromisoformat(tracker["since"])
    return max(0, int((dt.datetime.now(TIMEZONE) - since).total_seconds() // 60))


@dataclass(frozen=True)
class EntryQuery:
    """The filters and order of one `GET /time_entries.json`, hashable for the cache."""

    start: str | None = None
    end: str | None = None
    customers: frozenset[int] | None = None
    projects: frozenset[int] | None = None
    services: frozenset[int] | None = None
    users: frozenset[int] | None = None
    billable: bool | None = None
    locked: bool | None = None
    tracking: bool | None = None
    notes: tuple[str, ...] = ()
    sort: str = "date"
    desc: bool = True
    own: int | None = None  # time trackers see only their own entries

    @classmethod
    def parse(cls, request: Request, user: Record, today: dt.date) -> EntryQuery:
        at = date_range(request.arg("at"), "at", today)
        start = date_range(request.arg("from"), "from", today)
        end = date_range(request.arg("to"), "to", today)
        # `at` and `from`/`to` together: both apply (the narrower range wins).
        starts = [d for d in (at and at[0], start and start[0]) if d]
        ends = [d for d in (at and at[1], end and end[1]) if d]
        sort = request.arg("sort") or "date"
        sort = sort if sort in SORTS else "date"
        direction = (request.arg("direction") or "").lower()
        notes = request.query.get("note[]", []) + request.query.get("note", [])

        def ids(name: str) -> frozenset[int] | None:
            return id_set(request.arg(f"{name}_id"), user["id"])

        def on(name: str) -> bool | None:
            return flag(request.arg(name)) if request.arg(name) else None

        return cls(
            start=max(starts, default=None),
            end=min(ends, default=None),
            customers=ids("customer"),
            projects=ids("project"),
            services=ids("service"),
            users=ids("user"),
            billable=on("billable"),
            locked=on("locked"),
            tracking=on("tracking"),
            notes=tuple(n.casefold() for n in notes if n),
            sort=sort,
            desc=direction == "desc" if direction in ("asc", "desc") else sort in DESC_BY_DEFAULT,
            own=user["id"] if user["role"] == "time_tracker" else None,
        )

    def run(self, snap: Snapshot) -> list[Record]:
        rows = snap.entries
        # One pass per active filter: list comprehensions beat a predicate chain at 100,000 rows.
        if self.start:
            rows = [r for r in rows if r["date_at"] >= self.start]
        if self.end:
            rows = [r for r in rows if r["date_at"] <= self.end]
        if self.customers is not None:
            ids = {p for p, rec in snap.projects.items() if rec["customer_id"] in self.customers}
            rows = [r for r in rows if r["project_id"] in ids]
        for field, wanted in (
            ("project_id", self.projects),
            ("service_id", self.services),
            ("user_id", self.users),
        ):
            if wanted is not None:
                rows = [r for r in rows if r[field] in wanted]
        if self.own is not None:
            rows = [r for r in rows if r["user_id"] == self.own]
        for field, value in (("billable", self.billable), ("locked", self.locked)):
            if value is not None:
                rows = [r for r in rows if r[field] is value]
        if self.tracking is not None:
            rows = [r for r in rows if (r["id"] in snap.tracking) is self.tracking]
        if self.notes:
            rows = [r for r in rows if any(n in r["note"].casefold() for n in self.notes)]
        return sorted(rows, key=self._sort_key(snap), reverse=self.desc)

    def _sort_key(self, snap: Snapshot) -> Callable[[Record], tuple[Any, int]]:
        def name(table: dict[int, Record], rid: int | None) -> str:
            return sort_name((table.get(rid or 0) or {}).get("name"))

        customer_of = {p: rec["customer_id"] for p, rec in snap.projects.items()}
        # Ties break on id, so pages stay stable between requests.
        keys: dict[str, Callable[[Record], tuple[Any, int]]] = {
            "date": lambda r: (r["date_at"], r["id"]),
            "minutes": lambda r: (r["minutes"], r["id"]),
            "revenue": lambda r: (revenue(r["minutes"], r["hourly_rate"]) or -1.0, r["id"]),
            "note": lambda r: (sort_name(r["note"]), r["id"]),
            "user": lambda r: (name(snap.users, r["user_id"]), r["id"]),
            "project": lambda r: (name(snap.projects, r["project_id"]), r["id"]),
            "service": lambda r: (name(snap.services, r["service_id"]), r["id"]),
            "customer": lambda r: (name(snap.customers, customer_of.get(r["project_id"])), r["id"]),
        }
        return keys[self.sort]


class EntryLists:
    """A small LRU of filtered, sorted entry lists keyed by (store version, query)."""

    def __init__(self, size: int = 16) -> None:
        self._lock = threading.Lock()
        self._lists: OrderedDict[tuple[Any, ...], list[Record]] = OrderedDict()
        self._size = size

    def get(self, snap: Snapshot, query: EntryQuery) -> list[Record]:
        key = (snap.version, query)
        with self._lock:
            rows = self._lists.get(key)
            if rows is not None:
                self._lists.move_to_end(key)
                return rows
        rows = query.run(snap)  # outside the lock: other pages of cached lists keep flowing
        with self._lock:
            self._lists[key] = rows
            while len(self._lists) > self._size:
                self._lists.popitem(last=False)
        return rows


def page(rows: list[Any], request: Request) -> list[Any]:
    """`limit` + `page` (1-based); without `limit`, everything: `page` alone does nothing."""
    limit, number = request.arg("limit", ""), request.arg("page", "1")
    if not (limit and limit.isdigit() and int(limit) > 0):
        return rows
    size = int(limit)
    start = (int(number) - 1) * size if number and number.isdigit() and int(number) > 0 else 0
    return rows[start : start + size]
