"""mite's wire format to the domain models: cents to Decimal, envelopes, nulls.

Pure functions, no I/O. shared/api/mite.md §3/§4: every object sits under its root key (also
inside lists), money is integer cents, durations are integer minutes, dates `YYYY-MM-DD`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from timebill.core.errors import ConfigError, ServerError
from timebill.core.models import Customer, Project, Service, TimeEntry, User, new_entry
from timebill.core.sources.shared_values import SharedValues

CENT = Decimal("0.01")
# Below this, integer cents fit the default decimal context's 28 digits exactly.
SCALEB_LIMIT = 10**26
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
    if type(value) is int and -SCALEB_LIMIT < value < SCALEB_LIMIT:
        return Decimal(value).scaleb(-2)  # exact: the same as below, five times faster
    try:
        amount = (Decimal(str(value)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None  # "NaN" quantizes to NaN


def _key(raw: dict[str, Any], kind: str) -> str:
    if raw.get("id") is None:
        raise ServerError(f"mite sent a {kind} without an id.", service="mite")
    return str(raw["id"])


def _id(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def entry(item: Any) -> TimeEntry:
    """One time entry (for many, one EntryReader shares equal values between them)."""
    return EntryReader()(item)


class EntryReader:
    """Turns mite time entries into TimeEntry objects, for one listing.

    The hot path of loading a month (benchmarks/profile_fetch.py): the entries are built
    without validation (TimeEntry is a plain dataclass), so every value below is converted to the
    field's exact type here. Equal values (ids, names, notes, dates, amounts) are shared
    between the entries: a listing repeats a few dozen of each across thousands of entries, and
    sharing keeps 100,000 entries small in memory."""

    def __init__(self) -> None:
        self._dates: dict[str, dt.date] = {}
        self._shared = SharedValues(cents)

    def _date(self, value: Any) -> dt.date:
        text = str(value)[:10]
        day = self._dates.get(text)
        if day is None:
            day = self._dates[text] = dt.date.fromisoformat(text)
        return day

    def __call__(self, item: Any) -> TimeEntry:
        raw = unwrap(item, "time_entry")
        try:
            entry_id = str(raw["id"])
            day = self._date(raw["date_at"])
        except (KeyError, ValueError):
            raise ServerError(
                f"mite sent a time entry without a readable id or date (id {raw.get('id')!r}).",
                service="mite",
            ) from None
        get = raw.get
        tracking = get("tracking")
        minutes = get("minutes") or 0
        if isinstance(tracking, dict) and tracking.get("minutes") is not None:
            minutes = tracking["minutes"]  # a running timer: its own count is the current one
        try:
            minutes = int(minutes)
        except (TypeError, ValueError, OverflowError):
            raise ServerError(
                f"mite sent time entry {entry_id} with minutes {minutes!r}.", service="mite"
            ) from None
        shared = self._shared
        texts, ids, text, ref, money = (
            shared.texts,
            shared.ids,
            shared.text,
            shared.ref,
            shared.money,
        )
        # Inline lookups for the usual types (an int id, a str name) save a call per field.
        customer, customer_name = get("customer_id"), get("customer_name")
        project, project_name = get("project_id"), get("project_name")
        service, service_name = get("service_id"), get("service_name")
        user, user_name = get("user_id"), get("user_name")
        note = get("note") or ""
        return new_entry(
            id=entry_id,
            source="mite",
            date=day,
            minutes=minutes,
            note=texts[note] if type(note) is str else text(note) or "",
            customer_id=ids[customer] if type(customer) is int else ref(customer),
            customer_name=(
                texts[customer_name] if type(customer_name) is str else text(customer_name)
            ),
            project_id=ids[project] if type(project) is int else ref(project),
            project_name=(texts[project_name] if type(project_name) is str else text(project_name)),
            service_id=ids[service] if type(service) is int else ref(service),
            service_name=(texts[service_name] if type(service_name) is str else text(service_name)),
            user_id=ids[user] if type(user) is int else ref(user),
            user_name=texts[user_name] if type(user_name) is str else text(user_name),
            billable=flag(get("billable"), missing=True, unknown=True),
            # mite has no "billed" state: timebill locks what it invoiced (digest §2). A
            # value we cannot read counts as locked: better not billed than billed twice.
            billed=flag(get("locked"), missing=False, unknown=True),
            running=bool(tracking),
            # mite reports 0 where no rate applies.
            hourly_rate=money(get("hourly_rate")) or None,
            # UNCERTAIN (digest 3.): revenue taken as cents, like hourly_rate.
            revenue=money(get("revenue")),
            kind="time",
            lumpsum_amount=None,
            lumpsum_quantity=None,
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


def flag(value: object, *, missing: bool, unknown: bool) -> bool:
    """A JSON boolean, also when sent as "true"/"false", 1/0; None -> `missing`."""
    if value is True or value is False:
        return value
    if value is None:
        return missing
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "1", "yes"):
            return True
        if word in ("false", "0", "no", ""):
            return False
    return unknown
