"""Creating an invoice is a small transaction across two services, kept in the journal:

    pending  (plan and entry ids recorded, entries held)
      -> the draft is created in Billomat carrying the plan's marker
    created  (invoice id recorded)
      -> the entries are marked billed in the tracker, in chunks, each chunk recorded
    done

A failure or a kill at any step leaves the plan pending or created; `resume` finishes it: a
pending plan is first looked up in Billomat by its marker, so a draft whose answer was lost is
found instead of created twice; a created plan finishes its marking (marking is idempotent).
Whoever works on a plan holds its lock (timebill.core.billing.planlock), so a `resume` in a second session
leaves alone a plan the first is still creating.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from timebill.core.billing import planlock
from timebill.core.billing.journal import Journal, PlanRecord
from timebill.core.errors import NetworkError, NotFoundError, ServerError, TimebillError
from timebill.core.models import Invoice, InvoicePlan, MarkResult
from timebill.core.sources.base import TimeSource

# (stage, done, total): stage is "draft" or "marking".
Progress = Callable[[str, int, int], None]
MARK_CHUNK = 25
BUSY_MESSAGE = (
    "Another timebill session is creating this invoice right now; nothing was done here. "
    "If that session does not finish it, `timebill resume` does."
)


class BillingError(TimebillError):
    """A step of the billing transaction failed; the journal keeps the plan for `resume`."""

    def __init__(self, message: str, plan_id: str) -> None:
        super().__init__(message)
        self.plan_id = plan_id


@dataclass
class BillingResult:
    plan_id: str
    state: str
    invoice_id: str | None = None
    invoice_number: str | None = None
    marked: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    found_existing: bool = False
    message: str = ""
    into_draft: bool = False  # the lines went into an existing draft
    busy: bool = False  # another timebill session is finishing this plan right now


def line_marker(marker: str, index: int) -> str:
    """The marker of one line added to an existing draft (the draft keeps its own marker)."""
    return f"{marker}#{index}"


async def create_invoice(
    plan: InvoicePlan,
    *,
    source: TimeSource,
    billomat: Any,
    journal: Journal,
    account: str,
    into_draft: str | None = None,
    progress: Progress | None = None,
) -> BillingResult:
    """Record, create, mark, finish. Raises EntriesInProgressError before anything is sent when
    an entry is already held by another plan (this or another timebill session)."""
    # Claimed before it is recorded: a `resume` in another session must not pick the plan up
    # between the journal entry and the draft request (timebill.core.billing.planlock).
    with planlock.claim(journal.path, plan.id):
        record = journal.begin(plan, account, into_draft=into_draft)
        return await _finish_claimed(
            record,
            source=source,
            billomat=billomat,
            journal=journal,
            progress=progress,
            first_run=True,
        )


async def finish(
    record: PlanRecord,
    *,
    source: TimeSource,
    billomat: Any,
    journal: Journal,
    progress: Progress | None = None,
    first_run: bool = False,
) -> BillingResult:
    """Carry an unfinished plan on from where the journal says it stopped, unless another
    session is at it right now (then a `busy` result, and nothing is sent)."""
    with planlock.claim(journal.path, record.id) as claimed:
        if not claimed:
            return BillingResult(
                record.id,
                record.state,
                record.invoice_id,
                record.invoice_number,
                busy=True,
                message=BUSY_MESSAGE,
            )
        # Another session may have moved the plan on before we got the claim.
        record = journal.plan(record.id)
        return await _finish_claimed(
            record,
            source=source,
            billomat=billomat,
            journal=journal,
            progress=progress,
            first_run=first_run,
        )


async def _finish_claimed(
    record: PlanRecord,
    *,
    source: TimeSource,
    billomat: Any,
    journal: Journal,
    progress: Progress | None,
    first_run: bool,
) -> BillingResult:
    result = await _finish(
        record,
        source=source,
        billomat=billomat,
        journal=journal,
        progress=progress,
        first_run=first_run,
    )
    if result.state in ("done", "abandoned"):
        planlock.forget(journal.path, record.id)
    return result


async def _finish(
    record: PlanRecord,
    *,
    source: TimeSource,
    billomat: Any,
    journal: Journal,
    progress: Progress | None,
    first_run: bool,
) -> BillingResult:
    found_existing = False
    if record.state == "pending":
        try:
            invoice, found_existing = await _draft(record, source, billomat, first_run=first_run)
        except _Abandon as stop:
            journal.record_abandoned(record.id, stop.reason)
            return BillingResult(record.id, "abandoned", message=stop.reason)
        except TimebillError as exc:
            journal.record_error(record.id, str(exc))
            what = (
                f"The lines could not be added to draft {record.into_draft}"
                if record.into_draft
                else "The draft could not be created"
            )
            raise BillingError(
                f"{what}: {exc} Nothing was marked billed; "
                "`timebill resume` picks it up from here.",
                record.id,
            ) from None
        journal.record_created(record.id, invoice.id, invoice.invoice_number or None)
        record = journal.plan(record.id)
    if record.state != "created":
        return BillingResult(record.id, record.state, record.invoice_id, record.invoice_number)

    marked, failed = await _mark(record, source, journal, progress)
    if failed:
        reasons = "; ".join(f"{entry_id}: {why}" for entry_id, why in list(failed.items())[:5])
        journal.record_error(record.id, reasons)
        return BillingResult(
            record.id,
            "created",
            record.invoice_id,
            record.invoice_number,
            marked=marked,
            failed=failed,
            found_existing=found_existing,
            into_draft=record.into_draft is not None,
            message=f"The draft exists, but {len(failed)} entries could not be marked billed "
            f"({reasons}). `timebill resume` tries again.",
        )
    journal.record_done(record.id)
    return BillingResult(
        record.id,
        "done",
        record.invoice_id,
        record.invoice_number,
        marked=marked,
        found_existing=found_existing,
        into_draft=record.into_draft is not None,
    )


class _Abandon(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _draft(
    record: PlanRecord, source: TimeSource, billomat: Any, *, first_run: bool
) -> tuple[Invoice, bool]:
    plan = record.plan
    if record.into_draft:
        return await _add_to_draft(record, billomat), False
    if not first_run:
        existing = await billomat.find_by_marker(record.marker, client_id=record.client_id)
        if existing is not None:
            return existing, True
        await _check_still_open(record, source)
    try:
        return await billomat.create_draft(plan), False
    except (NetworkError, ServerError) as exc:
        # A 2xx answer that cannot be read (cut short by a proxy) means Billomat created it.
        landed = exc.status is not None and 200 <= exc.status < 300
        if not (landed or getattr(exc, "outcome_unknown", False)):
            raise
        # The request went out and the answer was lost: the draft may exist. Look before
        # anyone creates it again.
        existing = await billomat.find_by_marker(record.marker, client_id=record.client_id)
        if existing is None:
            raise
        return existing, True


async def _add_to_draft(record: PlanRecord, billomat: Any) -> Invoice:
    """Add the plan's lines to an existing draft; lines already there (found by their markers,
    after a crash) are not added again."""
    invoice_id = record.into_draft
    assert invoice_id is not None
    items = await billomat.invoice_items(invoice_id)
    present = {getattr(item, "customfield", "") for item in items}
    missing = [
        (index, line)
        for index, line in enumerate(record.plan.lines)
        if line_marker(record.marker, index) not in present
    ]
    if missing:
        await billomat.add_items(
            invoice_id,
            [line for _, line in missing],
            markers=[line_marker(record.marker, index) for index, _ in missing],
            # The draft's service period widened to cover the lines, its note given the tax note.
            period=(record.plan.service_start, record.plan.service_end),
            note=record.plan.tax_note,
        )
    return await billomat.invoice(invoice_id)


async def _check_still_open(record: PlanRecord, source: TimeSource) -> None:
    """Before creating a draft again on resume: the plan's entries must still be open (nobody
    billed or deleted them meanwhile), else the plan is dropped rather than billed twice."""
    plan = record.plan
    current = {
        e.id: e
        for e in await source.entries(
            plan.service_start - dt.timedelta(days=1), plan.service_end + dt.timedelta(days=1)
        )
    }
    gone = [i for i in record.entry_ids if i not in current]
    billed = [i for i in record.entry_ids if i in current and current[i].billed]
    if gone or billed:
        raise _Abandon(
            "No draft was found for this plan, and since it was planned "
            + (f"{len(billed)} of its entries were billed elsewhere" if billed else "")
            + (" and " if gone and billed else "")
            + (f"{len(gone)} of its entries were deleted" if gone else "")
            + ". Nothing was created; the remaining entries are open to bill again."
        )


async def _mark(
    record: PlanRecord, source: TimeSource, journal: Journal, progress: Progress | None
) -> tuple[tuple[str, ...], dict[str, str]]:
    todo = list(record.unmarked_ids)
    total = len(record.entry_ids)
    done = total - len(todo)
    marked: list[str] = []
    failed: dict[str, str] = {}
    if progress:
        progress("marking", done, total)

    async def mark(chunk: list[str]) -> None:
        nonlocal done
        try:
            result: MarkResult = await source.mark_billed(chunk)
        except TimebillError as exc:
            failed.update(dict.fromkeys(chunk, str(exc)))
            return
        journal.record_marked(record.id, result.succeeded)
        marked.extend(result.succeeded)
        failed.update(result.failed)
        done += len(result.succeeded)
        if progress:
            progress("marking", done, total)

    # All chunks start at once: the adapter's HTTP client bounds how many requests are in
    # flight (mite 4, clockodo 8), so a chunk only sets how often the journal records progress,
    # and no chunk waits for the slowest request of the one before it.
    await asyncio.gather(
        *(mark(todo[start : start + MARK_CHUNK]) for start in range(0, len(todo), MARK_CHUNK))
    )
    return tuple(marked), failed


async def resume(
    *,
    source: TimeSource,
    billomat: Any,
    journal: Journal,
    account: str,
    progress: Progress | None = None,
) -> list[BillingResult]:
    """Finish every unfinished plan of this tracker account, oldest first; one plan's failure
    does not stop the others."""
    results = []
    for record in journal.unfinished(account):
        try:
            results.append(
                await finish(
                    record, source=source, billomat=billomat, journal=journal, progress=progress
                )
            )
        except BillingError as exc:
            results.append(
                BillingResult(record.id, journal.plan(record.id).state, message=str(exc))
            )
    return results


async def deleted_drafts(*, billomat: Any, journal: Journal, account: str) -> list[PlanRecord]:
    """Plans whose invoice timebill created (or filled) no longer exists in Billomat: their
    entries stay marked billed although no invoice holds them, until they are released."""
    gone = []
    for record in journal.plans("created", "done", account=account):
        if not record.invoice_id or record.final:
            continue
        try:
            invoice = await billomat.invoice(record.invoice_id)
        except NotFoundError:
            gone.append(record)
            continue
        if invoice.status != "DRAFT":
            # A completed invoice cannot be deleted any more: no need to ask again.
            journal.record_final(record.id)
    return gone


async def release(
    record: PlanRecord,
    *,
    source: TimeSource,
    journal: Journal,
    entry_ids: Iterable[str] | None = None,
) -> MarkResult:
    """Give the plan's entries back to the tracker as open (mite: unlock; clockodo: billable=1)."""
    ids = list(entry_ids if entry_ids is not None else record.entry_ids)
    result = await source.release(ids)
    if not result.failed:
        journal.record_released(record.id, f"draft {record.invoice_id} was deleted in Billomat")
    else:
        journal.record_error(
            record.id, "release failed: " + "; ".join(f"{k}: {v}" for k, v in result.failed.items())
        )
    return result
