"""The month-end queue as data: one row per Billomat client with a plan, per customer without a
client and per client whose plan could not be built. No widgets: the Month-end screen shows
these rows and changes their state as the user reviews and creates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from timebill.core.billing.transaction import BillingResult
from timebill.core.cli.entries import entry_amount
from timebill.core.connect import open_billomat, open_source
from timebill.core.invoicing.builder import Assignments, MonthEndPlans, plans_by_client
from timebill.core.models import InvoicePlan, TimeEntry
from timebill.core.text import one_line
from timebill.tui.flow_context import BillingContext, customers_of, services_of
from timebill.tui.flow_create import create_plan
from timebill.tui.i18n import register, t

STRINGS = {
    "queue.creating": {
        "en": "{n} of {count}: creating the draft for {name}…",
        "de": "{n} von {count}: Entwurf für {name} wird angelegt…",
    },
    "queue.marking": {
        "en": "{n} of {count}: {name}: marking entries billed {done} of {total}",
        "de": "{n} von {count}: {name}: Einträge markieren {done} von {total}",
    },
}
register(STRINGS)

RowKind = Literal["plan", "unassigned", "failed"]
RowState = Literal["open", "reviewed", "created", "failed", "unassigned", "error"]


@dataclass
class QueueRow:
    key: str
    kind: RowKind
    name: str
    client_id: str | None
    customer_ids: frozenset[str]
    entry_ids: tuple[str, ...]
    minutes: int
    amount: Decimal | None
    state: RowState
    plan: InvoicePlan | None = None
    # The plan as reviewed in the preview (possibly edited), with its options and target.
    reviewed: object | None = None
    result: BillingResult | None = None
    message: str = ""

    @property
    def billable(self) -> bool:
        """Still to create: a plan not created yet."""
        return self.kind == "plan" and self.state in ("open", "reviewed", "failed")


def _minutes(entries: Sequence[TimeEntry]) -> int:
    return sum(e.minutes for e in entries if e.kind == "time")


def _amount(entries: Sequence[TimeEntry]) -> Decimal | None:
    amounts = [entry_amount(e) for e in entries]
    known = [a for a in amounts if a is not None]
    return sum(known, Decimal("0")) if known else None


def queue_rows(
    run: MonthEndPlans,
    entries: Sequence[TimeEntry],
    assignments: Assignments,
    previous: Sequence[QueueRow] = (),
) -> list[QueueRow]:
    """The rows for `run`; rows of `previous` that were reviewed or created keep their state
    (a created client's entries are billed now, so it is no longer in `run`)."""
    by_id = {e.id: e for e in entries}
    kept = {row.key: row for row in previous if row.state in ("reviewed", "created")}
    rows: list[QueueRow] = []
    for result in run.plans:
        plan = result.plan
        key = f"client:{plan.client_id}"
        old = kept.pop(key, None)
        if old is not None:
            rows.append(old)
            continue
        planned = [by_id[i] for i in plan.entry_ids if i in by_id]
        rows.append(
            QueueRow(
                key,
                "plan",
                plan.client_name or plan.client_id,
                plan.client_id,
                frozenset(e.customer_id for e in planned if e.customer_id),
                plan.entry_ids,
                _minutes(planned),
                plan.total_net,
                "open",
                plan,
            )
        )
    rows.extend(row for row in kept.values() if row.state == "created")
    for failure in run.failed:
        found = [e for e in entries if assignments.client_for(e) == failure.client_id]
        rows.append(
            QueueRow(
                f"client:{failure.client_id}",
                "failed",
                failure.client_name or failure.client_id,
                failure.client_id,
                frozenset(e.customer_id for e in found if e.customer_id),
                tuple(e.id for e in found),
                _minutes(found),
                _amount(found),
                "error",
                message=str(failure.error),
            )
        )
    for customer in run.unassigned:
        found = [by_id[i] for i in customer.entry_ids if i in by_id]
        rows.append(
            QueueRow(
                f"customer:{customer.customer_id}",
                "unassigned",
                customer.customer_name,
                None,
                frozenset({customer.customer_id}),
                customer.entry_ids,
                _minutes(found),
                _amount(found),
                "unassigned",
            )
        )
    return rows


def next_open(rows: Sequence[QueueRow], index: int) -> int | None:
    """The next row after `index` (wrapping round) whose plan is still to create."""
    count = len(rows)
    for step in range(1, count):
        candidate = (index + step) % count
        if rows[candidate].kind == "plan" and rows[candidate].state in ("open", "reviewed"):
            return candidate
    return None


def plan_queue(
    context: BillingContext, entries: Sequence[TimeEntry], previous: Sequence[QueueRow] = ()
) -> tuple[Assignments, list[QueueRow]]:
    """The assignments (exact name matches remembered, as the CLI does) and one plan per client
    with open entries; pure but for the journal."""
    resolution = context.resolve(customers_of(entries), services_of(entries))
    assignments = resolution.assignments
    options = {
        client_id: context.client_options(client_id)
        for client_id in set(assignments.clients.values())
    }
    run = plans_by_client(
        entries,
        assignments,
        context.base_options,
        client_options=options,
        in_progress=context.held(),
    )
    return assignments, queue_rows(run, entries, assignments, previous)


async def create_reviewed(
    context: BillingContext,
    rows: Sequence[QueueRow],
    *,
    report: Callable[[str, int, int | None], None],
    updated: Callable[[QueueRow, bool], None],
) -> int:
    """Create the reviewed plan of each row, one after another; a row that fails is marked
    failed and the others go on. `report(text, done, total)` tells the progress, `updated(row,
    recorded)` each row's new state. Returns how many drafts were created."""
    created = 0
    async with open_source(context.settings) as source, open_billomat(context.settings) as billomat:
        for number, row in enumerate(rows, start=1):
            reviewed: Any = row.reviewed
            name = one_line(row.name, 30)

            def progress(
                stage: str, done: int, total: int, number: int = number, name: str = name
            ) -> None:
                text = t(
                    "queue.marking", n=number, count=len(rows), name=name, done=done, total=total
                )
                report(text, done, total)

            report(t("queue.creating", n=number, count=len(rows), name=name), 0, None)
            outcome = await create_plan(
                context,
                reviewed.plan,
                reviewed.options,
                source=source,
                billomat=billomat,
                into_draft=reviewed.into_draft,
                progress=progress,
            )
            row.result = outcome.result
            if outcome.created:
                created += 1
                row.state, row.message = "created", outcome.error
            else:
                row.state, row.message = "failed", outcome.notice()[1]
            updated(row, outcome.recorded)
    return created
