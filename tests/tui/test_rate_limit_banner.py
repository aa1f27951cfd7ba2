"""The app shows a service's rate-limit wait (issue 10, item 6): a line on top of the screen that
counts down, and ctrl+c cancels the wait (the request behind it is never sent)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from entries_env import SIZE, isolate, make_app, write_config
from timebill.core.ratelimit import wait_out
from timebill.core.sandbox import SandboxServer
from timebill.tui.widgets.rate_limit_banner import RateLimitBanner


class Ticks:
    """A sleep that passes one second each time the test says so."""

    def __init__(self) -> None:
        self.allowed = 0
        self.moved = asyncio.Event()
        self._go = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        while self.allowed == 0:
            self._go.clear()
            await self._go.wait()
        self.allowed -= 1
        self.moved.set()

    async def tick(self, count: int = 1) -> None:
        for _ in range(count):
            self.moved.clear()
            self.allowed += 1
            self._go.set()
            await self.moved.wait()


@pytest.fixture
def app_settings(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    config = isolate(monkeypatch, tmp_path)
    return write_config(sandbox, config), config


def banner_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(RateLimitBanner).render())


async def test_the_wait_counts_down_on_screen_and_ends(app_settings) -> None:  # type: ignore[no-untyped-def]
    app = make_app(*app_settings)
    ticks = Ticks()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        waiting = asyncio.create_task(wait_out("billomat", "Billomat", 462, sleep=ticks.sleep))
        await pilot.pause()
        assert banner_text(app).startswith("Billomat rate limit: waiting 7:42 until ")
        assert banner_text(app).endswith("(ctrl+c cancels, nothing is lost)")
        await ticks.tick(2)
        await pilot.pause()
        assert "waiting 7:40 until" in banner_text(app)
        await ticks.tick(460)
        await waiting
        await pilot.pause()
        assert not app.screen.query(RateLimitBanner)
        assert any("window open again" in n.message for n in app._notifications)


async def test_ctrl_c_cancels_the_wait(app_settings) -> None:  # type: ignore[no-untyped-def]
    app = make_app(*app_settings)
    ticks = Ticks()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        waiting = asyncio.create_task(wait_out("billomat", "Billomat", 462, sleep=ticks.sleep))
        await pilot.pause()
        assert app.screen.query(RateLimitBanner)
        await pilot.press("ctrl+c")
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await pilot.pause()
        assert not app.screen.query(RateLimitBanner)
        assert any("wait cancelled; nothing was sent" in n.message for n in app._notifications)
        assert app.is_running  # ctrl+c ended the wait, not the app
