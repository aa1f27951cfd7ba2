"""Constants and helpers the tests share. Imported by name (not from `conftest`: with several
conftest.py files in the tree, `import conftest` finds whichever pytest loaded first)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from timebill.core.sandbox.clockodo_wire import APP_HEADER

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


def post_tracker_entry(
    post: Callable[..., httpx.Response],
    creds: dict[str, str],
    tracker: str,
    day: dt.date,
    model: dict[str, Any],
    note: str,
    *,
    minutes: int = 45,
    hour: int = 7,
    hourly_rate: float | None = None,
) -> str:
    """A new open entry like `model` (its customer, project, service) through the tracker's own
    API, as a user would add it; returns its id. `post` is httpx.post or a client's post;
    `hourly_rate` is clockodo's only."""
    if tracker == "mite":
        body: dict[str, Any] = {
            "time_entry": {
                "date_at": day.isoformat(),
                "minutes": minutes,
                "note": note,
                "project_id": model["project_id"],
                "service_id": model["service_id"],
            }
        }
        answer = post(
            f"{creds['base_url']}/time_entries.json",
            headers={"X-MiteApiKey": creds["api_key"]},
            json=body,
        )
        answer.raise_for_status()
        return str(answer.json()["time_entry"]["id"])
    since = dt.datetime.combine(day, dt.time(hour, 0), dt.UTC)
    body = {
        "customers_id": model["customers_id"],
        "projects_id": model["projects_id"],
        "services_id": model["services_id"],
        "billable": 1,
        "time_since": since.isoformat().replace("+00:00", "Z"),
        "time_until": (since + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        "text": note,
    }
    if hourly_rate is not None:
        body["hourly_rate"] = hourly_rate
    answer = post(
        f"{creds['base_url']}/api/v2/entries",
        headers={
            "X-ClockodoApiUser": creds["email"],
            "X-ClockodoApiKey": creds["api_key"],
            APP_HEADER: "timebill-tests;tests@example.org",
        },
        json=body,
    )
    answer.raise_for_status()
    return str(answer.json()["entry"]["id"])


def billomat_draft(server: Any, invoice_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The draft and its items as Billomat's API returns them (not the emulator's store)."""
    creds = server.credentials()["billomat"]
    headers = {"X-BillomatApiKey": creds["api_key"], "Accept": "application/json"}
    base = creds["base_url"] + "/api"
    invoice = httpx.get(f"{base}/invoices/{invoice_id}", headers=headers).json()["invoice"]
    listed = httpx.get(
        f"{base}/invoice-items", params={"invoice_id": invoice_id}, headers=headers
    ).json()["invoice-items"]
    items = listed.get("invoice-item", [])
    return invoice, items if isinstance(items, list) else [items]
