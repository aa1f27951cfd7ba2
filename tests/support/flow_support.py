"""Helpers for the billing-flow tests: a config pointing at the sandbox, entries loaded through
the real adapters, a minimal app that hosts the flow's screens, and waiting for workers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static
from timebill.core.cli.demo import demo_config
from timebill.core.connect import open_source
from timebill.core.models import TimeEntry
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import load_settings, save_settings
from timebill.tui.flow import FLOW_GROUP, BillingDone, month_end, start_billing
from timebill.tui.screens.assign import AssignScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.themes import install_themes

# Last month as the sandbox sees it (tests/conftest.py: TODAY = 2026-11-28): open, ready to bill.
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
# Workers that wait for screens to be dismissed: never "complete" while a test drives them.
WAITING_GROUPS = {FLOW_GROUP, "month-end-walk"}


def make_settings(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> Any:
    config = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("TIMEBILL_CONFIG", str(config))
    monkeypatch.setenv("TIMEBILL_DATA_DIR", str(tmp_path / "data"))
    values = demo_config(sandbox, tracker)
    save_settings(values, config)
    return load_settings(config)


async def load_entries(settings: Any, customer: str | None = None) -> list[TimeEntry]:
    async with open_source(settings) as source:
        entries = await source.entries(START, END)
    if customer is None:
        return entries
    return [e for e in entries if (e.customer_name or "").startswith(customer)]


class FlowApp(App[None]):
    """Stands in for the timebill app: a placeholder main screen; the flow runs on top."""

    def __init__(
        self,
        settings: Any,
        *,
        entries: list[TimeEntry] | None = None,
        month: bool = False,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.entries = entries
        self.month = month
        self.wanted_theme = theme
        self.done: list[BillingDone] = []

    def compose(self) -> ComposeResult:
        yield Static("entries", id="placeholder")

    async def on_mount(self) -> None:
        if self.wanted_theme:
            install_themes(self, None)
            self.theme = self.wanted_theme
        if self.entries is not None:
            start_billing(self, self.entries, settings=self.settings)
        elif self.month:
            await month_end(self, START, END, settings=self.settings)

    def on_billing_done(self, message: BillingDone) -> None:
        self.done.append(message)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker but those waiting on screens has finished, and the screen has
    processed what they posted."""
    app = pilot.app
    for _ in range(100):
        await pilot.pause()
        busy = [w for w in app.workers if w.group not in WAITING_GROUPS and not w.is_finished]
        if not busy:
            await pilot.pause()
            return
        await app.workers.wait_for_complete(busy)
    raise AssertionError("workers did not settle")


def errors(app: App[Any]) -> list[str]:
    """Error notifications shown so far."""
    return [n.message for n in app._notifications if n.severity == "error"]


async def to_preview(pilot: Any, client_keys: str | None = None) -> PreviewScreen:
    """From the flow's start to its preview, through the assignment screen if it shows."""
    await settle(pilot)
    if isinstance(pilot.app.screen, AssignScreen):
        if client_keys is not None:  # type ahead over the Billomat clients ("": the suggestion)
            await pilot.press(*client_keys, "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PreviewScreen), errors(pilot.app)
    return screen
