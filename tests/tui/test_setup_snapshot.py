"""Snapshots of the connection setup at 80x24: a first start whose Billomat key comes from the
environment, after a save attempt with a wrong account name (so the field mark, the environment
hint and the masked keys are all in the picture). No network is used. Update with
`pytest tests/tui/test_setup_snapshot.py --snapshot-update` after a deliberate change, and look
at the SVGs before committing them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Static
from timebill.core.settings.model import load_settings
from timebill.tui.i18n import set_language
from timebill.tui.screens.setup import SetupScreen
from timebill.tui.themes import install_themes

# Both themes and both languages at 80x24, each screen twice: dark in English, high contrast
# in German (the longer words).
VARIANTS = [("timebill-dark", "en"), ("timebill-high-contrast", "de")]
# Shown in the intro line: a fixed path keeps the picture the same on every machine (nothing is
# read from or written to it).
SHOWN_PATH = Path("/home/anna/.config/timebill/config.toml")


class SetupApp(App[None]):
    def __init__(self, config: Path, theme: str) -> None:
        super().__init__()
        self.config = config
        self.wanted_theme = theme

    def compose(self) -> ComposeResult:
        yield Static("main")

    def on_mount(self) -> None:
        install_themes(self, None)
        self.theme = self.wanted_theme
        self.push_screen(SetupScreen(load_settings(self.config), SHOWN_PATH))


async def fill_and_save(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    screen = pilot.app.screen
    screen.query_one("#mite-account", Input).post_message(events.Paste("https://x.mite.de"))
    screen.query_one("#mite-api-key", Input).post_message(events.Paste("a3f9c27e5b1d8046"))
    screen.query_one("#billomat-billomat-id", Input).post_message(events.Paste("nordlicht"))
    await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    for field in screen.query(Input):
        field.cursor_blink = False
    # The "not saved" toast would cover the form; it is asserted in test_setup.py.
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_setup_screen(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str, language: str
) -> None:
    for name in list(os.environ):
        if name.startswith("TIMEBILL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TIMEBILL_BILLOMAT__API_KEY", "bm-0123456789abcdef")
    set_language(language)
    config = tmp_path / "config.toml"
    assert snap_compare(SetupApp(config, theme), terminal_size=(80, 24), run_before=fill_and_save)
