"""Shared fixtures: a sandbox on loopback per test, and a retry policy that does not sleep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from core.http import RetryPolicy
from core.sandbox import SandboxServer

# A fixed "today" keeps seed data (and so every expected figure) the same on every day the suite runs.
TODAY = dt.date(2026, 11, 28)


class SleepRecorder:
    """Stands in for asyncio.sleep in RetryPolicy: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def fast_retry(sleeps: SleepRecorder) -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=0.5, max_delay=4.0, sleep=sleeps)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY) as server:
        yield server
