"""The reliability suites' summary lines at the end of the terminal report (`make test` shows
them), also when pytest-xdist runs the tests in worker processes.

The suites count into SUMMARY in whatever process runs them. Each test report carries what was
counted since the previous report (as a user property), and the process that writes the terminal
report (the xdist controller, or the only process) adds these up: every count arrives once.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

# Counted by the reliability suites: {suite: {what: n}}.
SUMMARY: dict[str, Counter[str]] = defaultdict(Counter)

PROPERTY = "reliability summary"
# Suites whose every test is a scenario, counted from their reports as "N scenarios, N held".
SCENARIOS = {
    "test_fault_matrix.py::test_scenario[": "fault matrix",
    "test_billing_attacks.py::": "billing attacks",
}

_reported: dict[str, Counter[str]] = defaultdict(Counter)
_totals: dict[str, Counter[str]] = defaultdict(Counter)


def attach_counts(report: pytest.TestReport) -> None:
    """Puts what SUMMARY counted since the last report into this report."""
    delta = {}
    for suite, tally in SUMMARY.items():
        new = tally - _reported[suite]
        if new:
            delta[suite] = dict(new)
            _reported[suite].update(new)
    if delta:
        report.user_properties = [*report.user_properties, (PROPERTY, delta)]


def collect_counts(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == PROPERTY:
            for suite, tally in value.items():
                _totals[suite].update(tally)
    suite = next((name for part, name in SCENARIOS.items() if part in report.nodeid), None)
    if suite is not None and (
        report.when == "call" or (report.when == "setup" and not report.passed)
    ):
        _totals[suite]["scenarios"] += 1
        _totals[suite]["held"] += int(report.passed)


# The order of the README's Reliability section; a suite not named here comes after them.
ORDER = (
    "fault matrix",
    "billing attacks",
    "bad input",
    "debug log",
    "hostile data",
    "secrets",
    "two sessions",
)


def summary_lines() -> list[str]:
    lines = []
    known = {name: i for i, name in enumerate(ORDER)}
    for name in sorted(_totals, key=lambda name: (known.get(name, len(ORDER)), name)):
        tally = _totals[name]
        if name in SCENARIOS.values() and tally:
            lines.append(f"{name}: {tally['scenarios']} scenarios, {tally['held']} held")
        elif tally:
            # Largest count first: the same order whichever worker reported first.
            counted = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
            lines.append(f"{name}: " + ", ".join(f"{n} {what}" for what, n in counted))
    return lines
