"""What the Billomat account itself says about timebill's drafts, beyond one journal:

- `conflicts`: live drafts of *other* plans (another install with its own journal, or a plan
  abandoned with its draft kept) whose tag holds some of a plan's entries. Looked for before a
  draft is created and again after (`lost_race`): of two drafts holding one entry, the one with
  the smaller Billomat id (created first) wins, and the other install deletes its own before it
  marks anything. Both installs decide alike without talking to each other. A run creating
  one draft after another (a month-end) reads the drafts once per draft (`RecentDrafts`).
- `sweep`: drafts or lines carrying the same marker twice (a create request that landed late,
  after a resume had created the draft again) lose their extra copy; a late copy of a plan that
  was given up or released is deleted too. Run by every resume, sync and month-end run.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from timebill.core.billing import planlock
from timebill.core.billing.freshness import EntryChange
from timebill.core.billing.journal import Journal, PlanRecord
from timebill.core.billing.markers import marker_of, read_tag
from timebill.core.billomat.client import invoice_order
from timebill.core.errors import ConflictError, NotFoundError, ServiceError, ValidationError
from timebill.core.models import Invoice

# Untagged drafts with exactly a plan's lines are taken for its late copies only this long
# after the plan was made (a lost request lands within minutes; a draft days later is a
# person's).
UNTAGGED_HORIZON = dt.timedelta(days=1)


def conflicts(record: PlanRecord, drafts: Sequence[Invoice]) -> list[tuple[Invoice, set[str]]]:
    """Live drafts of other plans holding some of this plan's entries (same tracker account)."""
    mine = set(record.entry_ids)
    found = []
    for draft in drafts:
        tag = read_tag(draft.customfield)
        if tag is None or tag.marker == record.marker or draft.status != "DRAFT":
            continue
        if tag.account != record.account:
            continue
        shared = mine & tag.entry_ids
        if shared:
            found.append((draft, shared))
    return found


def as_changes(found: list[tuple[Invoice, set[str]]]) -> list[EntryChange]:
    return [
        EntryChange(
            entry_id,
            "on_other_draft",
            f"already on draft {draft.invoice_number or draft.id} (id {draft.id}) of another "
            "timebill plan",
        )
        for draft, shared in found
        for entry_id in sorted(shared)
    ]


def lost_race(record: PlanRecord, drafts: Sequence[Invoice]) -> list[tuple[Invoice, set[str]]]:
    """The conflicting drafts created before this plan's own (smaller id): if any, this plan
    lost and must delete its draft."""
    assert record.invoice_id is not None
    ours = Invoice(id=record.invoice_id, client_id=record.client_id, status="DRAFT")
    return [(d, s) for d, s in conflicts(record, drafts) if invoice_order(d) < invoice_order(ours)]


@dataclass
class RecentDrafts:
    """The account's live drafts as last read, shared by the drafts of one run.

    The look after creating a draft always reads afresh (`read`): it alone decides which of two
    drafts holding an entry stays, so both installs must see each other there. The look before
    creating the next draft (`recent`) may take that reading when it is at most `max_age`
    seconds old: it only spares creating a draft that would lose. A draft another install made
    since is seen by the look after, which deletes ours when theirs is older; nothing is billed
    twice. This halves the listings of a month-end run (one per draft instead of two)."""

    max_age: float = 60.0
    drafts: list[Invoice] | None = None
    read_at: float = 0.0

    async def read(self, billomat: Any) -> list[Invoice]:
        self.drafts = list(await billomat.drafts())
        self.read_at = time.monotonic()
        return list(self.drafts)

    async def recent(self, billomat: Any) -> list[Invoice]:
        if self.drafts is not None and time.monotonic() - self.read_at <= self.max_age:
            return list(self.drafts)
        return await self.read(billomat)

    def deleted(self, invoice_id: str) -> None:
        """A draft this run deleted is no longer there to conflict with."""
        if self.drafts is not None:
            self.drafts = [d for d in self.drafts if d.id != invoice_id]


@dataclass(frozen=True)
class SweepAction:
    plan_id: str
    kind: Literal["draft", "line"]
    deleted_id: str  # the invoice (draft) or invoice item removed
    invoice_id: str  # the draft it was, or held the line
    invoice_number: str
    done: bool
    message: str


