"""History (core/billing/history.py) against the sandbox: the drafts timebill made with their
Billomat state, and taking one entry off a draft: only an entry's own line of a draft, the line
deleted in Billomat, the entry released in the tracker and let go in the journal."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from billing_env import HOEFER, MUELLER, OCTOBER, BillingEnv, billing_env
from timebill.core.billing.history import (
    DELETED,
    UNKNOWN,
    TakeOffRefused,
    made_drafts,
    read_states,
    take_off,
)
from timebill.core.billing.journal import PlanRecord
from timebill.core.connect import open_billomat, open_source, tracker_account
from timebill.core.settings.model import load_settings

CLIENTS = {"Höfer": HOEFER, "Müller": MUELLER}


def bill(env: BillingEnv, customer: str, group_by: str) -> PlanRecord:
    run = env.run(
        "invoice",
        "--customer",
        customer,
        "--client",
        CLIENTS[customer],
        *OCTOBER,
        "--group-by",
        group_by,
        "--yes",
    )
    assert run.code == 0, run.text
    [record] = [p for p in env.plans("done") if p.client_id == CLIENTS[customer]]
    return record


def items(env: BillingEnv, invoice_id: str) -> list[dict[str, Any]]:
    return env.invoice(invoice_id)["items"]


def take(env: BillingEnv, record: PlanRecord, entry_id: str) -> None:
    """Take the entry off as the app does (in this sync test, on an event loop of its own)."""
    asyncio.run(_take(env, record, entry_id))


async def _take(env: BillingEnv, record: PlanRecord, entry_id: str) -> None:
    settings = load_settings(env.config)
    async with open_billomat(settings) as billomat, open_source(settings) as source:
        with env.journal() as journal:
            await take_off(
                billomat=billomat,
                source=source,
                journal=journal,
                record=journal.plan(record.id),
                entry_id=entry_id,
            )


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_take_one_entry_off_a_per_entry_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    with billing_env(tmp_path, monkeypatch, tracker) as env:
        record = bill(env, "Höfer", "entry")
        assert record.invoice_id
        before = items(env, record.invoice_id)
        net_before = Decimal(env.invoice(record.invoice_id)["total_net"])
        line = record.plan.lines[1]
        [entry_id] = line.entry_ids
        assert entry_id in env.billed()

        take(env, record, entry_id)

        after = items(env, record.invoice_id)
        [gone] = [i for i in before if i["id"] not in {a["id"] for a in after}]
        assert len(after) == len(before) - 1
        assert gone["title"] == line.title
        assert Decimal(gone["quantity"]) == line.quantity
        assert Decimal(env.invoice(record.invoice_id)["total_net"]) == net_before - line.total_net
        assert entry_id not in env.billed()
        others = set(record.entry_ids) - {entry_id}
        assert others <= env.billed()
        settings = load_settings(env.config)
        with env.journal() as journal:
            account = tracker_account(settings)
            assert entry_id not in journal.held(account)
            assert others <= journal.held(account)
            assert journal.taken_off(record.id) == {entry_id: True}
            assert entry_id not in journal.entry_invoices(account)

        # The entry is open again: the next invoice for the customer bills it.
        again = env.run("invoice", "--customer", "Höfer", "--client", HOEFER, *OCTOBER, "--yes")
        assert again.code == 0, again.text
        assert entry_id in env.billed()


def test_a_line_of_several_entries_is_not_taken_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        record = bill(env, "Höfer", "service")
        assert record.invoice_id
        line = next(li for li in record.plan.lines if len(li.entry_ids) > 1)
        before = items(env, record.invoice_id)
        with pytest.raises(TakeOffRefused, match=f"bills {len(line.entry_ids)} entries together"):
            take(env, record, line.entry_ids[0])
        assert items(env, record.invoice_id) == before
        assert line.entry_ids[0] in env.billed()


def test_a_completed_invoice_keeps_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        record = bill(env, "Höfer", "entry")
        assert record.invoice_id
        creds = env.server.credentials()["billomat"]
        httpx.put(
            f"{creds['base_url']}/api/invoices/{record.invoice_id}/complete",
            headers={"X-BillomatApiKey": creds["api_key"]},
            json={"complete": {}},
        ).raise_for_status()
        before = items(env, record.invoice_id)
        entry_id = record.plan.lines[0].entry_ids[0]
        with pytest.raises(TakeOffRefused, match="is open, no longer a draft"):
            take(env, record, entry_id)
        assert items(env, record.invoice_id) == before
        assert entry_id in env.billed()


def test_a_failed_release_is_finished_by_taking_off_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        record = bill(env, "Höfer", "entry")
        assert record.invoice_id
        [entry_id] = record.plan.lines[0].entry_ids
        count = len(items(env, record.invoice_id))
        env.server.faults.add(
            "status", service="mite", method="PATCH", path=f"/time_entries/{entry_id}", status=404
        )
        with pytest.raises(TakeOffRefused, match="did not release entry"):
            take(env, record, entry_id)
        assert len(items(env, record.invoice_id)) == count - 1  # the line is gone
        assert entry_id in env.billed()  # still locked: never open while a draft bills it
        with env.journal() as journal:
            assert journal.taken_off(record.id) == {entry_id: False}

        take(env, record, entry_id)  # the fault is used up: only the release is retried
        assert len(items(env, record.invoice_id)) == count - 1
        assert entry_id not in env.billed()


def test_history_reads_each_drafts_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        first = bill(env, "Höfer", "entry")
        second = bill(env, "Müller", "service")
        creds = env.server.credentials()["billomat"]
        httpx.delete(
            f"{creds['base_url']}/api/invoices/{first.invoice_id}",
            headers={"X-BillomatApiKey": creds["api_key"]},
        ).raise_for_status()
        settings = load_settings(env.config)
        with env.journal() as journal:
            drafts = made_drafts(journal, tracker_account(settings))
        assert {d.record.id for d in drafts} == {first.id, second.id}
        created = [d.record.created_at for d in drafts]
        assert created == sorted(created, reverse=True)  # newest first

        async def read(at_most: int = 100) -> list[Any]:
            async with open_billomat(settings) as billomat:
                return await read_states(billomat, drafts, at_most=at_most)

        states = asyncio.run(read())
        by_id = {d.record.id: d for d in states}
        assert (by_id[first.id].status, by_id[second.id].status) == (DELETED, "DRAFT")
        assert by_id[second.id].number == second.invoice_number
        assert by_id[second.id].total_net == second.plan.total_net
        # Only the newest are read; the others say so instead of costing a request each.
        sandbox_gets = env.server.count("billomat", "GET", "/api/invoices/")
        newest, older = asyncio.run(read(at_most=1))
        assert env.server.count("billomat", "GET", "/api/invoices/") == sandbox_gets + 1
        assert newest.status != UNKNOWN
        assert (older.status, older.problem) == (UNKNOWN, "not read: only the newest 1 are")


def test_sync_never_releases_an_entry_taken_off_and_billed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        first = bill(env, "Höfer", "entry")
        [entry_id] = first.plan.lines[0].entry_ids
        take(env, first, entry_id)
        again = env.run("invoice", "--customer", "Höfer", "--client", HOEFER, *OCTOBER, "--yes")
        assert again.code == 0, again.text
        assert entry_id in env.billed()  # on the second draft now
        creds = env.server.credentials()["billomat"]
        httpx.delete(
            f"{creds['base_url']}/api/invoices/{first.invoice_id}",
            headers={"X-BillomatApiKey": creds["api_key"]},
        ).raise_for_status()

        synced = env.run("sync", "--yes")
        assert synced.code == 0, synced.text
        others = set(first.entry_ids) - {entry_id}
        assert others.isdisjoint(env.billed())  # the deleted draft's entries are open again
        assert entry_id in env.billed()  # but not the one the second draft bills
