"""Shared fixtures: a sandbox on loopback per test, and a retry policy that does not sleep; the
reliability suites' summary lines (tests/support/reliability_summary.py), hooked in here because
this conftest is loaded by every process, the pytest-xdist controller included.

Helpers live in tests/support/ (on `pythonpath`, see pyproject.toml): import them by module name.
"""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterator

import pytest
import reliability_summary
from sandbox_support import TODAY, SleepRecorder
from timebill.core.http import RetryPolicy
from timebill.core.sandbox import SandboxServer


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection loaded (textual, pydantic's models, the test modules) lives to the end:
    # frozen out of the collector's sight, each full collection walks only what the tests
    # make. About a tenth of the app tests' CPU time.
    gc.collect()
    gc.freeze()


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


@pytest.fixture(scope="session")
def sandbox_100k() -> Iterator[SandboxServer]:
    """All three services with 100,000 generated entries, built once (several seconds) for the
    tests about scale. Only read: the one change a test makes (clockodo marks one entry billed)
    is checked by that test alone. Its tests share the xdist group "100k", so one worker builds
    it (`--dist loadgroup`)."""
    with SandboxServer(today=TODAY, entries=100_000) as server:
        yield server


# Longest first, so that under xdist the short tests fill the gaps at the end: the shared
# 100,000-entry sandbox, then the app, the reliability suites, the command line, ... the units.
LAYERS = ("tui", "reliability", "cli", "sandbox", "adapters", "unit")


def _rank(item: pytest.Item) -> int:
    if item.get_closest_marker("xdist_group"):
        return -1
    folder = item.path.parent.name
    return LAYERS.index(folder) if folder in LAYERS else len(LAYERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)


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
