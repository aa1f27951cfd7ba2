"""Creating an invoice is a small transaction across two services, kept in the journal:

    pending  (plan, entry ids and each entry as planned recorded, entries held)
      -> the planned entries are read again, live drafts are searched for them
      -> the draft is created in Billomat carrying the plan's tag (marker + entry ids)
    created  (invoice id recorded)
      -> drafts of other installs holding the same entries are looked for once more
      -> the entries are marked billed in the tracker, in chunks, each chunk recorded
    done

A failure or a kill at any step leaves the plan pending or created; `resume` finishes it: a
pending plan is first looked up in Billomat by its marker, so a draft whose answer was lost is
found instead of created twice; a created plan finishes its marking (marking is idempotent).
Whoever works on a plan holds its lock (timebill.core.billing.planlock), so a `resume` in a second session
leaves alone a plan the first is still creating.

A request whose answer was lost may still be carried out later (a slow Billomat, a queue in a
proxy): nothing proves it never will. So the journal records when a create request went out
(`attempt_at`) and no draft or line is sent again for that plan until LATE_WINDOW has passed;
a copy landing even later is removed by the sweep every resume, sync and month-end run does
(timebill.core.billing.drafts).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from timebill.core.billing import drafts, freshness, planlock
from timebill.core.billing.freshness import EntryChange, PlanChangedError
from timebill.core.billing.journal import Journal, PlanRecord
from timebill.core.billing.markers import draft_tag
from timebill.core.billomat.api import BillomatApi
from timebill.core.errors import (
    NetworkError,
    NotFoundError,
    ServerError,
    TimebillError,
    UnknownAccountError,
)
from timebill.core.models import Invoice, InvoicePlan, MarkResult, TimeEntry
from timebill.core.sources.base import TimeSource
from timebill.core.text import counted

# (stage, done, total): stage is "draft" or "marking".
Progress = Callable[[str, int, int], None]
MARK_CHUNK = 25
# How long a create request whose answer was lost may still land. Gateways in front of web
# services give up on a request after one or two minutes; ten is a wide margin. Later copies
# are still caught by the sweep.
LATE_WINDOW = dt.timedelta(minutes=10)
BUSY_MESSAGE = (
    "Another timebill session is creating this invoice right now; nothing was done here. "
    "If that session does not finish it, `timebill resume` does."
)


class BillingError(TimebillError):
    """A step of the billing transaction failed; the journal keeps the plan for `resume`."""

    def __init__(self, message: str, plan_id: str) -> None:
        super().__init__(message)
        self.plan_id = plan_id


class WrongAccountError(TimebillError):
    """The configured Billomat account is not the one the plan was created in."""


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
    # An earlier create request may still land: nothing is sent again before this moment.
    waiting_until: dt.datetime | None = None
    # Entries deleted in the tracker before they could be marked (their time is on the draft).
    gone: tuple[str, ...] = ()
    # Why the plan was given up: its entries changed since it was planned.
    changes: tuple[EntryChange, ...] = ()


def line_marker(marker: str, index: int) -> str:
    """The marker of one line added to an existing draft (the draft keeps its own marker)."""
    return f"{marker}#{index}"


def billomat_account(billomat: BillomatApi) -> str | None:
    return getattr(billomat, "account_key", None)


def check_account(record: PlanRecord, billomat: BillomatApi) -> None:
    """Raise WrongAccountError unless the adapter talks to the account the plan was made in."""
    current = billomat_account(billomat)
    if record.billomat_account and current and record.billomat_account != current:
        raise WrongAccountError(
            f"Plan {record.id[:8]} was created in the Billomat account "
            f"{record.billomat_account}, but the configuration now names {current}: nothing "
            "was done. Correct the Billomat ID (or base_url) if it is a typo."
        )


async def create_invoice(
    plan: InvoicePlan,
    *,
    source: TimeSource,
    billomat: BillomatApi,
    journal: Journal,
    account: str,
    into_draft: str | None = None,
    progress: Progress | None = None,
    entries: Iterable[TimeEntry] | None = None,
    recent: drafts.RecentDrafts | None = None,
) -> BillingResult:
    """Record, check, create, mark, finish. `entries`: the entries as the preview showed them
    (their minutes, rates and customers are checked again right before the draft is created).
    `recent`: the drafts as this run last read them (drafts.RecentDrafts); None: read afresh.

    Raises EntriesInProgressError before anything is sent when an entry is already held by
    another plan (this or another timebill session), and PlanChangedError (the plan given up,
    nothing billed) when the planned entries changed or are on another timebill draft."""
    # Claimed before it is recorded: a `resume` in another session must not pick the plan up
    # between the journal entry and the draft request (timebill.core.billing.planlock).
    with planlock.claim(journal.path, plan.id):
        record = journal.begin(
            plan,
            account,
            into_draft=into_draft,
            billomat_account=billomat_account(billomat),
            snapshots=freshness.snapshots(entries, plan.entry_ids) if entries is not None else None,
        )
        return await _finish_claimed(
            record,
            source=source,
            billomat=billomat,
            journal=journal,
            progress=progress,
            first_run=True,
            recent=recent,
        )


async def finish(
    record: PlanRecord,
    *,
    source: TimeSource,
    billomat: BillomatApi,
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
    billomat: BillomatApi,
    journal: Journal,
    progress: Progress | None,
    first_run: bool,
    recent: drafts.RecentDrafts | None = None,
) -> BillingResult:
    try:
        result = await _finish(
            record,
            source=source,
            billomat=billomat,
            journal=journal,
            progress=progress,
            first_run=first_run,
            recent=recent or drafts.RecentDrafts(),
        )
    except PlanChangedError:
        planlock.forget(journal.path, record.id)
        raise
    if result.state in ("done", "abandoned"):
        planlock.forget(journal.path, record.id)
    return result


async def _finish(
    record: PlanRecord,
    *,
    source: TimeSource,
    billomat: BillomatApi,
    journal: Journal,
    progress: Progress | None,
    first_run: bool,
    recent: drafts.RecentDrafts,
) -> BillingResult:
    check_account(record, billomat)
    current_account = billomat_account(billomat)
    if record.billomat_account is None and current_account:
        journal.set_billomat_account(record.id, current_account)
    found_existing = False
    if record.state == "pending":
        try:
            invoice, found_existing = await _draft(
                record, source, billomat, journal, first_run=first_run, recent=recent
            )
        except _Waiting as wait:
            return BillingResult(
                record.id,
                "pending",
                waiting_until=wait.until,
                into_draft=record.into_draft is not None,
                message=wait.message,
            )
        except _Abandon as stop:
            journal.record_abandoned(record.id, stop.reason)
            return BillingResult(record.id, "abandoned", message=stop.reason)
        except PlanChangedError as exc:
            journal.record_abandoned(record.id, str(exc))
            raise
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

    if not record.into_draft and not record.marked_ids:
        await _settle_race(record, billomat, journal, recent)

    marked, failed = await _mark(record, source, journal, progress)
    gone: tuple[str, ...] = ()
    if failed:
        gone = await _deleted(source, failed)
        if gone:
            journal.record_gone(record.id, gone)
            failed = {k: v for k, v in failed.items() if k not in gone}
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
            gone=gone,
            message=f"The draft exists, but {counted(len(failed), 'entry', 'entries')} could not be marked billed "
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
        gone=gone,
        message=(
            f"{counted(len(gone), 'entry', 'entries')} deleted in the tracker before they could be marked "
            f"({', '.join(gone[:5])}); their time is still on draft "
            f"{record.invoice_number or record.invoice_id}: check it."
            if gone
            else ""
        ),
    )


class _Abandon(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Waiting(Exception):
    def __init__(self, record: PlanRecord, until: dt.datetime) -> None:
        self.until = until
        what = "lines" if record.into_draft else "draft"
        self.message = (
            f"The {what} request sent at {_stamp(record.attempt_at)} got no answer and may still "
            f"reach Billomat: timebill does not send it again before {until:%H:%M:%S} UTC "
            "(run `timebill resume` then), so that it cannot land twice."
        )
        super().__init__(self.message)


def _maybe_in_the_air(billomat: BillomatApi) -> bool:
    """Whether a request of this adapter may have gone out without its answer (unknown
    adapters: assume so)."""
    http = getattr(billomat, "http", None)
    return getattr(http, "awaiting_answer", 1) > 0


def _stamp(value: str | None) -> str:
    return dt.datetime.fromisoformat(value).strftime("%H:%M:%S UTC") if value else "?"


def _still_landing(record: PlanRecord, present: set[str]) -> dt.datetime | None:
    """Until when an earlier request of this plan may still land (None: it cannot any more,
    or it has: what it was to create is `present`)."""
    if not record.attempt_at or (record.attempt_of and record.attempt_of in present):
        return None
    until = dt.datetime.fromisoformat(record.attempt_at) + LATE_WINDOW
    return until if dt.datetime.now(dt.UTC) < until else None


async def _draft(
    record: PlanRecord,
    source: TimeSource,
    billomat: BillomatApi,
    journal: Journal,
    *,
    first_run: bool,
    recent: drafts.RecentDrafts,
) -> tuple[Invoice, bool]:
    plan = record.plan
    if record.into_draft:
        return await _add_to_draft(record, source, billomat, journal, first_run=first_run), False
    if not first_run:
        existing = await _lookup(record, billomat)
        if existing is not None:
            return existing, True
        until = _still_landing(record, set())
        if until is not None:
            raise _Waiting(record, until)
    await _ready(record, source, billomat, recent)
    journal.record_attempt(record.id, record.marker)
    try:
        invoice = await billomat.create_draft(
            plan, draft_tag(record.marker, record.account, record.entry_ids)
        )
    except (asyncio.CancelledError, KeyboardInterrupt):
        # Cancelled while waiting for a rate-limit window, before the request went out: nothing
        # can land, so resume need not wait for it.
        if not _maybe_in_the_air(billomat):
            journal.clear_attempt(record.id)
        raise
    except (NetworkError, ServerError) as exc:
        # A 2xx answer that cannot be read (cut short by a proxy) means Billomat created it.
        landed = exc.status is not None and 200 <= exc.status < 300
        if not (landed or getattr(exc, "outcome_unknown", False)):
            journal.clear_attempt(record.id)
            raise
        journal.record_lost(record.id)
        # The request went out and the answer was lost: the draft may exist. Look before
        # anyone creates it again.
        existing = await _lookup(record, billomat)
        if existing is None:
            raise
        journal.clear_attempt(record.id)
        return existing, True
    except TimebillError:
        journal.clear_attempt(record.id)  # refused: nothing was created
        raise
    journal.clear_attempt(record.id)
    return invoice, False


async def _lookup(record: PlanRecord, billomat: BillomatApi) -> Invoice | None:
    """The plan's draft, by its marker; or an untagged draft with exactly its lines (a lost
    create whose customfield was never set), which is tagged now and taken as the plan's."""
    existing = await billomat.find_by_marker(record.marker, client_id=record.client_id)
    if existing is not None or not hasattr(billomat, "find_untagged_copies"):
        return existing
    copies = await billomat.find_untagged_copies(record.plan)
    if not copies:
        return None
    tag = draft_tag(record.marker, record.account, record.entry_ids)
    await billomat.set_customfield(copies[0].id, tag)
    return copies[0].model_copy(update={"customfield": tag})


