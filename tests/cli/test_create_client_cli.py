"""`timebill invoice --create-client`: a customer Billomat does not know yet gets its client
made from the tracker's name, once; the next run finds it remembered; a dry run creates nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import timebill.core.http
from billing_env import OCTOBER, BillingEnv, billing_env

BRUECKNER = "Brückner Maschinenbau GmbH"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        yield env


def clients_named(env: BillingEnv, name: str) -> list[dict[str, object]]:
    with env.server.store.lock:
        rows = env.server.store.collection("billomat", "clients").values()
        return [dict(r) for r in rows if r["name"] == name]


def test_creates_the_client_once_and_bills_to_it(env: BillingEnv) -> None:
    run = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--create-client", "--yes")
    assert run.code == 0, run.text
    [client] = clients_named(env, BRUECKNER)
    assert f"Created Billomat client {BRUECKNER} ({client['id']}) for {BRUECKNER}." in run.out
    assert "created by timebill from mite customer" in str(client["note"])
    [invoice] = env.timebill_invoices()
    assert str(invoice["client_id"]) == str(client["id"])

    # Next month's run (here: the same period again) finds the client remembered.
    again = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--create-client", "--yes")
    assert "Created Billomat client" not in again.out
    assert "has no Billomat client" not in again.err
    assert len(clients_named(env, BRUECKNER)) == 1


def test_next_month_bills_to_the_remembered_client_without_the_flag(env: BillingEnv) -> None:
    before = env.billed()
    run = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--create-client", "--yes")
    assert run.code == 0, run.text
    [client] = clients_named(env, BRUECKNER)
    brueckner_entry = sorted(env.billed() - before)[0]
    env.add_entry(dt.date(2026, 11, 3), like=brueckner_entry)

    later = env.run(
        "invoice", "--customer", "Brückner", "--from", "2026-11-01", "--to", "2026-11-30", "--yes"
    )
    assert later.code == 0, later.text
    assert len(clients_named(env, BRUECKNER)) == 1
    assert [str(i["client_id"]) for i in env.timebill_invoices()] == [str(client["id"])] * 2


def test_dry_run_creates_nothing(env: BillingEnv) -> None:
    invoices, entries = env.invoices(), env.entries()
    run = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--create-client", "--dry-run")
    assert run.code == 0, run.text
    assert f"would create Billomat client {BRUECKNER}" in run.out
    assert "nothing created" in run.out
    assert clients_named(env, BRUECKNER) == []
    assert env.invoices() == invoices
    assert env.entries() == entries
    # Without the flag the customer still has no client.
    plain = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--dry-run")
    assert plain.code == 1
    assert "--create-client" in plain.err


def test_not_with_all_customers(env: BillingEnv) -> None:
    run = env.run("invoice", "--all-customers", *OCTOBER, "--create-client", "--yes")
    assert run.code != 0
    assert "--create-client" in run.err
    assert env.timebill_invoices() == []


def test_a_lost_answer_says_so_and_the_next_run_finds_the_client(
    env: BillingEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client is created but its answer is lost: no draft, and no second client next time.
    # The client gives up after one second here (30 s for real), the sandbox holds the answer.
    monkeypatch.setattr(timebill.core.http, "DEFAULT_TIMEOUT", httpx.Timeout(5.0, read=1.0))
    held = env.server.faults.add(
        "hold", service="billomat", method="POST", path="/api/clients", delay=60
    )
    invoices, entries = env.invoices(), env.entries()
    lost = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--create-client", "--yes")
    assert lost.code == 1, lost.text
    assert "Traceback" not in lost.text
    assert f"creating Billomat client {BRUECKNER} failed" in lost.err
    assert "found by its name" in lost.err
    held.release.set()
    assert env.invoices() == invoices and env.entries() == entries
    assert len(clients_named(env, BRUECKNER)) == 1  # it did land

    again = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--create-client", "--yes")
    assert again.code == 0, again.text
    assert "Created Billomat client" not in again.out  # found by its name
    [client] = clients_named(env, BRUECKNER)
    [invoice] = env.timebill_invoices()
    assert str(invoice["client_id"]) == str(client["id"])
