"""clockodo's wire format, turned into the domain (shared/api/clockodo.md §3-§4).

Times are ISO 8601 UTC, durations seconds, money floats in currency units, billable 0/1/2,
entry types 1 (time), 2 (lump-sum value), 3 (lump-sum service).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from timebill.core.models import Service, TimeEntry, new_entry
from timebill.core.sources.shared_values import SharedValues

log = logging.getLogger("timebill.clockodo")

DEFAULT_BASE_URL = "https://my.clockodo.com"
APP_HEADER = "X-Clockodo-External-Application"
DEFAULT_APP_HEADER = "timebill;support@timebill.dev"
# The peerigon SDK refuses longer values; the API's own limit is not documented.
APP_HEADER_MAX = 50
# clockodo is a German service and accounts default to Europe/Berlin: where users/me names no
# zone (or one this machine does not know), dates are taken in Berlin time rather than failing.
FALLBACK_TIMEZONE = "Europe/Berlin"
# Lump-sum services share no id space with services: a prefix keeps the two apart wherever a
# service id is used as a key (assignments to Billomat articles).
LUMPSUM_SERVICE_PREFIX = "lumpsum-"

NOT_BILLABLE, BILLABLE, BILLED = 0, 1, 2
BILLABLE_OR_BILLED = 12


def error_text(response: httpx.Response) -> str | None:
    """The service's words from either error shape: v2 {"error": {message, fields}} or v3/v4
    {"errors": [{message}]} (UNCERTAIN, digest §5: items may be wrapped as {"error": {...}})."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        fields = [str(f) for f in error.get("fields") or [] if f]
        if fields and not any(f in message for f in fields):
            message = f"{message} (fields: {', '.join(fields)})".strip()
        return message or None
    if isinstance(error, str):
        return error
    messages = []
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            item = item.get("error", item)
            text = item.get("message") if isinstance(item, dict) else item
            if text:
                messages.append(str(text))
    return "; ".join(messages) or None


