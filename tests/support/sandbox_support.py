"""Constants and helpers the tests share. Imported by name (not from `conftest`: with several
conftest.py files in the tree, `import conftest` finds whichever pytest loaded first)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# A fixed "today" keeps seed data (and so every expected figure) the same on every day the suite runs.
TODAY = dt.date(2026, 11, 28)


class SleepRecorder:
    """Stands in for asyncio.sleep in RetryPolicy: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def isolate_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config and data in `tmp_path`, nothing from the real environment (TIMEBILL_*, XDG_*,
    HOME) leaks in. Returns the config file's path."""
    for name in list(os.environ):
        if name.startswith(("TIMEBILL_", "XDG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = tmp_path / "cfg" / "config.toml"
    monkeypatch.setenv("TIMEBILL_CONFIG", str(config))
    monkeypatch.setenv("TIMEBILL_DATA_DIR", str(tmp_path / "data"))
    return config


@contextmanager
def timebill_logging_restored() -> Iterator[logging.Logger]:
    """`--log-file` attaches a handler to the "timebill" logger: take off what the block added
    and put the level back."""
    logger = logging.getLogger("timebill")
    handlers, level = list(logger.handlers), logger.level
    try:
        yield logger
    finally:
        for handler in logger.handlers[:]:
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.setLevel(level)


class FakeClock:
    """An epoch clock that only moves when something sleeps on it: inject `now` as the clock and
    `sleep` as the sleep of a RetryPolicy, a Pacer or an emulator, and waits of any length take no
    time. `cancel_after` seconds of sleeping, the next sleep is cancelled (Ctrl+C in a wait)."""

    def __init__(self, start: float, cancel_after: float | None = None) -> None:
        self.time = start
        self.slept: list[float] = []
        self.cancel_after = cancel_after

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        if self.cancel_after is not None and sum(self.slept) >= self.cancel_after:
            raise asyncio.CancelledError
        self.slept.append(seconds)
        self.time += seconds
