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

from core.models import Service, TimeEntry

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
    """One v2 entry as a TimeEntry. `date` is the local date of its start in the user's zone (an
    entry at 00:30 in Berlin starts the day before in UTC). `lumpsum_prices` maps a lump-sum
    service id to its (name, price)."""
    kind = int(raw.get("type") or 1)
    code = int(raw.get("billable") or 0)
    fields: dict[str, Any] = {
        "id": str(raw["id"]),
        "source": "clockodo",
        "date": local_date(str(raw["time_since"]), tz),
        "minutes": 0,
        "note": raw.get("text") or "",
        "customer_id": ref(raw.get("customers_id")),
        "customer_name": raw.get("customers_name"),
        "project_id": ref(raw.get("projects_id")),
        "project_name": raw.get("projects_name"),
        "service_id": ref(raw.get("services_id")),
        "service_name": raw.get("services_name"),
        "user_id": ref(raw.get("users_id")),
        "user_name": raw.get("users_name"),
        "billable": code in (BILLABLE, BILLED),
        "billed": code == BILLED,
        "revenue": decimal(raw.get("revenue")),
    }
    if kind == 1:
        fields.update(
            minutes=minutes(raw.get("duration")),
            running=raw.get("time_until") is None,
            hourly_rate=decimal(raw.get("hourly_rate")),
        )
    elif kind == 2:
        fields.update(kind="lumpsum", lumpsum_amount=decimal(raw.get("lumpsum")))
        fields["lumpsum_quantity"] = Decimal(1)
    else:
        service_id = ref(raw.get("lumpsum_services_id"))
        name, price = lumpsum_prices.get(service_id or "", (None, None))
        quantity = decimal(raw.get("lumpsum_services_amount"))
        amount = fields["revenue"]
        if amount is None and quantity is not None and price is not None:
            amount = quantity * price
        fields.update(
            kind="lumpsum",
            service_id=f"{LUMPSUM_SERVICE_PREFIX}{service_id}" if service_id else None,
            service_name=name,
            lumpsum_amount=amount,
            lumpsum_quantity=quantity,
        )
    return TimeEntry(**fields)
