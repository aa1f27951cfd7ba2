"""The month-end run (`timebill invoice --all-customers`) and `timebill sync` against the
sandbox: one draft per Billomat client with open entries; a draft deleted in Billomat releases
exactly its entries; a failure in one client's draft leaves the others intact."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from billing_env import OCTOBER, BillingEnv, billing_env, changed
from timebill.core.billing import transaction
from timebill.core.billing.markers import marker_of
from timebill.core.billomat.client import Billomat


def open_by_customer(env: BillingEnv) -> dict[str, set[str]]:
    """Open billable October entries per tracker customer name, as the tracker lists them."""
    listed = env.run("entries", *OCTOBER, "--format", "json")
    assert listed.code == 0, listed.err
    found: dict[str, set[str]] = defaultdict(set)
    for e in json.loads(listed.out):
        if e["billable"] and not e["billed"] and not e["running"]:
            found[e["customer_name"]].add(e["id"])
    return found


def delete_draft(env: BillingEnv, invoice_id: str) -> None:
    creds = env.server.credentials()["billomat"]

    async def delete() -> None:
        async with Billomat(
            creds["billomat_id"], creds["api_key"], base_url=creds["base_url"]
        ) as billomat:
            await billomat.delete_invoice(invoice_id)

    asyncio.run(delete())


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_month_end_creates_one_draft_per_client_and_sync_releases_a_deleted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    with billing_env(tmp_path, monkeypatch, tracker) as env:
        wanted = open_by_customer(env)
        clients = {
            c["name"]: c["id"] for c in env.server.store.collection("billomat", "clients").values()
        }
        # Höfer (Billomat spells it "Hoefer") and Brückner (no client) have no exact match.
        assigned = {name: ids for name, ids in wanted.items() if name in clients}
        skipped = set(wanted) - set(assigned)
        assert skipped == {"Höfer Logistik AG", "Brückner Maschinenbau GmbH"}
        before, invoices = env.entries(), len(env.invoices())
        listings = env.server.requests[("billomat", "GET", "/api/invoices")]

        run = env.run("invoice", "--all-customers", *OCTOBER, "--yes")
        # The account's drafts are read by the sweep, before the first draft, and after each
        # draft (the look before the next one goes by that reading): not twice per draft.
        listed = env.server.requests[("billomat", "GET", "/api/invoices")] - listings
        assert listed == 2 + len(assigned), listed
        # Customers without a client are skipped and named: finished, but not clean (exit 7).
        assert run.code == 7, run.text
        for name in skipped:
            assert f"Skipped {name}" in run.err
        assert "similar: Hoefer Logistik AG (812304)" in run.err
        assert (
            f"Created {len(assigned)} of {len(assigned)} drafts; skipped 2 customers: "
            "Brückner Maschinenbau GmbH, Höfer Logistik AG." in run.out
        )

        records = env.plans("done")
        assert sorted(r.client_id for r in records) == sorted(clients[n] for n in assigned)
        drafts = env.timebill_invoices()
        assert len(drafts) == len(assigned) and len(env.invoices()) == invoices + len(assigned)
        by_client = {r.client_id: r for r in records}
        for name, ids in assigned.items():
            record = by_client[clients[name]]
            assert set(record.entry_ids) == ids
            draft = env.invoice(record.invoice_id or "")
            assert marker_of(draft["customfield"]) == record.plan.marker
            assert Decimal(draft["total_gross"]) == record.plan.total_gross
            assert len(draft["items"]) == len(record.plan.lines)
        billed_now = set().union(*assigned.values())
        assert changed(before, env.entries()) == billed_now
        assert billed_now <= env.billed()

        # A second run has nothing left to bill but the unassigned customers, and says so.
        rerun = env.run("invoice", "--all-customers", *OCTOBER, "--yes")
        assert rerun.code == 7, rerun.text
        assert "Nothing to bill from 01.10.2026 to 31.10.2026; skipped 2 customers" in rerun.out
        assert "Skipped Höfer Logistik AG" in rerun.err
        assert len(env.invoices()) == invoices + len(assigned)

        # Nothing changed in Billomat: sync finds everything in place.
        quiet = env.run("sync", "--yes")
        assert quiet.code == 0 and quiet.out.startswith("In sync")

        # The user deletes one draft in Billomat; sync releases exactly its entries.
        gone = by_client[clients["Kühne Medientechnik e.K."]]
        delete_draft(env, gone.invoice_id or "")
        marked = env.entries()
        synced = env.run("sync", "--yes")
        assert synced.code == 0, synced.text
        assert f"released {len(gone.entry_ids)} entries" in synced.out
        assert changed(marked, env.entries()) == set(gone.entry_ids)
        assert env.billed() & set(gone.entry_ids) == set()
        assert billed_now - set(gone.entry_ids) <= env.billed()
        assert {r.id: r.state for r in env.plans()}[gone.id] == "released"
        assert env.run("sync", "--yes").out.startswith("In sync")

        # Released entries can be billed again, and only they are open for that client.
        again = env.run("invoice", "--customer", "Kühne", *OCTOBER, "--yes")
        assert again.code == 0, again.text
        [fresh] = [r for r in env.plans("done") if r.client_id == gone.client_id]
        assert set(fresh.entry_ids) == set(gone.entry_ids)


def test_month_end_keeps_going_when_one_draft_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        # The second draft of the run fails in Billomat; the others are created regardless.
        rule = env.server.faults.add(
            "status", service="billomat", method="POST", path="/api/invoices", after=1, status=500
        )
        run = env.run("invoice", "--all-customers", *OCTOBER, "--yes")
        assert run.code == 1
        assert rule.fired == 1
        assert "failed:" in run.err and "timebill resume" in run.err
        pending = env.plans("pending")
        done = env.plans("done")
        assert len(pending) == 1 and len(done) >= 4
        assert len(env.timebill_invoices()) == len(done)
        assert not set(pending[0].entry_ids) & env.billed()

        # The 500 may have been carried out: resume finds no draft but does not create it again
        # while that request could still land.
        waiting = env.run("resume")
        assert waiting.code == 4, waiting.text
        assert "may still reach Billomat" in waiting.err
        assert len(env.timebill_invoices()) == len(done)
        # Once the window has passed, resume checks the entries are still open and creates it.
        monkeypatch.setattr(transaction, "LATE_WINDOW", dt.timedelta(0))
        resumed = env.run("resume")
        assert resumed.code == 0, resumed.text
        assert {r.state for r in env.plans()} == {"done"}
        assert len(env.timebill_invoices()) == len(done) + 1
        assert set(pending[0].entry_ids) <= env.billed()


def test_sync_without_yes_asks_and_keeps_entries_billed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        assert env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes").code == 0
        [record] = env.plans("done")
        delete_draft(env, record.invoice_id or "")
        before = env.entries()
        asked = env.run("sync")  # no terminal to ask: nothing is released
        assert asked.code == 5, asked.text
        assert "pass --yes" in asked.err
        assert "kept as billed" in asked.out
        assert env.entries() == before
        assert env.plans("done")[0].id == record.id


def test_month_end_skips_a_client_with_implausible_entries_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        wanted = open_by_customer(env)
        mueller = sorted(wanted["Müller & Söhne GmbH"])
        long = env.add_entry(dt.date(2026, 10, 31), like=mueller[0], minutes=30 * 60)

        run = env.run("invoice", "--all-customers", *OCTOBER, "--yes")
        assert run.code == 7, run.text  # skipped, not failed
        assert "Müller & Söhne GmbH" in run.out.splitlines()[-1]
        assert f"implausible: entry {long} on 31.10.2026" in run.out
        assert "skipped: 1 implausible entries" in run.err and "--allow-implausible" in run.err
        assert "812301" not in {r.client_id for r in env.plans("done")}
        assert long not in env.billed() and env.plans("done")  # the other clients were billed

        again = env.run("invoice", "--all-customers", *OCTOBER, "--allow-implausible", "--yes")
        [record] = [r for r in env.plans("done") if r.client_id == "812301"]
        assert long in record.entry_ids and long in env.billed(), again.text
