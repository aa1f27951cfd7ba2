"""Right before a draft is created, the planned entries are read again from the tracker: an
entry billed, locked or deleted since the preview, or changed where the invoice depends on it
(minutes, rate, customer, billable), stops the run with the list of what changed. Also the
place for the other reason a plan can no longer be created as shown: its entries are on a live
draft of another timebill install (timebill.core.billing.drafts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from timebill.core.errors import PlanError
from timebill.core.models import TimeEntry
from timebill.core.sources.base import TimeSource

ChangeKind = Literal[
    "billed", "deleted", "minutes", "rate", "customer", "not_billable", "on_other_draft"
]


@dataclass(frozen=True)
class EntryChange:
    entry_id: str
    kind: ChangeKind
    text: str  # one line for the user, e.g. "minutes 45 -> 60"

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.text}"


class PlanChangedError(PlanError):
    """The plan cannot be created as shown: some of its entries changed. Nothing was created
    (or the draft created was deleted again); the plan is abandoned and its entries are free,
    so planning again shows the current state."""

    def __init__(self, changes: Sequence[EntryChange], plan_id: str) -> None:
        self.changes = tuple(changes)
        self.plan_id = plan_id
        shown = "; ".join(str(c) for c in self.changes[:10])
        more = f"; and {len(self.changes) - 10} more" if len(self.changes) > 10 else ""
        super().__init__(
            f"{len({c.entry_id for c in self.changes})} of the planned entries changed since "
            f"the preview ({shown}{more}). Nothing was billed: plan the invoice again.",
            entry_ids=dict.fromkeys(c.entry_id for c in self.changes),
        )


def snapshot(entry: TimeEntry) -> dict[str, Any]:
    """What the journal keeps of an entry as planned (JSON)."""
    return {
        "minutes": entry.minutes,
        "rate": None if entry.hourly_rate is None else str(entry.hourly_rate),
        "customer_id": entry.customer_id,
        "billable": entry.billable,
        "lumpsum": None if entry.lumpsum_amount is None else str(entry.lumpsum_amount),
    }


def snapshots(entries: Iterable[TimeEntry], entry_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = set(entry_ids)
    return {e.id: snapshot(e) for e in entries if e.id in wanted}


async def current(
    source: TimeSource,
    entry_ids: Sequence[str],
    start: dt.date,
    end: dt.date,
    customer_ids: Iterable[str | None] = (),
) -> dict[str, TimeEntry | None]:
    """The entries as the tracker has them now: one listing of the plan's period (of its one
    customer, where there is one), then by id each one the listing did not show (moved to
    another day or customer, or deleted: None)."""
    customers = {c for c in customer_ids if c}
    listed = await source.entries(
        start - dt.timedelta(days=1),
        end + dt.timedelta(days=1),
        customer_id=next(iter(customers)) if len(customers) == 1 else None,
    )
    wanted = set(entry_ids)
    found: dict[str, TimeEntry | None] = {e.id: e for e in listed if e.id in wanted}
    for entry_id in entry_ids:
        if entry_id not in found:
            found[entry_id] = await source.entry(entry_id)
    return found


def compare(
    entry_ids: Sequence[str],
    planned: Mapping[str, Mapping[str, Any]],
    now: Mapping[str, TimeEntry | None],
) -> list[EntryChange]:
    changes: list[EntryChange] = []
    for entry_id in entry_ids:
        entry = now.get(entry_id)
        if entry is None:
            changes.append(EntryChange(entry_id, "deleted", "deleted in the tracker"))
            continue
        if entry.billed:
            changes.append(
                EntryChange(entry_id, "billed", "billed elsewhere meanwhile (locked or billed)")
            )
            continue
        before = planned.get(entry_id)
        if not before:
            continue  # planned before snapshots were kept: billed and deleted are checked
        if before.get("minutes") != entry.minutes:
            changes.append(
                EntryChange(entry_id, "minutes", f"minutes {before['minutes']} -> {entry.minutes}")
            )
        rate = None if entry.hourly_rate is None else entry.hourly_rate
        old_rate = None if before.get("rate") is None else Decimal(before["rate"])
        if old_rate != rate:
            changes.append(EntryChange(entry_id, "rate", f"hourly rate {old_rate} -> {rate}"))
        if before.get("customer_id") != entry.customer_id:
            changes.append(
                EntryChange(
                    entry_id,
                    "customer",
                    f"customer {before.get('customer_id')} -> {entry.customer_id}",
                )
            )
        if before.get("billable") and not entry.billable:
            changes.append(EntryChange(entry_id, "not_billable", "no longer billable"))
    return changes


async def changes(
    source: TimeSource,
    entry_ids: Sequence[str],
    planned: Mapping[str, Mapping[str, Any]],
    start: dt.date,
    end: dt.date,
) -> list[EntryChange]:
    now = await current(
        source, entry_ids, start, end, (p.get("customer_id") for p in planned.values())
    )
    return compare(entry_ids, planned, now)
