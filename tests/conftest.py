"""Shared fixtures: a sandbox on loopback per test, and a retry policy that does not sleep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_support import TODAY, SleepRecorder
from timebill.core.http import RetryPolicy
from timebill.core.sandbox import SandboxServer


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
