"""An id or name typed on the command line that names nothing (a customer, a Billomat client, a
draft, a plan) is bad usage: exit 2 with one line saying which value and where to find the right
one. The same command with the service failing is not the user's typo: exit 1, saying so."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from billing_env import GRUENWALD_DRAFT, HOEFER, OCTOBER, BillingEnv, Run, billing_env
from sandbox_support import SleepRecorder
from timebill.core.cli.exit_codes import EXIT_FAILED, EXIT_USAGE
from timebill.core.http import RetryPolicy

UNKNOWN = "999999"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingEnv]:
    # The failing services are retried as always; the waits are recorded, not slept.
    monkeypatch.setattr(
        "timebill.core.http.RetryPolicy", functools.partial(RetryPolicy, sleep=SleepRecorder())
    )
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        yield env


def one_line(run: Run) -> str:
    """The whole of stderr: one line, no traceback."""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    return lines[0]


def unchanged(env: BillingEnv, *argv: str) -> Run:
    """`timebill ARGV`, checking that nothing was created, marked or planned."""
    invoices, entries = env.invoices(), env.entries()
    run = env.run(*argv)
    assert env.invoices() == invoices and env.entries() == entries and env.plans() == []
    return run


def fail_always(env: BillingEnv, service: str, path: str, kind: str = "status") -> None:
    env.server.faults.add(kind, service=service, method="GET", path=path, count=None, status=503)


def test_an_unknown_customer_is_usage_and_a_failing_tracker_is_not(env: BillingEnv) -> None:
    for typed in (UNKNOWN, "Nordwind Reederei"):
        run = unchanged(env, "invoice", "--customer", typed, *OCTOBER, "--yes")
        assert run.code == EXIT_USAGE
        assert one_line(run).startswith(f"timebill: unknown customer '{typed}'. Known customers:")
    fail_always(env, "mite", "/customers")
    run = unchanged(env, "invoice", "--customer", UNKNOWN, *OCTOBER, "--yes")
    assert run.code == EXIT_FAILED
    assert "mite" in one_line(run) and "unknown customer" not in run.err


def test_an_unknown_billomat_client_is_usage_and_a_failing_billomat_is_not(
    env: BillingEnv,
) -> None:
    for extra in ("--yes", "--dry-run"):
        run = unchanged(env, "invoice", "--customer", "Höfer", *OCTOBER, "--client", UNKNOWN, extra)
        assert run.code == EXIT_USAGE
        assert one_line(run) == (
            f"timebill: --client {UNKNOWN}: Billomat has no client with this id; clients named "
            f"like Höfer Logistik AG: Hoefer Logistik AG ({HOEFER}). Nothing created."
        )
    fail_always(env, "billomat", "/api/clients")
    run = unchanged(env, "invoice", "--customer", "Höfer", *OCTOBER, "--client", UNKNOWN, "--yes")
    assert run.code == EXIT_FAILED
    assert "Billomat" in one_line(run) and "no client" not in run.err


def test_an_unknown_draft_is_usage_and_a_failing_billomat_is_not(env: BillingEnv) -> None:
    into = ("invoice", "--customer", "Grünwald", *OCTOBER, "--into-draft")
    run = unchanged(env, *into, UNKNOWN, "--yes")
    assert run.code == EXIT_USAGE
    assert (
        one_line(run) == f"timebill: Billomat has no invoice {UNKNOWN} (deleted?); nothing created."
    )
    # Checked before the plan is shown: the error is all there is to read.
    assert "Period:" not in run.out
    # A draft of another client is no target for this customer's lines either.
    other = unchanged(env, "invoice", "--customer", "müller", *OCTOBER, "--into-draft",
                      GRUENWALD_DRAFT, "--dry-run")  # fmt: skip
    assert other.code == EXIT_USAGE and "is not a draft of this client" in one_line(other)

    # A proxy's HTML 404 does not prove the draft is missing, and a 503 is Billomat failing.
    for kind in ("html", "status"):
        env.server.faults.clear()
        env.server.faults.add(
            kind,
            service="billomat",
            method="GET",
            path=f"/api/invoices/{GRUENWALD_DRAFT}",
            count=None,
            status=404 if kind == "html" else 503,
        )
        run = unchanged(env, *into, GRUENWALD_DRAFT, "--yes")
        assert run.code == EXIT_FAILED, (kind, run.text)
        assert "has no invoice" not in one_line(run)


def test_an_unknown_plan_is_usage_and_a_failing_billomat_is_not(env: BillingEnv) -> None:
    for typed, hint in ((UNKNOWN, ""), ("ab", " (give at least 4 characters of its id)")):
        run = unchanged(env, "abandon", typed, "--keep-draft", "--yes")
        assert run.code == EXIT_USAGE
        assert one_line(run) == (
            f"timebill: No plan '{typed}' in the journal{hint}. `timebill sync` lists the "
            "unfinished plans with their ids."
        )

    # A plan whose draft request failed, abandoned while Billomat fails: its own failure (1).
    env.server.faults.add(
        "status", service="billomat", method="POST", path="/api/invoices", status=400
    )
    assert env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes").code == EXIT_FAILED
    [pending] = env.plans("pending")
    env.server.faults.clear()
    fail_always(env, "billomat", "/api/invoices")
    run = env.run("abandon", pending.id[:8], "--delete-draft", "--yes")
    assert run.code == EXIT_FAILED, run.text
    assert [record.id for record in env.plans("pending")] == [pending.id]