async def _ready(
    record: PlanRecord,
    source: TimeSource,
    billomat: BillomatApi,
    recent: drafts.RecentDrafts | None = None,
) -> None:
    """Right before anything is created: the entries as planned, on no other live draft. A new
    draft may go by the run's last reading of the drafts (`recent`): the look after creating
    it reads them afresh. Lines for an existing draft get no look after: they read afresh."""
    plan = record.plan
    changes = await freshness.changes(
        source, record.entry_ids, record.snapshots, plan.service_start, plan.service_end
    )
    live = await (recent.recent(billomat) if recent is not None else billomat.drafts())
    changes += drafts.as_changes(drafts.conflicts(record, live))
    if changes:
        raise PlanChangedError(changes, record.id)


async def _settle_race(
    record: PlanRecord, billomat: BillomatApi, journal: Journal, recent: drafts.RecentDrafts
) -> None:
    """After creating, before marking: another install may have created a draft holding the
    same entries meanwhile. The older draft wins; if that is not ours, ours is deleted. Always
    read afresh: this look alone keeps two installs from both billing an entry."""
    lost = drafts.lost_race(record, await recent.read(billomat))
    if not lost:
        return
    changes = drafts.as_changes(lost)
    assert record.invoice_id is not None  # settled right after our draft was created
    try:
        await billomat.delete_invoice(record.invoice_id)
    except NotFoundError:
        pass
    except TimebillError as exc:
        raise BillingError(
            f"Another timebill install created a draft with some of these entries first; "
            f"deleting this plan's draft {record.invoice_number or record.invoice_id} failed "
            f"({exc}). Nothing was marked billed; `timebill resume` tries again.",
            record.id,
        ) from None
    recent.deleted(record.invoice_id)
    journal.record_abandoned(record.id, "lost to an older draft of another timebill install")
    raise PlanChangedError(changes, record.id)