async def sweep(*, billomat: Any, journal: Journal, account: str) -> list[SweepAction]:
    """Remove extra copies; see the module docstring. Plans another session is working on
    right now are left alone."""
    actions: list[SweepAction] = []
    drafts = await billomat.drafts()
    groups: dict[str, list[Invoice]] = defaultdict(list)
    for draft in drafts:
        marker = marker_of(draft.customfield)
        if marker:
            groups[marker].append(draft)
    for marker, group in groups.items():
        record = journal.by_marker(marker)
        if record is None or record.account != account or planlock.busy(journal.path, record.id):
            continue
        if record.into_draft:
            continue
        group.sort(key=invoice_order)
        if record.state in ("created", "done") or (
            record.state == "abandoned" and record.invoice_id
        ):
            keep = record.invoice_id
        elif record.state == "pending":
            keep = group[0].id  # resume adopts the oldest
        else:
            keep = None  # released, or given up without a draft: any copy is late
        for draft in group:
            if draft.id == keep:
                continue
            actions.append(await _delete_draft(billomat, record, draft, keep))
    untagged = [d for d in drafts if not d.customfield]
    recent = (dt.datetime.now(dt.UTC) - UNTAGGED_HORIZON).isoformat(timespec="seconds")
    for record in journal.plans("created", "done", account=account):
        # Only plans whose create answer was lost, and only lately, can have such a copy.
        if record.into_draft or not record.lost_at or record.lost_at < recent or not untagged:
            continue
        if planlock.busy(journal.path, record.id):
            continue
        for copy in await billomat.untagged_copies(record.plan, untagged):
            if copy.id != record.invoice_id:
                actions.append(await _delete_draft(billomat, record, copy, record.invoice_id))
                untagged = [d for d in untagged if d.id != copy.id]
    for record in journal.plans("pending", "created", "done", account=account):
        if record.into_draft and not record.final and not planlock.busy(journal.path, record.id):
            actions += await _sweep_lines(billomat, journal, record)
    return actions


async def _delete_draft(
    billomat: Any, record: PlanRecord, draft: Invoice, keep: str | None
) -> SweepAction:
    number = draft.invoice_number or draft.id
    why = (
        f"a late copy of draft {keep}"
        if keep
        else f"a late copy; plan {record.id[:8]} is {record.state}"
    )
    if not draft.customfield:
        why += ", without its marker but with exactly its lines"
    try:
        await billomat.delete_invoice(draft.id)
    except ServiceError as exc:
        return SweepAction(
            record.id,
            "draft",
            draft.id,
            draft.id,
            number,
            False,
            f"Draft {number} (id {draft.id}) carries plan {record.id[:8]}'s marker ({why}) but "
            f"could not be deleted: {exc}",
        )
    return SweepAction(
        record.id,
        "draft",
        draft.id,
        draft.id,
        number,
        True,
        f"Deleted draft {number} (id {draft.id}): {why} (plan {record.id[:8]}).",
    )


async def _sweep_lines(billomat: Any, journal: Journal, record: PlanRecord) -> list[SweepAction]:
    assert record.into_draft is not None
    try:
        items = await billomat.invoice_items(record.into_draft)
    except NotFoundError:
        return []
    prefix = f"{record.marker}#"
    seen: set[str] = set()
    actions = []
    for item in items:  # by position: the first of two equal lines is kept
        mark = item.customfield or ""
        if not mark.startswith(prefix):
            continue
        if mark not in seen:
            seen.add(mark)
            continue
        try:
            await billomat.delete_item(item.id)
        except (ConflictError, ValidationError):
            journal.record_final(record.id)  # no longer a draft: nothing can change it
            break
        except ServiceError as exc:
            actions.append(
                SweepAction(
                    record.id,
                    "line",
                    item.id,
                    record.into_draft,
                    record.into_draft,
                    False,
                    f"Draft {record.into_draft} holds line {mark} twice; removing the copy "
                    f"failed: {exc}",
                )
            )
            continue
        actions.append(
            SweepAction(
                record.id,
                "line",
                item.id,
                record.into_draft,
                record.into_draft,
                True,
                f"Removed a duplicate line from draft {record.into_draft} (item {item.id}, "
                f"{mark}): a late copy of a line already there.",
            )
        )
    return actions
