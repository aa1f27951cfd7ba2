"""The normalized domain. Money is `Decimal` in currency units, durations are minutes, ids are str.

Adapters convert each service's wire format (mite cents, clockodo seconds and floats, Billomat
strings) into these models; nothing above the adapters sees a wire format.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

SourceName = Literal["mite", "clockodo"]
ServiceName = Literal["mite", "clockodo", "billomat"]
EntryKind = Literal["time", "lumpsum"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class TimeEntry(_Model):
    """One time-tracker entry. `billed` means locked (mite) or billable=2 (clockodo)."""

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
