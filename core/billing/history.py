"""History: the drafts timebill made (from the journal) with their state read from Billomat, and
taking a single entry off a still-draft invoice.

The rule for taking an entry off (the safe one): only an entry that has a line of its own (the
plan grouped per entry, or the line happens to bill just this entry) can be taken off, and only
while the invoice is a draft and the line is still as timebill created it (found by its marker,
or as the one item with the same title, quantity and unit price). The line is then deleted from
the draft (Billomat recomputes the totals), the journal lets go of the entry, and the tracker
releases it (mite: unlock; clockodo: billable again). A line that bills several entries is never
recomputed: its quantity may have been rounded per line and its text names them all, so
changing it could bill the wrong amount. The draft's only line is not taken off either: delete
the draft in Billomat, then `timebill sync` releases its entries.

Order: the line goes first, then the tracker. If the tracker fails, the journal remembers the
entry as taken off but not released, and taking it off again only retries the release: the
entry is never open in the tracker while a draft still bills it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from timebill.core.billing.journal import Journal, PlanRecord
from timebill.core.billing.markers import draft_tag, read_tag
from timebill.core.billing.transaction import line_marker
from timebill.core.errors import NotFoundError, ServiceError, TimebillError
from timebill.core.models import InvoiceLine
from timebill.core.text import counted

# Billomat's statuses, plus what timebill concludes when the invoice is gone or unreadable.
DELETED, UNKNOWN = "DELETED", "UNKNOWN"
STATES = ("DRAFT", "OPEN", "OVERDUE", "PAID", "CANCELED", DELETED, UNKNOWN)
READ_AT_ONCE = 4
# One GET per invoice: the newest ones are read, older ones say so (Billomat's rate limit is per
# key and shared with everything else the user runs).
READ_AT_MOST = 100


class TakeOffRefused(TimebillError):
    """The entry cannot be taken off safely; the message says why and what to do instead."""


@dataclass(frozen=True)
class DraftRecord:
    record: PlanRecord
    status: str = UNKNOWN
    # Why the status is UNKNOWN (a failed read), for the detail line.
    problem: str = ""

    @property
    def invoice_id(self) -> str:
        return self.record.invoice_id or ""

    @property
    def number(self) -> str:
        return self.record.invoice_number or ""

    @property
    def created(self) -> dt.date:
        return dt.datetime.fromisoformat(self.record.created_at).date()

    @property
    def total_net(self) -> Decimal:
        return self.record.plan.total_net


def made_drafts(journal: Journal, account: str) -> list[DraftRecord]:
    """Every invoice timebill created or filled, newest first (statuses not read yet)."""
    plans = journal.plans("created", "done", "released", account=account)
    found = [DraftRecord(p) for p in plans if p.invoice_id]
    found.sort(key=lambda d: (d.record.created_at, d.record.id), reverse=True)
    return found


async def read_states(
    billomat: Any, drafts: list[DraftRecord], *, at_most: int = READ_AT_MOST
) -> list[DraftRecord]:
    """The drafts with their current Billomat status; a missing invoice is DELETED, one that
    could not be read UNKNOWN with the reason (the others still load). Only the first
    `at_most` (the newest) are read."""
    gate = asyncio.Semaphore(READ_AT_ONCE)

    async def one(draft: DraftRecord) -> DraftRecord:
        async with gate:
            try:
                invoice = await billomat.invoice(draft.invoice_id)
            except NotFoundError:
                return DraftRecord(draft.record, DELETED)
            except ServiceError as exc:
                return DraftRecord(draft.record, UNKNOWN, exc.message)
        return DraftRecord(draft.record, invoice.status or UNKNOWN)

    read = await asyncio.gather(*(one(d) for d in drafts[:at_most]))
    older = [
        DraftRecord(d.record, UNKNOWN, f"not read: only the newest {at_most} are")
        for d in drafts[at_most:]
    ]
    return [*read, *older]


def line_of(record: PlanRecord, entry_id: str) -> tuple[int, InvoiceLine]:
    for index, line in enumerate(record.plan.lines):
        if entry_id in line.entry_ids:
            return index, line
    raise TakeOffRefused(f"entry {entry_id} is on no line of invoice {_name(record)}.")


def can_take_off(line: InvoiceLine) -> bool:
    return len(line.entry_ids) == 1


def _name(record: PlanRecord) -> str:
    return record.invoice_number or record.invoice_id or record.id


def _matching_item(record: PlanRecord, index: int, line: InvoiceLine, items: list[Any]) -> Any:
    marked = [i for i in items if i.customfield == line_marker(record.marker, index)]
    if len(marked) == 1:
        return marked[0]
    same = [
        i
        for i in items
        if i.title == line.title and i.quantity == line.quantity and i.unit_price == line.unit_price
    ]
    if len(same) != 1:
        raise TakeOffRefused(
            f"the line “{line.title}” of draft {_name(record)} was changed in Billomat (or is "
            "there twice): take it off in Billomat, then release the entry there."
        )
    return same[0]


async def take_off(
    *,
    billomat: Any,
    source: Any,
    journal: Journal,
    record: PlanRecord,
    entry_id: str,
) -> None:
    """Take `entry_id` off the draft of `record` and release it in the tracker (see the module
    docstring for the rule). Raises TakeOffRefused when that is not safe, ServiceError when a
    service fails (nothing is half done that a second call does not finish)."""
    pending = journal.taken_off(record.id)
    if entry_id not in pending:
        index, line = line_of(record, entry_id)
        if not can_take_off(line):
            raise TakeOffRefused(
                f"the line “{line.title}” bills {counted(len(line.entry_ids), 'entry', 'entries')} together: only an "
                "entry with a line of its own (grouping per entry) can be taken off. Delete the "
                "draft in Billomat instead; `timebill sync` then releases all its entries."
            )
        try:
            invoice = await billomat.invoice(record.invoice_id)
        except NotFoundError:
            raise TakeOffRefused(
                f"invoice {_name(record)} no longer exists in Billomat: `timebill sync` (or l on "
                "the month-end screen) releases its entries."
            ) from None
        if invoice.status != "DRAFT":
            raise TakeOffRefused(
                f"invoice {_name(record)} is {invoice.status.lower()}, no longer a draft: "
                "correct it in Billomat (cancel it or write a credit note)."
            )
        items = await billomat.invoice_items(record.invoice_id)
        item = _matching_item(record, index, line, items)
        if len(items) == 1:
            raise TakeOffRefused(
                f"“{line.title}” is the only line of draft {_name(record)}: delete the draft in "
                "Billomat instead; `timebill sync` then releases the entry."
            )
        await billomat.delete_item(item.id)
        journal.take_off(record.id, entry_id, item.id)
    elif pending[entry_id]:
        return  # taken off and released before
    await _untag(billomat, record.invoice_id, entry_id)
    result = await source.release([entry_id])
    if not result.ok:
        reason = result.failed.get(entry_id, "no reason given")
        raise TakeOffRefused(
            f"the line is off draft {_name(record)}, but the tracker did not release entry "
            f"{entry_id} ({reason}): try again, or release it in the tracker."
        )
    journal.record_taken_off_released(record.id, entry_id)


async def _untag(billomat: Any, invoice_id: str | None, entry_id: str) -> None:
    """The draft's tag lists the entries it holds (another install reads it before billing
    them): the entry taken off leaves the list, or its next invoice would be refused."""
    if invoice_id is None:
        return
    invoice = await billomat.invoice(invoice_id)
    tag = read_tag(invoice.customfield or "")
    if tag is None or entry_id not in tag.entry_ids:
        return
    kept = sorted(i for i in tag.entry_ids if i != entry_id)
    await billomat.set_customfield(invoice_id, draft_tag(tag.marker, tag.account, kept))
