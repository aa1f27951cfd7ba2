"""The month-end queue as data: one row per Billomat client with a plan, per customer without a
client and per client whose plan could not be built; and creating the reviewed rows one after
another. Used by `timebill invoice --all-customers` and the app's Month-end screen."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from timebill.core.billing.catalog import customers_of, services_of
from timebill.core.billing.drafts import RecentDrafts
from timebill.core.billing.outcomes import Created
from timebill.core.billing.service import BillingService
from timebill.core.billing.transaction import BillingResult
from timebill.core.invoicing.builder import Assignments, MonthEndPlans, PlanOptions, plans_by_client
from timebill.core.models import InvoicePlan, TimeEntry
from timebill.core.money import entry_amount
from timebill.core.sources.base import TimeSource

RowKind = Literal["plan", "unassigned", "failed"]
RowState = Literal["open", "reviewed", "created", "failed", "unassigned", "error"]


class Reviewed(Protocol):
    """A plan as the user reviewed it (possibly edited), with its options and target draft."""

    @property
    def plan(self) -> InvoicePlan: ...

    @property
    def options(self) -> PlanOptions: ...

    @property
    def into_draft(self) -> str | None: ...


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
    options: PlanOptions | None = None
    reviewed: Reviewed | None = None
    result: BillingResult | None = None
    message: str = ""

    @property
    def billable(self) -> bool:
        """Still to create: a plan not created yet."""
        return self.kind == "plan" and self.state in ("open", "reviewed", "failed")


@dataclass(frozen=True)
class MonthEndQueue:
    assignments: Assignments
    rows: list[QueueRow]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueProgress:
    """Where a batch create is: row `number` of `count`; `stage` "draft" (creating it) or
    "marking" (`done` of `total` entries marked)."""

    number: int
    count: int
    name: str
    stage: str
    done: int = 0
    total: int | None = None


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
    options: Mapping[str, PlanOptions],
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
                options.get(plan.client_id),
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


def month_end_queue(
    service: BillingService,
    entries: Sequence[TimeEntry],
    *,
    overrides: Mapping[str, Any] | None = None,
    article_choice: Mapping[str, str] | None = None,
    remember: bool = False,
    previous: Sequence[QueueRow] = (),
) -> MonthEndQueue:
    """One plan per Billomat client with open entries, from entries and the loaded catalog.
    Writes nothing unless `remember` (then name matches and `article_choice` are remembered,
    as a confirmed command-line run does)."""
    resolution = service.resolve(
        customers_of(entries),
        services_of(entries),
        article_choice=article_choice,
        remember=remember,
    )
    assignments = resolution.assignments
    options = {
        client_id: service.client_options(client_id, overrides)
        for client_id in set(assignments.clients.values())
    }
    run = plans_by_client(
        entries,
        assignments,
        service.base_options,
        client_options=options,
        in_progress=service.held(),
    )
    rows = queue_rows(run, entries, assignments, options, previous)
    return MonthEndQueue(assignments, rows, tuple(resolution.notes))


async def create_rows(
    service: BillingService,
    rows: Sequence[QueueRow],
    *,
    source: TimeSource,
    billomat: Any,
    report: Callable[[QueueProgress], None] | None = None,
    updated: Callable[[QueueRow, Created], None] | None = None,
    entries: Sequence[TimeEntry] | None = None,
) -> list[Created]:
    """Create each row's plan (as reviewed, else as planned), one after another; a row that
    fails is marked failed and the others go on. A created row's customers are remembered
    for its client. `entries` as shown: each plan's are read again before its draft."""
    outcomes: list[Created] = []
    recent = RecentDrafts()
    for number, row in enumerate(rows, start=1):
        reviewed = row.reviewed
        plan = reviewed.plan if reviewed is not None else row.plan
        options = reviewed.options if reviewed is not None else row.options
        if plan is None or options is None:
            continue

        def progress(
            stage: str, done: int, total: int, number: int = number, name: str = row.name
        ) -> None:
            if report is not None:
                report(QueueProgress(number, len(rows), name, stage, done, total))

        if report is not None:
            report(QueueProgress(number, len(rows), row.name, "draft"))
        outcome = await service.create(
            plan,
            options,
            source=source,
            billomat=billomat,
            into=reviewed.into_draft if reviewed is not None else None,
            progress=progress,
            entries=entries,
            recent=recent,
        )
        row.result = outcome.result
        if outcome.created:
            if row.client_id is not None:
                service.remember_client(row.customer_ids, row.client_id)
            row.state, row.message = "created", outcome.error
        else:
            row.state, row.message = "failed", outcome.error
        outcomes.append(outcome)
        if updated is not None:
            updated(row, outcome)
    return outcomes
