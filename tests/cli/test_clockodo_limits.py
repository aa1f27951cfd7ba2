"""clockodo's per-user limits (issue 10, item 7): the sandbox refuses what clockodo refuses, and a
5,000-entry month-end still finishes fully marked without one refusal: requests are paced below
every window, and a plan's entries are marked per customer with one entrygroups change whose
confirmation count equals the plan's count."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import timebill.core.sources.clockodo
from billing_env import OCTOBER, TODAY, BillingEnv, billing_env
from timebill.core.ratelimit import CLOCKODO_LIMITS, Window, scaled
from timebill.core.sandbox import SandboxServer
from timebill.core.sandbox.clockodo import LIMIT_SCALE_ENV
from timebill.core.sandbox.clockodo_wire import APP_HEADER

# Counts and durations divided by 20: 45 requests in 3 s, 112 in 45 s, 225 in 3 min, 1,000 in
# 72 min. 5,000 entries one PUT each could not be marked within them in any test's time.
SCALED = scaled(CLOCKODO_LIMITS, 20)


@pytest.fixture
def paced(monkeypatch: pytest.MonkeyPatch) -> tuple[Window, ...]:
    """The adapter paces for the scaled limits, as it does for clockodo's own."""
    monkeypatch.setattr(timebill.core.sources.clockodo, "CLOCKODO_LIMITS", SCALED)
    return SCALED


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paced: tuple[Window, ...]
) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, "clockodo", entries=22_000) as env:
        env.server.clockodo.limits = paced
        yield env


def open_october(env: BillingEnv) -> set[str]:
    return {
        i
        for i, e in env.entries().items()
        if e["time_since"].startswith("2026-10") and e["billable"] == 1
    }


def windows(limits: Any) -> list[tuple[int, float]]:
    return [(w.count, w.seconds) for w in limits]


def test_a_5000_entry_month_end_is_marked_fully_within_the_limits(env: BillingEnv) -> None:
    assert len(open_october(env)) > 7000
    billed_before = env.billed()
    env.server.reset_counts()
    started = time.monotonic()
    # The generated volume puts more than 24 h on some people's days: billed as it is.
    run = env.run("invoice", "--all-customers", *OCTOBER, "--yes", "--allow-implausible")
    seconds = time.monotonic() - started
    assert "Traceback" not in run.text
    done = env.plans("done")
    assert done and not env.plans("pending", "created"), run.text
    planned = {i for plan in done for i in plan.entry_ids}
    assert len(planned) >= 5000, len(planned)
    # Every planned entry is billed in clockodo; nothing else was touched.
    assert planned <= env.billed()
    assert env.billed() - billed_before == planned
    # Not one request was refused, and marking took a few requests per customer, not one each.
    assert env.server.clockodo.refused == 0
    puts = env.server.count("clockodo", "PUT")
    assert puts < 40, puts
    assert env.server.count("clockodo") < SCALED[1].count
    assert seconds < 60, seconds
    print(
        f"{len(planned)} entries, {env.server.count('clockodo')} clockodo requests, {seconds:.1f} s"
    )


def test_the_sandbox_refuses_the_request_over_a_limit(env: BillingEnv) -> None:
    creds = env.server.credentials()["clockodo"]
    headers = {
        "X-ClockodoApiUser": creds["email"],
        "X-ClockodoApiKey": creds["api_key"],
        APP_HEADER: "timebill-tests;tests@example.org",
    }
    env.server.clockodo.limits = (Window(3, 60),)
    with httpx.Client(base_url=creds["base_url"], headers=headers) as client:
        answers = [client.get("/api/v2/entries/100000") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["message"].startswith(
        "Too many requests: at most 3 in 1 minute per user."
    )
    assert env.server.clockodo.refused == 1


def test_a_sandbox_in_another_process_is_scaled_by_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LIMIT_SCALE_ENV, "20")
    with SandboxServer(today=TODAY, services=("clockodo",)) as server:
        assert windows(server.clockodo.limits) == windows(SCALED)
    monkeypatch.delenv(LIMIT_SCALE_ENV)
    with SandboxServer(today=TODAY, services=("clockodo",)) as server:
        # The emulator states clockodo's limits itself; the adapter paces below the same ones.
        assert windows(server.clockodo.limits) == windows(CLOCKODO_LIMITS)
