"""Giving up a plan that cannot be finished (its target draft deleted, an entry gone, a draft
the user wants to redo by hand): the user chooses whether its draft is deleted or kept, and
exactly the entries the plan marked are released in the tracker. Nobody edits SQLite by hand.

A kept draft keeps its tag, so timebill will not bill its entries again while it lives
(timebill.core.billing.drafts.conflicts): delete the lines in Billomat first, or sync later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timebill.core.billing import planlock
from timebill.core.billing.journal import Journal, PlanRecord
from timebill.core.billing.transaction import BUSY_MESSAGE, check_account
from timebill.core.errors import NotFoundError, TimebillError
from timebill.core.models import Invoice
from timebill.core.sources.base import TimeSource
from timebill.core.text import counted

ABANDONABLE = ("pending", "created", "done")


@dataclass
class AbandonResult:
    plan_id: str
    delete_draft: bool
    deleted: tuple[str, ...] = ()  # invoice ids (a new draft) or item ids (lines in a draft)
    kept: str | None = None  # the draft left in Billomat
    released: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)  # entry id -> why it stays billed
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed


class UnknownPlanError(TimebillError):
    """No plan, or several, has the id given (the CLI: bad usage)."""


def find_plan(journal: Journal, ref: str) -> PlanRecord:
    """A plan by its id or a unique prefix of it (the CLI shows 8 characters)."""
    ref = ref.strip()
    matches = [
        p for p in journal.plans() if p.id == ref or (len(ref) >= 4 and p.id.startswith(ref))
    ]
    if len(matches) != 1:
        raise UnknownPlanError(
            f"No plan {ref!r} in the journal"
            + (" (give at least 4 characters of its id)." if len(ref) < 4 else ".")
            if not matches
            else f"{ref!r} names {len(matches)} plans; give more of the id."
        )
    return matches[0]


async def abandon(
    plan_id: str,
    *,
    delete_draft: bool,
    billomat: Any,
    source: TimeSource,
    journal: Journal,
) -> AbandonResult:
    record = find_plan(journal, plan_id)
    if record.state not in ABANDONABLE:
        raise TimebillError(f"Plan {record.id[:8]} is already {record.state}: nothing to do.")
    with planlock.claim(journal.path, record.id) as claimed:
        if not claimed:
            raise TimebillError(BUSY_MESSAGE)
        record = journal.plan(record.id)
        check_account(record, billomat)
        result = AbandonResult(record.id, delete_draft)
        if record.into_draft:
            await _lines(record, billomat, result)
        else:
            await _drafts(record, billomat, result)
        if record.marked_ids:
            released = await source.release(record.marked_ids)
            result.released, result.failed = released.succeeded, dict(released.failed)
        if result.failed:
            journal.record_error(record.id, "abandon: some entries could not be released")
            result.message = (
                f"{counted(len(result.failed), 'entry', 'entries')} could not be released; the plan stays as it "
                "was. Run `timebill abandon` again."
            )
            return result
        journal.record_abandoned(record.id, "abandoned by the user", invoice_id=result.kept)
        planlock.forget(journal.path, record.id)
    where = (
        f"draft {result.kept} kept; its lines still bill these entries, so timebill will not "
        "bill them again while it holds them"
        if result.kept
        else "nothing left in Billomat"
    )
    result.message = f"Plan {record.id[:8]} abandoned: {counted(len(result.released), 'entry', 'entries')} released, {where}."
    return result


async def _drafts(record: PlanRecord, billomat: Any, result: AbandonResult) -> None:
    found: dict[str, Invoice] = {i.id: i for i in await billomat.find_all_by_marker(record.marker)}
    if record.invoice_id and record.invoice_id not in found:
        try:
            found[record.invoice_id] = await billomat.invoice(record.invoice_id)
        except NotFoundError:
            pass
    final = [i for i in found.values() if i.status != "DRAFT"]
    if final:
        number = final[0].invoice_number or final[0].id
        raise TimebillError(
            f"Invoice {number} of plan {record.id[:8]} is {final[0].status}, no longer a draft: "
            "it bills the entries, so they stay billed (cancel it in Billomat first)."
        )
    keep = None
    if not result.delete_draft and found:
        keep = record.invoice_id if record.invoice_id in found else sorted(found)[0]
    deleted = []
    for invoice_id in sorted(found):
        if invoice_id == keep:
            continue
        await billomat.delete_invoice(invoice_id)
        deleted.append(invoice_id)
    result.deleted, result.kept = tuple(deleted), keep


async def _lines(record: PlanRecord, billomat: Any, result: AbandonResult) -> None:
    assert record.into_draft is not None
    try:
        target = await billomat.invoice(record.into_draft)
    except NotFoundError:
        if await billomat.invoice_gone(record.into_draft):
            return  # the draft is gone, and the lines with it
        raise
    if not result.delete_draft:
        result.kept = record.into_draft
        return
    prefix = f"{record.marker}#"
    ours = [
        i
        for i in await billomat.invoice_items(record.into_draft)
        if (i.customfield or "").startswith(prefix)
    ]
    if ours and target.status != "DRAFT":
        raise TimebillError(
            f"Invoice {target.invoice_number or target.id} is {target.status}: its lines of plan "
            f"{record.id[:8]} can no longer be removed, so the entries stay billed."
        )
    for item in ours:
        await billomat.delete_item(item.id)
    result.deleted = tuple(item.id for item in ours)
