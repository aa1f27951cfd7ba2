"""The reliability suites: the "timebill" logger put back after each test (`--log-file` attaches
a handler to it). Their summary lines are hooked in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_support import timebill_logging_restored


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    with timebill_logging_restored():
        yield
