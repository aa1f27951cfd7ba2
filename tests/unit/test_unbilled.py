"""The unbilled overview's figures (core/billing/unbilled.py): what is open, per customer and
month, the amount to the cent, the oldest open entry and the order of the bars."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from timebill.core.billing.unbilled import month_starts, unbilled, window
from timebill.core.models import TimeEntry

TODAY = dt.date(2026, 11, 28)


def entry(entry_id: str, day: str, minutes: int = 60, **fields: Any) -> TimeEntry:
    values: dict[str, Any] = {
        "customer_id": "c1",
        "customer_name": "Müller",
        "hourly_rate": Decimal("90"),
    }
    values.update(fields)
    return TimeEntry(
        id=entry_id, source="mite", date=dt.date.fromisoformat(day), minutes=minutes, **values
    )


def test_window_counts_this_month_and_the_ones_before() -> None:
    assert window(TODAY, 3) == (dt.date(2026, 9, 1), TODAY)
    assert window(dt.date(2026, 2, 10), 3) == (dt.date(2025, 12, 1), dt.date(2026, 2, 10))
    assert month_starts(dt.date(2026, 1, 5), 2) == (dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    with pytest.raises(ValueError):
        window(TODAY, 0)


def test_only_open_billable_entries_count() -> None:
    entries = [
        entry("open", "2026-11-02"),
        entry("billed", "2026-11-02", billed=True),
        entry("not-billable", "2026-11-02", billable=False),
        entry("running", "2026-11-02", running=True),
        entry("held", "2026-11-02"),
        entry("too-old", "2026-08-31"),
        entry("future", "2026-11-29"),
    ]
    overview = unbilled(entries, TODAY, 3, held={"held"})
    [row] = overview.customers
    assert row.entry_ids == ["open"]
    assert (row.minutes, row.amount, row.entries) == (60, Decimal("90.00"), 1)


def test_amount_per_customer_and_month_to_the_cent() -> None:
    entries = [
        # 20 min at 100.00 = 33.333.. -> 33.33 per entry (the tracker's amount, rounded once)
        entry("a", "2026-09-30", 20, hourly_rate=Decimal("100")),
        entry("b", "2026-10-01", 20, hourly_rate=Decimal("100")),
        entry("c", "2026-10-15", 45, revenue=Decimal("71.25"), hourly_rate=None),
        entry(
            "d",
            "2026-11-03",
            0,
            kind="lumpsum",
            lumpsum_amount=Decimal("19.90"),
            hourly_rate=None,
        ),
    ]
    overview = unbilled(entries, TODAY, 3)
    [row] = overview.customers
    sep, oct_, nov = overview.months
    assert row.by_month == {sep: Decimal("33.33"), oct_: Decimal("104.58"), nov: Decimal("19.90")}
    assert row.amount == Decimal("157.81") == overview.amount
    assert row.minutes == 85  # the lump sum carries money, not time
    assert row.minutes_by_month == {sep: 20, oct_: 65, nov: 0}
    assert isinstance(row.amount, Decimal) and isinstance(row.oldest, dt.date)
    assert overview.month_totals() == row.by_month


def test_oldest_entry_and_its_age_in_days() -> None:
    overview = unbilled(
        [entry("new", "2026-11-20"), entry("old", "2026-09-09"), entry("mid", "2026-10-01")],
        TODAY,
        3,
    )
    [row] = overview.customers
    assert row.oldest == dt.date(2026, 9, 9)
    assert row.age_days(TODAY) == 80
    assert overview.oldest == dt.date(2026, 9, 9)


def test_entries_without_a_price_count_hours_not_money() -> None:
    overview = unbilled(
        [entry("priced", "2026-11-02"), entry("free", "2026-11-03", 30, hourly_rate=None)],
        TODAY,
        1,
    )
    [row] = overview.customers
    assert (row.minutes, row.amount, row.unpriced) == (90, Decimal("90.00"), 1)


def test_bars_sorted_by_amount_then_hours_then_name() -> None:
    entries = [
        entry("1", "2026-11-02", 60, customer_id="small", customer_name="Zeta"),
        entry("2", "2026-11-02", 600, customer_id="big", customer_name="Beta"),
        entry("3", "2026-11-02", 60, customer_id="tie", customer_name="Alpha"),
        entry("4", "2026-11-02", 60, customer_id="none", customer_name=None, hourly_rate=None),
    ]
    overview = unbilled(entries, TODAY, 1)
    assert [c.customer_id for c in overview.customers] == ["big", "tie", "small", "none"]
    assert overview.customers[-1].name == ""
    assert overview.entries == 4 and overview.minutes == 780


def test_nothing_open_is_an_empty_overview() -> None:
    overview = unbilled([entry("x", "2026-11-02", billed=True)], TODAY, 3)
    assert overview.customers == ()
    assert overview.amount == Decimal(0) and overview.oldest is None
