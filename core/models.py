"""The normalized domain. Money is `Decimal` in currency units, durations are minutes, ids are str.

Adapters convert each service's wire format (mite cents, clockodo seconds and floats, Billomat
strings) into these models; nothing above the adapters sees a wire format.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict
from timebill.core.entry import ENTRY_FIELDS as ENTRY_FIELDS
from timebill.core.entry import SERVICE_TITLES as SERVICE_TITLES
from timebill.core.entry import EntryKind as EntryKind
from timebill.core.entry import NetGross as NetGross
from timebill.core.entry import ServiceName as ServiceName
from timebill.core.entry import SourceName as SourceName
from timebill.core.entry import TaxRule as TaxRule
from timebill.core.entry import TimeEntry as TimeEntry
from timebill.core.entry import new_entry as new_entry


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


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
