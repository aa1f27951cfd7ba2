"""The billing service (timebill.core.billing.service) against the sandbox, as both front-ends
use it: a plan takes the client's remembered options, a draft named to take the lines is
checked the same way for everyone, the month-end queue is built without writing anything, and
a create that stopped half-way is finished by resume."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from billing_env import GRUENWALD, GRUENWALD_DRAFT, MUELLER, BillingEnv, billing_env
from timebill.core.billing.catalog import customers_of
from timebill.core.billing.month_end import create_rows, month_end_queue
from timebill.core.billing.outcomes import NoClient, NothingToBill, Planned, TargetError
from timebill.core.billing.service import BillingService
from timebill.core.models import Customer, TimeEntry
from timebill.core.settings.model import load_settings

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
MUELLER_NAME = "Müller & Söhne GmbH"
GRUENWALD_NAME = "Grünwald Architekten PartG"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        yield env


@pytest.fixture
def service(env: BillingEnv) -> Iterator[BillingService]:
    with BillingService.open(load_settings()) as service:
        yield service


async def customer_entries(service: BillingService, name: str) -> tuple[Customer, list[TimeEntry]]:
    async with service.connect() as (source, billomat):
        customer = next(c for c in await source.customers() if c.name == name)
        entries = await source.entries(START, END, customer_id=customer.id)
        await service.load_catalog(billomat)
    return customer, entries


def journal_dump(env: BillingEnv) -> list[str]:
    path = env.data / "journal.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


async def test_a_plan_takes_the_options_remembered_when_the_client_was_last_billed(
    env: BillingEnv, service: BillingService
) -> None:
    customer, entries = await customer_entries(service, MUELLER_NAME)
    first = service.plan_customer(entries, customer, overrides={"grouping": "day", "round_to": 30})
    assert isinstance(first, Planned), first
    assert first.result.plan.client_id == MUELLER
    assert (first.options.grouping, first.options.round_to) == ("day", 30)
    days = {e.date for e in entries if e.id in first.result.plan.entry_ids}
    titles = {line.title for line in first.result.plan.lines}
    assert titles == {f"Leistungen am {day:%d.%m.%Y}" for day in days}

    # Nothing remembered before a draft exists: a plan alone changes no defaults.
    again = service.plan_customer(entries, customer)
    assert isinstance(again, Planned) and again.options.grouping == "service"

    async with service.connect() as (source, billomat):
        created = await service.create(
            first.result.plan, first.options, source=source, billomat=billomat
        )
    assert created.kind == "done", created
    assert set(first.result.plan.entry_ids) <= env.billed()

    # A late entry: the next plan for the client is grouped and rounded as last time.
    late = env.add_entry(dt.date(2026, 10, 30), like=first.result.plan.entry_ids[0])
    _, entries = await customer_entries(service, MUELLER_NAME)
    following = service.plan_customer(entries, customer)
    assert isinstance(following, Planned), following
    assert following.result.plan.entry_ids == (late,)
    assert (following.options.grouping, following.options.round_to) == ("day", 30)
    [line] = following.result.plan.lines
    assert line.quantity == 1  # 45 minutes rounded up to the half hour: 1 h


async def test_nothing_to_bill_says_why(env: BillingEnv, service: BillingService) -> None:
    customer, entries = await customer_entries(service, MUELLER_NAME)
    billed = [dataclasses.replace(e, billed=True) for e in entries]
    nothing = service.plan_customer(billed, customer)
    assert isinstance(nothing, NothingToBill)
    assert {item.reason for item in nothing.skipped} == {"billed"}
    assert nothing.busy == 0 and not nothing.unfinished


async def test_a_customer_without_client_gets_suggestions_not_a_guess(
    service: BillingService,
) -> None:
    customer, entries = await customer_entries(service, "Höfer Logistik AG")
    answer = service.plan_customer(entries, customer)
    assert isinstance(answer, NoClient)
    assert "Hoefer" in answer.similar[0].name


async def test_a_target_draft_is_refused_with_a_clear_message(
    env: BillingEnv, service: BillingService
) -> None:
    sent = next(
        i["id"] for i in env.invoices() if i["client_id"] == MUELLER and i["status"] != "DRAFT"
    )
    async with service.connect() as (_, billomat):
        ok = await service.check_target(billomat, GRUENWALD_DRAFT, GRUENWALD)
        assert ok.invoice_id == GRUENWALD_DRAFT
        with pytest.raises(TargetError, match=r"not a draft of this client: it belongs to"):
            await service.check_target(billomat, GRUENWALD_DRAFT, MUELLER)
        with pytest.raises(TargetError, match=rf"Invoice {sent} is not a draft any more \(status"):
            await service.check_target(billomat, sent, MUELLER)
        with pytest.raises(TargetError, match=r"Billomat has no invoice 999999"):
            await service.check_target(billomat, "999999", MUELLER)


async def test_create_into_another_clients_draft_records_and_sends_nothing(
    env: BillingEnv, service: BillingService
) -> None:
    customer, entries = await customer_entries(service, MUELLER_NAME)
    planned = service.plan_customer(entries, customer)
    assert isinstance(planned, Planned)
    invoices, tracker, journal = env.invoices(), env.entries(), journal_dump(env)
    async with service.connect() as (source, billomat):
        created = await service.create(
            planned.result.plan,
            planned.options,
            source=source,
            billomat=billomat,
            into=GRUENWALD_DRAFT,
        )
    assert created.kind == "target" and not created.recorded
    assert "not a draft of this client" in created.error
    assert env.invoices() == invoices and env.entries() == tracker
    assert journal_dump(env) == journal


async def test_the_month_end_queue_is_built_without_writing_the_journal(
    env: BillingEnv, service: BillingService
) -> None:
    async with service.connect() as (source, billomat):
        entries = await source.entries(START, END, billable=True, billed=False)
        await service.load_catalog(billomat)
    before = journal_dump(env)

    queue = month_end_queue(service, entries)

    assert journal_dump(env) == before
    unassigned = {row.name for row in queue.rows if row.kind == "unassigned"}
    assert unassigned == {"Höfer Logistik AG", "Brückner Maschinenbau GmbH"}
    plans = [row for row in queue.rows if row.kind == "plan"]
    assert {row.client_id for row in plans} >= {MUELLER, GRUENWALD}
    for row in plans:
        assert row.plan is not None and row.options is not None and row.state == "open"
        assert row.amount == row.plan.total_net
    assert sum(len(row.entry_ids) for row in queue.rows) == len(
        [e for e in entries if not e.running]
    )
    # A confirmed command-line run remembers the name matches; the queue itself does not.
    month_end_queue(service, entries, remember=True)
    remembered = service.journal.assignments(service.account, "customer")
    assert set(remembered) == set(customers_of(entries)) - {
        c for c, n in customers_of(entries).items() if n in unassigned
    }


async def test_create_stopped_while_marking_is_finished_by_resume(
    env: BillingEnv, service: BillingService
) -> None:
    customer, entries = await customer_entries(service, GRUENWALD_NAME)
    planned = service.plan_customer(entries, customer)
    assert isinstance(planned, Planned)
    plan = planned.result.plan
    rule = env.server.faults.add(
        "status", service="mite", method="PATCH", path="/time_entries/", status=403, count=None
    )
    async with service.connect() as (source, billomat):
        created = await service.create(
            plan, planned.options, source=source, billomat=billomat, into=GRUENWALD_DRAFT
        )
    assert rule.fired
    assert created.kind == "unfinished" and created.recorded, created
    assert "`timebill resume` tries again" in created.error
    assert [record.id for record in service.unfinished()] == [plan.id]
    assert not set(plan.entry_ids) & env.billed()

    env.server.faults.clear()
    async with service.connect() as (source, billomat):
        [result] = await service.resume(source=source, billomat=billomat)
    assert result.state == "done" and result.invoice_id == GRUENWALD_DRAFT
    assert service.unfinished() == []
    assert set(plan.entry_ids) <= env.billed()
    lines = [i for i in env.invoice(GRUENWALD_DRAFT)["items"] if plan.marker in i["customfield"]]
    assert len(lines) == len(plan.lines)  # added once, not again on resume


async def test_the_month_end_queue_creates_its_rows_and_remembers_what_it_billed(
    env: BillingEnv, service: BillingService
) -> None:
    async with service.connect() as (source, billomat):
        entries = await source.entries(START, END, billable=True, billed=False)
        await service.load_catalog(billomat)
    queue = month_end_queue(service, entries, overrides={"grouping": "project"})
    [row] = [r for r in queue.rows if r.client_id == MUELLER]
    seen: list[str] = []
    async with service.connect() as (source, billomat):
        [outcome] = await create_rows(
            service,
            [row],
            source=source,
            billomat=billomat,
            report=lambda where: seen.append(where.stage),
        )
    assert outcome.kind == "done" and row.state == "created"
    assert row.result is not None and row.result.invoice_id in {i["id"] for i in env.invoices()}
    assert seen[0] == "draft" and seen[-1] == "marking"
    assert set(row.entry_ids) <= env.billed()
    customers = service.journal.assignments(service.account, "customer")
    assert {customers[c] for c in row.customer_ids} == {MUELLER}
    assert service.client_options(MUELLER).grouping == "project"
