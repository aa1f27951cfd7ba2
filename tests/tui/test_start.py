"""The start as `timebill` does it: the first frame comes before the settings are validated, in
the language and theme the config names; the settings follow in a worker, then the entries; a
settings error found then ends the app with it."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import pytest
from entries_env import SIZE, TODAY, Notifications, isolate, screen_text, write_config
from textual.pilot import Pilot
from textual.widgets import Label
from timebill.core.cli.main import main as cli_main
from timebill.core.errors import ConfigError
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings
from timebill.tui.app import TimebillApp
from timebill.tui.main import pause_gc_until_first_frame
from timebill.tui.screens.entries import EntriesScreen
from timebill.tui.widgets.entry_list import EntryList


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolate(monkeypatch, tmp_path)


async def settled(app: TimebillApp, pilot: Pilot[None]) -> None:
    """Until the settings are read and what they started (the entries' load, the setup) is on
    the screen."""
    await asyncio.wait_for(app.settings_settled.wait(), timeout=30)
    if app.startup_error is not None:
        return  # the app is ending
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


class HeldLoader:
    """Reads the settings only once the test lets it: what the app shows meanwhile is what the
    user sees in the first frame."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.go = threading.Event()
        self.calls = 0

    def __call__(self) -> Settings:
        self.calls += 1
        assert self.go.wait(timeout=30), "the test never released the settings"
        return load_settings(self.config)


async def test_the_first_frame_comes_before_the_settings_then_the_entries_follow(
    sandbox: SandboxServer, config: Path
) -> None:
    write_config(sandbox, config, ui={"language": "de", "theme": "timebill-high-contrast"})
    loader = HeldLoader(config)
    app = TimebillApp(loader, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # The first frame: German and the config's theme, read without validating the settings.
        assert isinstance(app.screen, EntriesScreen)
        assert app.settings is None and app.settings_pending
        assert app.theme == "timebill-high-contrast"
        assert app.screen.query_one(EntryList).loading
        assert "Letzter Monat" in screen_text(app)
        loader.go.set()
        await settled(app, pilot)
        assert loader.calls == 1
        assert app.settings is not None and not app.settings_pending
        assert not app.screen.query_one(EntryList).loading
        assert app.screen.rows, "the entries were loaded once the settings were read"
        assert "Einträgen" in str(app.screen.query_one("#count-status", Label).render())


async def test_keys_that_need_the_settings_say_they_are_being_read(
    sandbox: SandboxServer, config: Path
) -> None:
    write_config(sandbox, config)
    loader = HeldLoader(config)
    app = TimebillApp(loader, config, today=TODAY)
    notes = Notifications()
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await pilot.press("h")  # history
        await pilot.pause()
        assert any("Reading the settings" in text for text in notes.texts())
        assert len(app.screen_stack) == 1
        loader.go.set()
        await settled(app, pilot)
        assert app.settings is not None


async def test_a_settings_error_found_after_the_first_frame_ends_the_app_with_it(
    config: Path,
) -> None:
    def broken() -> Settings:
        raise ConfigError(f"{config}: unknown key [mite] foo")

    app = TimebillApp(broken, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
    assert app.return_code == 1
    assert isinstance(app.startup_error, ConfigError)
    assert "unknown key [mite] foo" in str(app.startup_error)


async def test_without_a_config_the_setup_opens_once_the_settings_are_read(config: Path) -> None:
    app = TimebillApp(lambda: load_settings(config), config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        assert type(app.screen).__name__ == "SetupScreen"
        assert "timebill demo" in screen_text(app)


def test_the_command_line_reports_a_broken_config_the_app_reads(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.parent.mkdir(parents=True)
    config.write_text('tracker = "mite"\n[mite]\naccount = "x"\nfoo = 1\n', encoding="utf-8")
    config.chmod(0o600)

    def launch(settings: object, config_path: Path | None) -> int:
        # What the app does with the loader after its first frame.
        assert callable(settings)
        settings()
        raise AssertionError("the broken config was read without an error")

    assert cli_main([], launch_app=launch) == 1
    err = capsys.readouterr().err
    assert err.startswith("timebill: ") and "[mite] foo" in err


async def test_the_collector_paused_for_the_start_runs_again_after_the_first_frame(
    sandbox: SandboxServer, config: Path
) -> None:
    write_config(sandbox, config)
    pause_gc_until_first_frame()  # as launch_app does before it imports the app
    try:
        app = TimebillApp(lambda: load_settings(config), config, today=TODAY)
        async with app.run_test(size=SIZE) as pilot:
            await settled(app, pilot)
            assert gc.isenabled()
            assert app.screen.rows
    finally:
        gc.enable()


async def test_an_unexpected_failure_reading_the_settings_ends_the_app_too(config: Path) -> None:
    def broken() -> Settings:
        raise OSError("disk gone")

    app = TimebillApp(broken, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
    assert app.return_code == 1
    assert isinstance(app.startup_error, OSError)
