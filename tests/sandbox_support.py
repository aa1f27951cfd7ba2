"""Constants and helpers the tests share. Imported by name (not from `conftest`: with several
conftest.py files in the tree, `import conftest` finds whichever pytest loaded first)."""

from __future__ import annotations

import datetime as dt

# A fixed "today" keeps seed data (and so every expected figure) the same on every day the suite runs.
TODAY = dt.date(2026, 11, 28)


class SleepRecorder:
    """Stands in for asyncio.sleep in RetryPolicy: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
