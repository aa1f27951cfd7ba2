"""The reliability suites: summary lines in the terminal report (`make test` shows them), and the
"timebill" logger put back after each test (`--log-file` attaches a handler to it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from reliability_support import SUMMARY
from sandbox_support import timebill_logging_restored

# The scenario tests of tests/reliability/test_fault_matrix.py.
SCENARIO = "test_fault_matrix.py::test_scenario["


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if SCENARIO not in report.nodeid:
        return
    tally = SUMMARY["fault matrix"]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        tally["scenarios"] += 1
        tally["held"] += int(report.passed)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = []
    matrix = SUMMARY.get("fault matrix")
    if matrix:
        lines.append(f"fault matrix: {matrix['scenarios']} scenarios, {matrix['held']} held")
    for name, tally in SUMMARY.items():
        if name != "fault matrix" and tally:
            lines.append(f"{name}: " + ", ".join(f"{n} {what}" for what, n in tally.items()))
    if lines:
        terminalreporter.write_sep("-", "reliability")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    with timebill_logging_restored():
        yield
