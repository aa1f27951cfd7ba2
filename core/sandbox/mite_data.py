"""The mite emulator's data: the demo account, its keys and ids, the seed in mite's wire format,
and the small parsers the API's query strings need.

Entries are stored compact (ids, no names): names are joined in when a page is encoded, as mite
shows a renamed project on every entry, and 100,000 stored entries stay small.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from typing import Any

from timebill.core.sandbox.seed import TIMEZONE, SeedEntry, World
from timebill.core.sandbox.store import Store

ACCOUNT = "nordlicht"
ACCOUNT_JSON = {
    "id": 1932,
    "name": ACCOUNT,
    "title": "Agentur Nordlicht GmbH",
    "currency": "EUR",
    "created_at": "2019-06-01T08:00:00+02:00",
    "updated_at": "2026-01-05T09:12:00+01:00",
}
# Made-up keys (mite keys are 16 hex digits), by seed user key: 1 owner, 2 admin, 3 coworker.
KEYS = {1: "a3f9c27e5b1d8046", 2: "7c0e4b9a2f6d1385", 3: "e18d5a7c93b0f264"}
# Sandbox-only passwords for HTTP Basic (e-mail + password), by seed user key.
PASSWORDS = {1: "nordlicht-anna", 2: "nordlicht-jonas", 3: "nordlicht-leyla"}
USER_BASE, CUSTOMER_BASE, PROJECT_BASE, SERVICE_BASE = 246800, 207100, 310100, 55500
ENTRY_BASE = 48150000
CREATED = "2024-01-15T09:00:00+01:00"
STAMPS = {"created_at": CREATED, "updated_at": CREATED}


class Fail(Exception):
    """An API error: becomes `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    return dt.datetime.now(TIMEZONE).replace(microsecond=0).isoformat()


def sort_name(text: Any) -> str:
    """Names sorted as a person expects (Ä with A, case ignored), not by code point."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def revenue(minutes: int, rate: int) -> float | None:
    """Cents, rounded half up once per entry; null where no rate applies. A float, as mite's
    sample entry shows (`13500.0`)."""
    if not rate:
        return None
    return float((minutes * rate * 2 + 60) // 120)


def flag(value: Any) -> bool | None:
    """`true`/`false` (query strings, JSON); anything else is no value."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in ("true", "1") else False if text in ("false", "0") else None


def id_set(value: str | None, current: int) -> frozenset[int] | None:
    """One id or comma-separated ids; `current` is the caller. None: no filter."""
    if value is None or not value.strip():
        return None
    ids = set()
    for token in value.split(","):
        token = token.strip()
        if token == "current":
            ids.add(current)
        elif token.isdigit():
            ids.add(int(token))
    return frozenset(ids)


def date_range(value: str | None, name: str, today: dt.date) -> tuple[str, str] | None:
    """The inclusive ISO date range a `from`/`to`/`at`/`date_at` value stands for."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    day = dt.timedelta(1)
    monday = today - dt.timedelta(today.weekday())
    first = today.replace(day=1)
    ranges = {
        "today": (today, today),
        "yesterday": (today - day, today - day),
        "this_week": (monday, monday + 6 * day),
        "last_week": (monday - 7 * day, monday - day),
        "this_month": (first, (first + 32 * day).replace(day=1) - day),
        "last_month": ((first - day).replace(day=1), first - day),
        "this_year": (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)),
        "last_year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    }
    if value in ranges:
        start, end = ranges[value]
        return start.isoformat(), end.isoformat()
    try:
        return (dt.date.fromisoformat(value).isoformat(),) * 2
    except ValueError:
        raise Fail(422, f"Invalid date for {name}: {value!r} (use YYYY-MM-DD)") from None


def seed(store: Store, world: World) -> None:
    """The world in mite's shape. Lump sums are left out: mite has none."""
    put = store.seed
    for u in world.users:
        put("mite", "users", {"id": USER_BASE + u.key, "name": u.name, "email": u.email,
                              "note": "", "archived": False, "role": u.role, "language": "de",
                              **STAMPS})  # fmt: skip
    for c in world.customers:
        rates = [
            {"service_id": SERVICE_BASE + s, "hourly_rate": int(r * 100)}
            for s, r in sorted(c.rates.items())
        ]
        active = "hourly_rates_per_service" if rates else None
        put("mite", "customers", {"id": CUSTOMER_BASE + c.key, "name": c.name,
                                  "note": f"Kundennummer {c.number}", "hourly_rate": 0,
                                  "active_hourly_rate": active, "hourly_rates_per_service": rates,
                                  "archived": False, **STAMPS})  # fmt: skip
    for p in world.projects:
        put("mite", "projects", {"id": PROJECT_BASE + p.key, "name": p.name, "note": "",
                                 "customer_id": CUSTOMER_BASE + p.customer,
                                 "customer_name": world.customer(p.customer).name, "budget": 0,
                                 "budget_type": "minutes", "hourly_rate": 0,
                                 "active_hourly_rate": None, "hourly_rates_per_service": [],
                                 "archived": False, **STAMPS})  # fmt: skip
    for s in world.services:
        put("mite", "services", {"id": SERVICE_BASE + s.key, "name": s.name, "note": "",
                                 "hourly_rate": int(s.rate * 100), "archived": False,
                                 "billable": s.billable, **STAMPS})  # fmt: skip
    days: dict[dt.date, tuple[str, str]] = {}
    cents: dict[Decimal, int] = {}
    entries = [_entry(e, days, cents) for e in world.entries if e.kind == "time"]
    # Straight into the collection: per-object `seed` calls cost a third of the start at 100,000.
    store.collection("mite", "time_entries").update((str(r["id"]), r) for r in entries[:-1])
    for record in entries[-1:]:
        put("mite", "time_entries", record)  # sets the id counter for new entries


def _entry(
    e: SeedEntry, days: dict[dt.date, tuple[str, str]], cents: dict[Decimal, int]
) -> dict[str, Any]:
    # Memos and string arithmetic: 100,000 datetimes and Decimal products would slow the start.
    if e.date not in days:
        noon = dt.datetime.combine(e.date, dt.time(12), TIMEZONE).isoformat()
        days[e.date] = (e.date.isoformat(), noon[-6:])
    if e.rate not in cents:
        cents[e.rate] = int(e.rate * 100)
    day, offset = days[e.date]
    # Created when the work ended.
    end = min(e.start.hour * 60 + e.start.minute + e.minutes, 23 * 60 + 59)
    stamp = f"{day}T{end // 60:02d}:{end % 60:02d}:00{offset}"
    return {
        "id": ENTRY_BASE + e.key,
        "date_at": day,
        "minutes": e.minutes,
        "note": e.note,
        "user_id": USER_BASE + e.user,
        "project_id": PROJECT_BASE + e.project,
        "service_id": SERVICE_BASE + e.service,
        "billable": e.billable,
        "locked": e.billed,
        # Billed entries were locked by the owner when she invoiced them.
        "locked_by": USER_BASE + 1 if e.billed else None,
        "hourly_rate": cents[e.rate],
        "created_at": stamp,
        "updated_at": stamp,
    }


def rate_for(store: Store, project_id: int | None, service_id: int | None) -> tuple[int, bool]:
    """(hourly_rate cents, billable) for a new or moved entry. The project's rate setting goes
    before the customer's (UNCERTAIN in the digest, §3 "Rates"), then the service's own rate."""
    service = store.get("mite", "services", str(service_id)) if service_id else None
    if service is None:
        return 0, True
    if not service["billable"]:
        return 0, False
    project = store.get("mite", "projects", str(project_id)) if project_id else None
    customer = store.get("mite", "customers", str(project["customer_id"])) if project else None
    for owner in (project, customer):
        if owner and owner["active_hourly_rate"] == "hourly_rate":
            return owner["hourly_rate"], True
        if owner and owner["active_hourly_rate"] == "hourly_rates_per_service":
            for rate in owner["hourly_rates_per_service"]:
                if rate["service_id"] == service["id"]:
                    return rate["hourly_rate"], True
    return service["hourly_rate"], True
