"""mite's wire format to the domain models: cents to Decimal, envelopes, nulls.

Pure functions, no I/O. shared/api/mite.md §3/§4: every object sits under its root key (also
inside lists), money is integer cents, durations are integer minutes, dates `YYYY-MM-DD`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from core.errors import ConfigError, ServerError
from core.models import Customer, Project, Service, TimeEntry, User

CENT = Decimal("0.01")
# A subdomain label: letters, digits and inner hyphens, at most 63 characters.
ACCOUNT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def account_name(account: str) -> str:
    """The account as a bare subdomain (`acme` for https://acme.mite.de), lower-cased.

    Anything else raises ConfigError; where the input is a mite address, the message names the
    subdomain it holds so the user can just take it."""
    text = (account or "").strip().lower()
    if ACCOUNT_NAME.fullmatch(text):
        return text
    if not text:
        raise ConfigError(
            "mite: the account name is empty. Enter the first part of your mite address, "
            "e.g. 'acme' for https://acme.mite.de.",
            service="mite",
        )
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/")[0]
    guess = host.split(".")[0] if host.endswith((".mite.de", ".mite.yo.lk")) else ""
    hint = (
        f" Did you mean '{guess}'?"
        if guess and ACCOUNT_NAME.fullmatch(guess)
        else " Use only letters, digits and hyphens."
    )
    raise ConfigError(
        f"mite: {account.strip()!r} is not an account name. Enter only the first part of your "
        f"mite address, e.g. 'acme' for https://acme.mite.de.{hint}",
        service="mite",
    )


def unwrap(item: Any, key: str) -> dict[str, Any]:
    """The object inside mite's `{key: {...}}` envelope (a bare object is taken as it is)."""
    if isinstance(item, dict):
        inner = item.get(key, item)
        if isinstance(inner, dict):
            return inner
    raise ServerError(
        f"mite sent a {key.replace('_', ' ')} in a shape timebill cannot read "
        f"(expected an object under {key!r}).",
        service="mite",
    )


def unwrap_list(data: Any, key: str) -> list[dict[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise ServerError(
            f"mite answered a list request with {type(data).__name__}, not a list.",
            service="mite",
        )
    return [unwrap(item, key) for item in data]


def cents(value: Any) -> Decimal | None:
    """Integer (or float) cents to currency units, rounded to the cent once, here."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return (Decimal(str(value)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None


def _key(raw: dict[str, Any], kind: str) -> str:
    if raw.get("id") is None:
        raise ServerError(f"mite sent a {kind} without an id.", service="mite")
    return str(raw["id"])


def _id(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def entry(item: Any) -> TimeEntry:
    raw = unwrap(item, "time_entry")
    try:
        entry_id = str(raw["id"])
        day = dt.date.fromisoformat(str(raw["date_at"])[:10])
    except (KeyError, ValueError):
        raise ServerError(
            f"mite sent a time entry without a readable id or date (id {raw.get('id')!r}).",
            service="mite",
        ) from None
    tracking = raw.get("tracking")
    minutes = raw.get("minutes") or 0
    if isinstance(tracking, dict) and tracking.get("minutes") is not None:
        minutes = tracking["minutes"]  # a running timer: its own count is the current one
    rate = cents(raw.get("hourly_rate"))
    return TimeEntry(
        id=entry_id,
        source="mite",
        date=day,
        minutes=int(minutes),
        note=raw.get("note") or "",
        customer_id=_id(raw.get("customer_id")),
        customer_name=_text(raw.get("customer_name")),
        project_id=_id(raw.get("project_id")),
        project_name=_text(raw.get("project_name")),
        service_id=_id(raw.get("service_id")),
        service_name=_text(raw.get("service_name")),
        user_id=_id(raw.get("user_id")),
        user_name=_text(raw.get("user_name")),
        billable=raw.get("billable") is not False,
        # mite has no "billed" state: timebill locks what it invoiced (digest §2).
        billed=raw.get("locked") is True,
        running=bool(tracking),
        # mite reports 0 where no rate applies.
        hourly_rate=rate or None,
        # UNCERTAIN (digest 3.): revenue taken as cents, like hourly_rate.
        revenue=cents(raw.get("revenue")),
    )


def customer(item: Any) -> Customer:
    raw = unwrap(item, "customer")
    return Customer(
        id=_key(raw, "customer"), name=raw.get("name") or "", archived=bool(raw.get("archived"))
    )


def project(item: Any) -> Project:
    raw = unwrap(item, "project")
    return Project(
        id=_key(raw, "project"),
        name=raw.get("name") or "",
        customer_id=_id(raw.get("customer_id")),
        customer_name=_text(raw.get("customer_name")),
        archived=bool(raw.get("archived")),
    )


def service(item: Any) -> Service:
    raw = unwrap(item, "service")
    return Service(
        id=_key(raw, "service"),
        name=raw.get("name") or "",
        hourly_rate=cents(raw.get("hourly_rate")) or None,
        billable=raw.get("billable") if isinstance(raw.get("billable"), bool) else None,
        archived=bool(raw.get("archived")),
    )


def user(item: Any) -> User:
    raw = unwrap(item, "user")
    return User(
        id=_key(raw, "user"),
        name=raw.get("name") or "",
        email=_text(raw.get("email")),
        role=_text(raw.get("role")),
        archived=bool(raw.get("archived")),
    )
