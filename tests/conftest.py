"""Shared fixtures: a sandbox on loopback per test, and a retry policy that does not sleep; the
reliability suites' summary lines (tests/support/reliability_summary.py), hooked in here because
this conftest is loaded by every process, the pytest-xdist controller included.

Helpers live in tests/support/ (on `pythonpath`, see pyproject.toml): import them by module name.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
import reliability_summary
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport() -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    reliability_summary.attach_counts(report)
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    reliability_summary.collect_counts(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = reliability_summary.summary_lines()
    if lines:
        terminalreporter.write_sep("-", "reliability")
        for line in lines:
            terminalreporter.write_line(line)
