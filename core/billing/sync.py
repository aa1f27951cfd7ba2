"""`sync`: which of timebill's drafts are gone from Billomat, proven, so their entries may be
released in the tracker. Releasing on a mere 404 would let the next run bill them again while
the draft still exists (a typo in the Billomat ID, a proxy's error page), so a draft counts as
gone only when all of these hold:

- the configured account is the one the plan was created in (the journal records it);
- that account answers (GET /clients/myself);
- Billomat's own JSON 404 for the draft's id (not a proxy's HTML page, not "account not found");
- no invoice of the account carries the plan's marker.

Anything else releases nothing, and the report says why. Unfinished plans are reported too, and
the sweep of duplicate drafts (timebill.core.billing.drafts) runs first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timebill.core.billing import drafts
from timebill.core.billing.drafts import SweepAction
from timebill.core.billing.journal import Journal, PlanRecord
from timebill.core.billing.transaction import billomat_account
from timebill.core.errors import NotFoundError, TimebillError, UnknownAccountError


@dataclass(frozen=True)
class Unproven:
    record: PlanRecord
    reason: str


@dataclass
class SyncReport:
    pending: list[PlanRecord] = field(default_factory=list)  # unfinished plans
    swept: list[SweepAction] = field(default_factory=list)
    gone: list[PlanRecord] = field(default_factory=list)  # proven gone: may be released
    unproven: list[Unproven] = field(default_factory=list)  # look gone, but not proven
    account_error: str = ""  # the account did not answer: nothing was checked


async def check(*, billomat: Any, journal: Journal, account: str) -> SyncReport:
    report = SyncReport(pending=journal.unfinished(account))
    current = billomat_account(billomat)
    candidates = []
    for record in journal.plans("created", "done", account=account):
        if not record.invoice_id or record.final:
            continue
        if record.billomat_account and current and record.billomat_account != current:
            report.unproven.append(
                Unproven(
                    record,
                    f"it was created in the Billomat account {record.billomat_account}, but the "
                    f"configuration names {current}; correct the Billomat ID if it is a typo",
                )
            )
            continue
        candidates.append(record)
    try:
        await billomat.verify()
    except TimebillError as exc:
        report.account_error = f"The Billomat account did not answer ({exc}); nothing was released."
        return report
    report.swept = await drafts.sweep(billomat=billomat, journal=journal, account=account)
    for record in candidates:
        reason = await _not_proven(record, billomat, journal)
        if reason is None:
            continue  # the draft exists
        if reason:
            report.unproven.append(Unproven(record, reason))
        else:
            report.gone.append(record)
    return report


async def _not_proven(record: PlanRecord, billomat: Any, journal: Journal) -> str | None:
    """None: the draft exists. "": proven gone. Otherwise why it cannot be told."""
    assert record.invoice_id is not None
    try:
        invoice = await billomat.invoice(record.invoice_id)
    except UnknownAccountError as exc:
        return str(exc)
    except NotFoundError:
        pass
    except TimebillError as exc:
        return f"Billomat did not answer for draft {record.invoice_id} ({exc})"
    else:
        if invoice.status != "DRAFT":
            journal.record_final(record.id)  # completed: it can never be deleted now
        return None
    try:
        if not await billomat.invoice_gone(record.invoice_id):
            return None
    except TimebillError as exc:
        return str(exc)
    if not record.into_draft:
        try:
            copies = await billomat.find_all_by_marker(record.marker)
        except TimebillError as exc:
            return f"the look-up by the plan's marker failed ({exc})"
        if copies:
            return (
                f"draft {record.invoice_id} answered 404, but invoice {copies[0].id} carries "
                "the plan's marker"
            )
    if not record.billomat_account:
        return (
            "the plan was made before timebill recorded the Billomat account, so it cannot be "
            f"proven; if the draft is really gone, `timebill abandon {record.id[:8]} "
            "--delete-draft` releases its entries"
        )
    return ""
