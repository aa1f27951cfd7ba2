"""The reliability suites: summary lines in the terminal report (`make test` shows them), and the
"timebill" logger put back after each test (`--log-file` attaches a handler to it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from reliability_support import SUMMARY
from sandbox_support import timebill_logging_restored

# Suites whose every test is a scenario, counted as "N scenarios, N held".
SCENARIOS = {
    "test_fault_matrix.py::test_scenario[": "fault matrix",
    "test_billing_attacks.py::": "billing attacks",
}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    name = next((n for part, n in SCENARIOS.items() if part in report.nodeid), None)
    if name is None:
        return
    tally = SUMMARY[name]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        tally["scenarios"] += 1
        tally["held"] += int(report.passed)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = []
    for name in SCENARIOS.values():
        tally = SUMMARY.get(name)
        if tally:
            lines.append(f"{name}: {tally['scenarios']} scenarios, {tally['held']} held")
    for name, tally in SUMMARY.items():
        if name not in SCENARIOS.values() and tally:
            lines.append(f"{name}: " + ", ".join(f"{n} {what}" for what, n in tally.items()))
    if lines:
        terminalreporter.write_sep("-", "reliability")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    with timebill_logging_restored():
        yield
