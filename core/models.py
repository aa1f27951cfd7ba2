"""The normalized domain. Money is `Decimal` in currency units, durations are minutes, ids are str.

Adapters convert each service's wire format (mite cents, clockodo seconds and floats, Billomat
strings) into these models; nothing above the adapters sees a wire format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, make_dataclass
from decimal import Decimal
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict

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


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


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


class Customer(_Model):
    id: str
    name: str
    archived: bool = False
    number: str | None = None


class Project(_Model):
    id: str
    name: str
    customer_id: str | None = None
    customer_name: str | None = None
    archived: bool = False


class Service(_Model):
    id: str
    name: str
    hourly_rate: Decimal | None = None
    billable: bool | None = None
    archived: bool = False


class User(_Model):
    id: str
    name: str
    email: str | None = None
    role: str | None = None
    archived: bool = False


class Account(_Model):
    """Who a key belongs to, as `verify()` reports it."""

    service: ServiceName
    name: str
    id: str | None = None
    user_name: str | None = None
    user_id: str | None = None
    role: str | None = None
    currency: str | None = None
    timezone: str | None = None


class MarkResult(_Model):
    """Outcome of marking (or releasing) entries: which ids changed and why others did not."""

    succeeded: tuple[str, ...] = ()
    failed: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.failed


class BillomatClient(_Model):
    id: str
    name: str
    client_number: str | None = None
    currency_code: str | None = None
    archived: bool = False
    # The price setting that applies to this client's invoices: its own `net_gross`, or the
    # account's (`net_gross_from` says which) when the client says SETTINGS.
    net_gross: NetGross = "NET"
    net_gross_from: Literal["client", "account"] = "account"
    tax_rule: TaxRule = "COUNTRY"
    country_code: str | None = None
    vat_number: str | None = None


class Tax(_Model):
    id: str
    name: str
    rate: Decimal
    is_default: bool = False


class Unit(_Model):
    id: str
    name: str


class Article(_Model):
    id: str
    title: str
    article_number: str | None = None
    description: str = ""
    sales_price: Decimal | None = None
    currency_code: str | None = None
    unit_id: str | None = None
    unit_name: str | None = None
    tax_id: str | None = None
    tax_rate: Decimal | None = None
    archived: bool = False


class InvoiceLine(_Model):
    """One invoice item as it will be created in Billomat (NET pricing).

    `total_net` is quantity x unit_price rounded to cents once, half up: the rule the sandbox
    applies and the one we take Billomat to apply (shared/api/billomat.md §6)."""

    title: str
    description: str = ""
    quantity: Decimal
    unit: str = "Stunde"
    unit_price: Decimal
    tax_name: str = "MwSt"
    tax_rate: Decimal
    article_id: str | None = None
    # Which tracker entries this line bills (empty for a line the user added by hand).
    entry_ids: tuple[str, ...] = ()
    total_net: Decimal
    # How the quantity was rounded, e.g. "rounded up to 15 min per entry"; shown in the preview.
    rounding_note: str = ""
    # The line's value at the tracker's exact minutes (Σ minutes × rate / 60, not rounded);
    # None for lump sums and lines edited by hand.
    exact_net: Decimal | None = None


class TaxTotal(_Model):
    name: str
    rate: Decimal
    net: Decimal
    amount: Decimal


class Implausible(_Model):
    """An entry (or a day's entries) that looks wrong: shown, billed only once confirmed.

    kind: "long_entry" (one entry over 24 h), "long_day" (one person over 24 h on a day),
    "negative_rate" (the entry's hourly rate is below 0). `amount` is minutes or the rate."""

    kind: Literal["long_entry", "long_day", "negative_rate"]
    entry_ids: tuple[str, ...]
    day: dt.date
    amount: Decimal
    who: str = ""


class InvoicePlan(_Model):
    """Everything needed to create one draft; `marker` travels with the draft (its customfield)
    so a crashed run can find the draft again instead of creating a second one."""

    id: str
    marker: str
    source: SourceName
    client_id: str
    client_name: str = ""
    currency: str = "EUR"
    title: str = ""
    intro: str = ""
    note: str = ""
    service_start: dt.date
    service_end: dt.date
    lines: tuple[InvoiceLine, ...]
    entry_ids: tuple[str, ...]
    total_net: Decimal
    taxes: tuple[TaxTotal, ...]
    total_gross: Decimal
    # Sent as the invoice's `net_gross`; on GROSS the unit prices sent include the tax.
    net_gross: NetGross = "NET"
    # Which tax treatment applied (domestic, reverse_charge, outside_eu, no_tax), why (a code of
    # timebill.core.invoicing.taxrule) and the note it adds to the invoice's texts.
    tax_treatment: str = "domestic"
    tax_reason: str = ""
    tax_country: str = ""
    tax_note: str = ""
    # Net at the tracker's exact minutes (Σ minutes × rate / 60), to say what rounding changed.
    exact_net: Decimal | None = None
    tax_vat_id: str = ""
    implausible: tuple[Implausible, ...] = ()


class Invoice(_Model):
    """A Billomat invoice as read back (drafts, created drafts)."""

    id: str
    client_id: str
    status: str
    invoice_number: str = ""
    title: str = ""
    label: str = ""
    date: dt.date | None = None
    supply_date: str = ""
    currency_code: str = ""
    total_net: Decimal = Decimal("0")
    total_gross: Decimal = Decimal("0")
    customfield: str = ""
    item_count: int | None = None
    net_gross: NetGross = "NET"
    note: str = ""
