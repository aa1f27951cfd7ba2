"""One time-tracker entry, the domain's hot path: a slotted dataclass without pydantic, so the
app's first screen and the adapters' readers do not wait for pydantic to load.

The other domain models (customers, invoices, plans) are in `timebill.core.models`, which
re-exports everything here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, make_dataclass
from decimal import Decimal
from typing import Any, Literal, cast

SourceName = Literal["mite", "clockodo"]
ServiceName = Literal["mite", "clockodo", "billomat"]
EntryKind = Literal["time", "lumpsum"]
SERVICE_TITLES: dict[str, str] = {
    "mite": "mite",
    "clockodo": "clockodo",
    "billomat": "Billomat",
}
# How an invoice's unit prices are meant (Billomat `net_gross`): a GROSS unit price includes
# the tax.
NetGross = Literal["NET", "GROSS"]
# Billomat client `tax_rule`.
TaxRule = Literal["TAX", "NO_TAX", "COUNTRY"]


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """One time-tracker entry. `billed` means locked (mite) or billable=2 (clockodo).

    A slotted dataclass, not a validated model: a month of 100,000 entries is built in the
    adapters' hot path, and the wire readers (sources/mite_wire.py, clockodo_wire.py) convert
    every value to the field's exact type themselves (tests/test_fast_entry.py holds them to
    it)."""

    id: str
    source: SourceName
    date: dt.date
    minutes: int
    note: str = ""
    customer_id: str | None = None
    customer_name: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    service_id: str | None = None
    service_name: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    billable: bool = True
    billed: bool = False
    # A running timer: its duration is not final, so it can never be billed.
    running: bool = False
    # Currency units per hour; None where the tracker reports no rate.
    hourly_rate: Decimal | None = None
    revenue: Decimal | None = None
    # clockodo lump-sum entries (types 2 and 3) carry money, not time.
    kind: EntryKind = "time"
    lumpsum_amount: Decimal | None = None
    lumpsum_quantity: Decimal | None = None

    @property
    def hours(self) -> Decimal:
        return Decimal(self.minutes) / 60

    def as_json(self) -> dict[str, Any]:
        """The fields in declaration order, as JSON keeps them: dates ISO, money as strings
        (never a float), None as null."""
        return {name: _json_value(getattr(self, name)) for name in ENTRY_FIELDS}


ENTRY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TimeEntry))


def _become_time_entry(self: Any) -> None:
    self.__class__ = TimeEntry


# The adapters' hot path builds 100,000 entries for a busy month, and a frozen dataclass's
# __init__ sets each of its 21 fields through object.__setattr__ (3-4x the time of a plain
# slotted class). `new_entry` takes TimeEntry's arguments, builds an unfrozen twin with the same
# slots in the same order, and turns it into the TimeEntry it is (CPython allows __class__
# assignment between classes of the same layout; tests/test_fast_entry.py checks the result).
new_entry = cast(
    "Callable[..., TimeEntry]",
    make_dataclass(
        "new_entry",
        [
            (f.name, f.type) if f.default is MISSING else (f.name, f.type, f.default)
            for f in fields(TimeEntry)
        ],
        slots=True,
        eq=False,
        repr=False,
        namespace={"__post_init__": _become_time_entry, "__module__": __name__},
    ),
)


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