def timezone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo(FALLBACK_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("clockodo: unknown time zone %r; using %s", name, FALLBACK_TIMEZONE)
        return ZoneInfo(FALLBACK_TIMEZONE)


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_window(start: dt.date, end: dt.date, tz: ZoneInfo) -> dict[str, str]:
    """time_since/time_until covering the local days start..end: from local midnight to the last
    second before the next local midnight (the sandbox, and we assume clockodo, includes
    time_until; starts are whole seconds)."""
    since = dt.datetime.combine(start, dt.time(), tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz) - dt.timedelta(seconds=1)
    return {"time_since": utc_text(since), "time_until": utc_text(until)}


def billable_filter(billable: bool | None, billed: bool | None) -> tuple[int | None, bool]:
    """filter[billable] for a billable/billed pair, and whether any entry can match at all.

    clockodo has 0 (not billable), 1 (billable, open), 2 (billed) and 12 (1 or 2); "0 or 1" has
    no code, so open entries of any kind are fetched unfiltered and sorted out locally."""
    if billed is True:
        return (BILLED, True) if billable is not False else (None, False)
    if billed is False:
        if billable is None:
            return None, True
        return (BILLABLE if billable else NOT_BILLABLE), True
    if billable is None:
        return None, True
    return (BILLABLE_OR_BILLED if billable else NOT_BILLABLE), True


# TimeEntry field -> clockodo filter name.
FILTERS = {
    "customer_id": "customers_id",
    "project_id": "projects_id",
    "service_id": "services_id",
    "user_id": "users_id",
}


def wire_filters(wanted: Mapping[str, str | None]) -> dict[str, int] | None:
    """clockodo's filter names and values for TimeEntry fields; None where an id cannot be a
    clockodo id, so nothing can match."""
    filters: dict[str, int] = {}
    for field, value in wanted.items():
        if value is None:
            continue
        if not str(value).isdigit():
            return None
        filters[FILTERS[field]] = int(value)
    return filters


def filter_params(filters: Mapping[str, int]) -> dict[str, int]:
    return {f"filter[{name}]": value for name, value in filters.items()}


def decimal(value: Any) -> Decimal | None:
    # Through str(): Decimal(95.1) would carry the float's binary error into the money.
    return None if value is None or value == "" else Decimal(str(value))


def money(value: Any) -> Decimal | None:
    """`decimal`, refusing what no amount can be (text, NaN, infinity) with a ValueError."""
    try:
        amount = decimal(value)
    except ArithmeticError:  # decimal.InvalidOperation is no ValueError
        amount = None
    else:
        if amount is None or amount.is_finite():
            return amount
    raise ValueError(f"not an amount: {value!r}")


def minutes(seconds: Any) -> int:
    """Seconds to whole minutes, half up (30 s and more count as a minute): clockodo keeps
    seconds, the domain minutes; rounding each entry to the nearest minute keeps a day's
    total within half a minute per entry of clockodo's, where cutting seconds off would
    always undercount."""
    return (int(seconds) + 30) // 60 if seconds else 0


def ref(value: Any) -> str | None:
    return None if value is None else str(value)


def local_date(time_since: str, tz: ZoneInfo) -> dt.date:
    moment = dt.datetime.fromisoformat(time_since)
    if moment.tzinfo is None:  # ISO UTC per the digest, even when the Z is missing
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()


def lumpsum_service(raw: Mapping[str, Any]) -> Service:
    return Service(
        id=f"{LUMPSUM_SERVICE_PREFIX}{raw['id']}",
        name=str(raw.get("name") or ""),
        billable=True,
        archived=raw.get("active") is False,
    )


def entry_from_wire(
    raw: Mapping[str, Any],
    tz: ZoneInfo,
    lumpsum_prices: Mapping[str, tuple[str | None, Decimal | None]],
) -> TimeEntry:
    """One v2 entry as a TimeEntry (for many, one EntryReader shares equal values)."""
    return EntryReader(tz, lumpsum_prices)(raw)


class EntryReader:
    """Turns clockodo v2 entries into TimeEntry objects, for one listing.

    `date` is the local date of an entry's start in the user's zone (an entry at 00:30 in
    Berlin starts the day before in UTC). `lumpsum_prices` maps a lump-sum service id to its
    (name, price); it may be replaced between entries once the adapter has loaded it.

    The hot path of loading a month (benchmarks/profile_fetch.py): the entries are built
    without validation (TimeEntry is a plain dataclass), so every value below is converted to the
    field's exact type here. Equal ids, names and notes are shared between entries."""

    def __init__(
        self,
        tz: ZoneInfo,
        lumpsum_prices: Mapping[str, tuple[str | None, Decimal | None]] | None = None,
    ) -> None:
        self.tz = tz
        self.lumpsum_prices = lumpsum_prices or {}
        self._shared = SharedValues(money)
        self._hours: dict[str, dt.date | None] = {}

    def _date(self, value: Any) -> dt.date:
        """`local_date`, shared by the entries of one UTC hour where all of that hour is one
        local day (a local midnight inside the hour, in zones offset by half hours, is not)."""
        text = str(value)
        if len(text) != 20 or text[19] != "Z":  # not the canonical form: the exact way
            return local_date(text, self.tz)
        hour = text[:13]
        try:
            day = self._hours[hour]
        except KeyError:
            first = local_date(f"{hour}:00:00Z", self.tz)
            day = self._hours[hour] = (
                first if first == local_date(f"{hour}:59:59Z", self.tz) else None
            )
        return local_date(text, self.tz) if day is None else day

    def __call__(self, raw: Mapping[str, Any]) -> TimeEntry:
        get = raw.get
        shared = self._shared
        texts, ids, text, ref, amount_of = (
            shared.texts,
            shared.ids,
            shared.text,
            shared.ref,
            shared.money,
        )
        kind = get("type") or 1
        if type(kind) is not int:
            kind = int(kind)
        code = get("billable") or 0
        if type(code) is not int:
            code = int(code)
        # Inline lookups for the usual types (an int id, a str name) save a call per field.
        customer, customer_name = get("customers_id"), get("customers_name")
        project, project_name = get("projects_id"), get("projects_name")
        service, service_name = get("services_id"), get("services_name")
        user, user_name = get("users_id"), get("users_name")
        note = get("text") or ""
        fields: dict[str, Any] = {
            "id": str(raw["id"]),
            "source": "clockodo",
            "date": self._date(raw["time_since"]),
            "minutes": 0,
            "note": texts[note] if type(note) is str else text(note),
            "customer_id": ids[customer] if type(customer) is int else ref(customer),
            "customer_name": (
                texts[customer_name] if type(customer_name) is str else text(customer_name)
            ),
            "project_id": ids[project] if type(project) is int else ref(project),
            "project_name": (
                texts[project_name] if type(project_name) is str else text(project_name)
            ),
            "service_id": ids[service] if type(service) is int else ref(service),
            "service_name": (
                texts[service_name] if type(service_name) is str else text(service_name)
            ),
            "user_id": ids[user] if type(user) is int else ref(user),
            "user_name": texts[user_name] if type(user_name) is str else text(user_name),
            "billable": code == BILLABLE or code == BILLED,
            "billed": code == BILLED,
            "running": False,
            "hourly_rate": None,
            "revenue": amount_of(get("revenue")),
            "kind": "time",
            "lumpsum_amount": None,
            "lumpsum_quantity": None,
        }
        if kind == 1:
            fields["minutes"] = minutes(get("duration"))
            fields["running"] = get("time_until") is None
            fields["hourly_rate"] = amount_of(get("hourly_rate"))
        elif kind == 2:
            fields["kind"] = "lumpsum"
            fields["lumpsum_amount"] = amount_of(get("lumpsum"))
            fields["lumpsum_quantity"] = Decimal(1)
        else:
            service_id = ref(get("lumpsum_services_id"))
            name, price = self.lumpsum_prices.get(service_id or "", (None, None))
            quantity = amount_of(get("lumpsum_services_amount"))
            amount = fields["revenue"]
            if amount is None and quantity is not None and price is not None:
                amount = quantity * price
            fields["kind"] = "lumpsum"
            fields["service_id"] = f"{LUMPSUM_SERVICE_PREFIX}{service_id}" if service_id else None
            fields["service_name"] = text(name)
            fields["lumpsum_amount"] = amount
            fields["lumpsum_quantity"] = quantity
        return new_entry(**fields)