async def _add_to_draft(
    record: PlanRecord,
    source: TimeSource,
    billomat: BillomatApi,
    journal: Journal,
    *,
    first_run: bool,
) -> Invoice:
    """Add the plan's lines to an existing draft; lines already there (found by their markers,
    after a crash) are not added again. A target deleted (or completed) before any line
    arrived gives the plan up: nothing was billed."""
    invoice_id = record.into_draft
    assert invoice_id is not None
    try:
        target = await billomat.invoice(invoice_id)
    except UnknownAccountError:
        raise
    except NotFoundError:
        if await billomat.invoice_gone(invoice_id):
            raise _Abandon(
                f"Draft {invoice_id} was deleted in Billomat before the lines were added: "
                "nothing was billed, and the entries are open to bill again."
            ) from None
        raise
    items = await billomat.invoice_items(invoice_id)
    present = {getattr(item, "customfield", "") for item in items}
    ours = [m for m in present if m and m.startswith(f"{record.marker}#")]
    if target.status != "DRAFT":
        if not ours:
            raise _Abandon(
                f"Invoice {target.invoice_number or invoice_id} is no longer a draft "
                f"({target.status}) and holds none of these lines: nothing was billed, and the "
                "entries are open to bill again."
            )
        raise TimebillError(
            f"Invoice {target.invoice_number or invoice_id} left DRAFT ({target.status}) with "
            f"{len(ours)} of the {counted(len(record.plan.lines), 'line', 'lines')}; the rest cannot be added. "
            f"`timebill abandon {record.id[:8]} --keep-draft` releases the plan's entries."
        )
    missing = [
        (index, line)
        for index, line in enumerate(record.plan.lines)
        if line_marker(record.marker, index) not in present
    ]
    if missing:
        until = None if first_run else _still_landing(record, present)
        if until is not None:
            raise _Waiting(record, until)
        if not ours:
            await _ready(record, source, billomat)
        markers = [line_marker(record.marker, index) for index, _ in missing]
        try:
            await billomat.add_items(
                invoice_id,
                [line for _, line in missing],
                markers=markers,
                before_each=lambda n: journal.record_attempt(record.id, markers[n]),
                # The draft's service period widened to cover the lines, its note given the
                # tax note.
                period=(record.plan.service_start, record.plan.service_end),
                note=record.plan.tax_note,
            )
        except NetworkError as exc:
            if not exc.outcome_unknown:
                journal.clear_attempt(record.id)
            raise
        except TimebillError:
            journal.clear_attempt(record.id)
            raise
        journal.clear_attempt(record.id)
    return await billomat.invoice(invoice_id)


