"""The app shell: language, help, command palette, first start without settings, resume."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from entries_env import (
    SIZE,
    Notifications,
    interrupted_invoice,
    isolate,
    make_app,
    screen_text,
    write_config,
)
from textual.screen import Screen
from textual.widgets import Label
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings
from timebill.tui.screens.entries import EntriesScreen
from timebill.tui.screens.help import HelpScreen
from timebill.tui.widgets.entry_list import EntryList


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def settings(sandbox: SandboxServer, config: Path) -> Settings:
    return write_config(sandbox, config)


async def test_german_when_the_setting_says_so(sandbox: SandboxServer, config: Path):
    settings = write_config(sandbox, config, ui={"language": "de"})
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        for german in (
            "Letzter Monat",
            "Datum",
            "Kunde",
            "Betrag",
            "Wählen",
            "Hilfe",
            "Nichts ausgewählt",
        ):
            assert german in text, german
        assert "01.10.2026" in text  # dates as Germans write them
        assert "Einträgen" in text
        await pilot.press("space")
        status = str(app.screen.query_one("#selection-status", Label).render())
        assert "1 ausgewählt" in status and "," in status  # 0,83 Std. · 75,00


async def test_german_from_the_locale_and_english_otherwise(
    settings: Settings, config: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Letzter Monat" in screen_text(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert "Befehle suchen" in screen_text(app)  # Textual's own prompt is English only
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Last month" in screen_text(app)


async def test_help_lists_every_key_and_closes(settings: Settings, config: Path):
    app = make_app(settings, config)
    async with app.run_test(size=(100, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in (
            "space",
            "Select",
            "Invert",
            "Search",
            "Filters",
            "Invoice",
            "Reload",
            "Period",
            "Month-end",
            "Page down",
            "Quit",
            "Command palette",
            "tab",
        ):
            assert words in text, words
        assert "Scroll Left" not in text and "Copy selected text" not in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, EntriesScreen)
        assert isinstance(app.focused, EntryList)


async def test_command_palette_offers_the_commands(settings: Settings, config: Path):
    app = make_app(settings, config)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in (
            "Setup: connections",
            "Entries: reload",
            "Theme: switch",
            "Invoices: resume unfinished",
        ):
            assert title in titles
        await pilot.press("ctrl+p", *"reload")
        await pilot.pause()
        assert "Entries: reload" in screen_text(app)


async def test_reload_from_the_palette_asks_the_tracker_again(
    sandbox: SandboxServer, settings: Settings, config: Path
):
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        before = sandbox.count("mite", "GET", "/time_entries")
        await pilot.press("ctrl+p", *"Entries: reload")
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sandbox.count("mite", "GET", "/time_entries") > before
        assert app.screen.query_one(EntryList).rows


class FakeSetup(Screen[Settings | None]):
    """Stands in for timebill.tui.screens.setup.SetupScreen: dismisses with the settings it was given."""

    result: Settings | None = None
    calls: list[tuple[Settings | None, Path]] = []

    def __init__(self, settings: Settings | None, config_path: Path) -> None:
        super().__init__()
        FakeSetup.calls.append((settings, config_path))

    def on_mount(self) -> None:
        self.dismiss(FakeSetup.result)


async def test_first_start_opens_the_setup_and_then_loads(
    sandbox: SandboxServer, config: Path, monkeypatch: pytest.MonkeyPatch
):
    complete = write_config(sandbox, config)
    config.unlink()
    empty = load_settings(config)
    assert empty.missing()
    fake = types.ModuleType("timebill.tui.screens.setup")
    fake.SetupScreen = FakeSetup  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "timebill.tui.screens.setup", fake)
    FakeSetup.result, FakeSetup.calls = complete, []
    app = make_app(empty, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert FakeSetup.calls == [(empty, config)]
        assert app.settings is complete
        assert isinstance(app.screen, EntriesScreen)
        assert app.screen.query_one(EntryList).rows
        assert "mite:nordlicht" in screen_text(app)


async def test_resume_unfinished_invoices_from_the_palette(
    sandbox: SandboxServer, settings: Settings, config: Path
):
    notes = Notifications()
    app = make_app(settings, config)
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await app.workers.wait_for_complete()
        app.action_resume_invoices()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "No unfinished invoices." in notes.texts()[-1]

        # An interrupted invoice (recorded, nothing sent yet): resume creates and marks it.
        rows = app.screen.query_one(EntryList).rows
        customer = rows[0].entry.customer_id
        entries = [r.entry for r in rows if r.entry.customer_id == customer][:2]
        interrupted_invoice(settings, entries)
        app.reload_entries()
        await app.workers.wait_for_complete()
        await pilot.pause()
        states = {r.entry.id: r.state for r in app.screen.query_one(EntryList).rows}
        assert [states[e.id] for e in entries] == ["in_progress", "in_progress"]

        app.action_resume_invoices()
        await app.workers.wait_for_complete()
        await pilot.pause()
        last = notes.items[-1]
        assert (last.title, last.severity) == ("Unfinished invoices", "information")
        assert last.message.startswith("1 finished, 0 still open.")
        # The list was reloaded: the entries are billed now, so hidden.
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = {r.entry.id for r in app.screen.query_one(EntryList).rows}
        assert shown.isdisjoint(e.id for e in entries)
