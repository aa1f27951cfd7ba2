"""Billomat's rate limit in a real run (issue 10, item 6): `timebill invoice` waits for the next
window and says so on stderr; Ctrl+C during the wait sends nothing, loses nothing, and
`timebill resume` creates the draft exactly once afterwards; a window beyond
`[billomat] max_rate_limit_wait` stops the run with the time it opens."""

from __future__ import annotations

import functools
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import timebill.core.http
from billing_env import OCTOBER, BillingEnv, billing_env
from sandbox_support import FakeClock
from timebill.core.http import RetryPolicy

MUELLER_NAME = "Müller & Söhne GmbH"
WAITING = re.compile(
    r"Billomat rate limit: waiting (\d+:\d\d) until \d\d:\d\d:\d\d "
    r"\(Ctrl\+C cancels, nothing is lost\)"
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        yield env


def refuse_the_create(env: BillingEnv, seconds: float) -> None:
    """Billomat refuses the draft's POST once: the window opens in `seconds`."""
    env.server.faults.add(
        "rate_limit", service="billomat", method="POST", path="/api/invoices", retry_after=seconds
    )


def test_the_cli_waits_for_the_window_and_says_so(
    env: BillingEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(time.time())
    monkeypatch.setattr(
        timebill.core.http,
        "RetryPolicy",
        functools.partial(RetryPolicy, sleep=clock.sleep, clock=clock.now),
    )
    refuse_the_create(env, 462)
    run = env.run("invoice", "--customer", MUELLER_NAME, *OCTOBER, "--yes")
    assert run.code == 0, run.text
    waits = WAITING.findall(run.err)
    assert waits == ["7:42"], run.err  # one line, not one per second
    [draft] = env.timebill_invoices()
    [plan] = env.plans("done")
    assert draft["id"] == plan.invoice_id
    assert set(plan.entry_ids) <= env.billed()
    assert sum(clock.slept) >= 462


def test_ctrl_c_during_the_wait_loses_nothing_and_resume_creates_once(env: BillingEnv) -> None:
    refuse_the_create(env, 600)
    billed_before = env.billed()
    proc = env.spawn("invoice", "--customer", MUELLER_NAME, *OCTOBER, "--yes")
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stderr is not None
        seen = ""
        while not WAITING.search(seen):
            line = proc.stderr.readline().decode()
            assert line, "timebill ended without announcing the wait: " + seen
            seen += line
        proc.send_signal(signal.SIGINT)  # Ctrl+C
        rest = proc.communicate(timeout=30)[1].decode()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, seen + rest
    assert "Billomat rate limit: wait cancelled; nothing was sent." in rest
    assert "Traceback" not in rest
    # Nothing was created or marked; the journal keeps the plan for resume.
    assert env.timebill_invoices() == []
    assert env.billed() == billed_before
    [pending] = env.plans("pending")

    run = env.run("resume")
    assert run.code == 0, run.text
    [draft] = env.timebill_invoices()
    assert draft["id"] == env.plans("done")[0].invoice_id
    assert set(pending.entry_ids) <= env.billed()


def test_a_window_beyond_the_ceiling_stops_the_run_with_the_time(
    env: BillingEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEBILL_BILLOMAT__MAX_RATE_LIMIT_WAIT", "60")
    refuse_the_create(env, 600)
    billed_before = env.billed()
    run = env.run("invoice", "--customer", MUELLER_NAME, *OCTOBER, "--yes")
    assert run.code == 1, run.text
    assert "Try again in 60" in run.err
    assert "longer than timebill waits (60 s; billomat.max_rate_limit_wait raises that)" in run.err
    assert "Traceback" not in run.text
    assert env.timebill_invoices() == []
    assert env.billed() == billed_before