async def _deleted(source: TimeSource, failed: dict[str, str]) -> tuple[str, ...]:
    """Of the entries that could not be marked, those the tracker says no longer exist."""
    gone = []
    for entry_id in failed:
        try:
            if await source.entry(entry_id) is None:
                gone.append(entry_id)
        except TimebillError:
            continue
    return tuple(gone)


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

    if getattr(source, "supports_bulk_mark", False) and len(todo) > MARK_CHUNK:
        # clockodo: one verified entrygroups change per customer instead of a PUT per entry
        # (its per-user limits would stop thousands of PUTs); what it leaves goes one by one.
        plan = record.plan
        try:
            bulk: MarkResult = await source.mark_in_bulk(  # type: ignore[attr-defined]
                todo, plan.service_start, plan.service_end
            )
        except TimebillError:
            bulk = MarkResult()
        if bulk.succeeded:
            journal.record_marked(record.id, bulk.succeeded)
            marked.extend(bulk.succeeded)
            done += len(bulk.succeeded)
            gone = set(bulk.succeeded)
            todo = [i for i in todo if i not in gone]
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
    billomat: BillomatApi,
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
        except PlanChangedError as exc:
            results.append(
                BillingResult(record.id, "abandoned", message=str(exc), changes=exc.changes)
            )
        except (BillingError, WrongAccountError) as exc:
            results.append(
                BillingResult(record.id, journal.plan(record.id).state, message=str(exc))
            )
    return results


async def deleted_drafts(
    *, billomat: BillomatApi, journal: Journal, account: str
) -> list[PlanRecord]:
    """Plans whose invoice timebill created (or filled) is proven gone from Billomat
    (timebill.core.billing.sync.check has the whole report: unproven ones and why)."""
    from timebill.core.billing.sync import check

    return (await check(billomat=billomat, journal=journal, account=account)).gone


async def release(
    record: PlanRecord,
    *,
    source: TimeSource,
    journal: Journal,
    entry_ids: Iterable[str] | None = None,
) -> MarkResult:
    """Give the entries this plan marked back to the tracker as open (mite: unlock; clockodo:
    billable=1); entries it never marked are left as they are (someone else may bill them)."""
    ids = list(entry_ids if entry_ids is not None else record.marked_ids)
    result = await source.release(ids)
    if not result.failed:
        journal.record_released(record.id, f"draft {record.invoice_id} was deleted in Billomat")
    else:
        journal.record_error(
            record.id, "release failed: " + "; ".join(f"{k}: {v}" for k, v in result.failed.items())
        )
    return result
