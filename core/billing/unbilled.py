"""The unbilled overview: per tracker customer the open (billable, not billed) hours, the amount,
the age of the oldest open entry, and the amount per month over the last months. Pure: entries
in, figures out (no network, no UI), shared by `timebill unbilled` and the app's Overview screen.

An entry is open when it is billable, not billed, not a running timer and not held by an
unfinished invoice (`held`). The amount is the tracker's own (`entry_amount`: revenue, else
hours x rate rounded to the cent per entry, or a lump sum) summed without further rounding;
entries without any price count into the hours and `unpriced`, never into the amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from timebill.core.models import TimeEntry
from timebill.core.money import entry_amount
from timebill.core.periods import month_range

ZERO = Decimal(0)
NO_CUSTOMER = ""


def window(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The first day of the month `months - 1` before today's, and today: the current month is
    counted (work of this month is unbilled too)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    return month_range(today, months - 1)[0], today


def month_starts(today: dt.date, months: int) -> tuple[dt.date, ...]:
    """The months of the window as their first days, oldest first."""
    return tuple(month_range(today, back)[0] for back in range(months - 1, -1, -1))


@dataclass
class CustomerOpen:
    customer_id: str
    name: str
    minutes: int = 0
    amount: Decimal = ZERO
    entries: int = 0
    # Open entries without any price (no revenue, rate or lump sum): hours only.
    unpriced: int = 0
    oldest: dt.date | None = None
    by_month: dict[dt.date, Decimal] = field(default_factory=dict)
    minutes_by_month: dict[dt.date, int] = field(default_factory=dict)
    entry_ids: list[str] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        return Decimal(self.minutes) / 60

    def age_days(self, today: dt.date) -> int:
        return (today - self.oldest).days if self.oldest else 0


@dataclass(frozen=True)
class Overview:
    today: dt.date
    start: dt.date
    end: dt.date
    months: tuple[dt.date, ...]
    # Sorted by amount (largest first), then hours, then name.
    customers: tuple[CustomerOpen, ...]

    @property
    def amount(self) -> Decimal:
        return sum((c.amount for c in self.customers), ZERO)

    @property
    def minutes(self) -> int:
        return sum(c.minutes for c in self.customers)

    @property
    def entries(self) -> int:
        return sum(c.entries for c in self.customers)

    @property
    def oldest(self) -> dt.date | None:
        dates = [c.oldest for c in self.customers if c.oldest]
        return min(dates) if dates else None

    def month_totals(self) -> dict[dt.date, Decimal]:
        return {
            m: sum((c.by_month.get(m, ZERO) for c in self.customers), ZERO) for m in self.months
        }


def is_open(entry: TimeEntry, held: Collection[str] = ()) -> bool:
    return entry.billable and not entry.billed and not entry.running and entry.id not in held


def unbilled(
    entries: Iterable[TimeEntry],
    today: dt.date,
    months: int = 3,
    *,
    held: Collection[str] = (),
) -> Overview:
    """The overview of the open entries dated within the last `months` months (up to today)."""
    start, end = window(today, months)
    starts = month_starts(today, months)
    held = held if isinstance(held, set | frozenset) else set(held)
    found: dict[str, CustomerOpen] = {}
    for entry in entries:
        if not (start <= entry.date <= end) or not is_open(entry, held):
            continue
        key = entry.customer_id or NO_CUSTOMER
        row = found.get(key)
        if row is None:
            row = found[key] = CustomerOpen(key, entry.customer_name or "")
        month = entry.date.replace(day=1)
        amount = entry_amount(entry)
        minutes = entry.minutes if entry.kind == "time" else 0
        row.entries += 1
        row.entry_ids.append(entry.id)
        row.minutes += minutes
        row.minutes_by_month[month] = row.minutes_by_month.get(month, 0) + minutes
        if amount is None:
            row.unpriced += 1
        else:
            row.amount += amount
            row.by_month[month] = row.by_month.get(month, ZERO) + amount
        if row.oldest is None or entry.date < row.oldest:
            row.oldest = entry.date
    rows = sorted(
        found.values(), key=lambda c: (-c.amount, -c.minutes, c.name.casefold(), c.customer_id)
    )
    return Overview(today, start, end, starts, tuple(rows))
