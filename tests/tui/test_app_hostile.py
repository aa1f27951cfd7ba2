"""Hostile data from the APIs in the real TimebillApp (issue 5): notes and names with terminal
escape sequences, Rich markup, control characters, 10,000 characters, emoji and right-to-left
text, entries without customer/project/service, zero minutes. They are shown as plain text (the
markup literally, no escape character reaches the terminal), nothing crashes, and such entries
can be previewed. And a canary API key pushed through the app never shows on screen (SVG
screenshots after each step) nor in a notification."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from entries_env import TODAY, Notifications, errors_shown, mite_post_entry, screen_text
from flow_support import errors, settle
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerFailed
from timebill.core.cli.demo import demo_config
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings, save_settings
from timebill.tui.app import TimebillApp
from timebill.tui.screens.assign import AssignScreen
from timebill.tui.screens.entries import EntriesScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.screens.setup import SetupScreen
from timebill.tui.widgets.entry_list import EntryList

SIZE = (80, 24)
PROJECT, SERVICE = 310101, 55501  # Müller & Söhne's "Webshop-Relaunch", "Entwicklung"
DAY = "2026-10-05"  # last month as the app sees it on TODAY

ESCAPES = "\x1b[31mRot\x1b[0m \x1b]0;pwned-title\x07 \x1b]8;;http://evil.example\x1b\\Klick\x1b[2J"
MARKUP = "[bold red]Alarm[/bold red] [@click=app.quit]x[/]"
CONTROLS = "A\x00B\x07C\x08D\x7fE\rF\x9b31mG\x85H\u2028I\tJ"
LONG = "Langer Text " * 834  # 10,008 characters
WORLD = "Fix 🎉 done, שלום עולם \u202eevil\u202c"
HOSTILE_NAME = "\x1b[5mBlink\x1b[0m [bold red]Name[/] \u202eesrever\u202c\x07"
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

MITE_CANARY = "cafecafe0badf00d"
BILLOMAT_CANARY = "0badf00dcafecafe0badf00dcafecafe"


def unsafe(text: str) -> list[str]:
    """Characters a terminal would act on instead of showing (newlines are the screen's)."""
    return sorted(
        {
            repr(ch)
            for ch in text
            if ch not in "\n\u200d"
            and (unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch in BIDI)
        }
    )


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("TIMEBILL_") or name in (
            "NO_COLOR",
            "LC_ALL",
            "LC_MESSAGES",
            "LANGUAGE",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("TIMEBILL_CONFIG", str(path))
    monkeypatch.setenv("TIMEBILL_DATA_DIR", str(tmp_path / "data"))
    return path


def prewritten(sandbox: SandboxServer, config: Path, **sections: dict[str, Any]) -> Settings:
    values = demo_config(sandbox, "mite")
    for name, section in sections.items():
        values[name] = {**values[name], **section}
    save_settings(values, config)
    return load_settings(config)


def entry_list(app: TimebillApp) -> EntryList:
    screen = app.entries_screen
    assert screen is not None
    return screen.query_one(EntryList)


async def search(pilot: Pilot[Any], app: TimebillApp, words: str) -> None:
    """Narrow the list to `words` and put the cursor on the first row. The words are put into
    the search box at once: the search as typed, key by key, is test_entries.py's subject."""
    await pilot.press("slash")
    app.screen.query_one("#search", Input).value = words
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.focused, EntryList)


def assert_plain(app: TimebillApp) -> str:
    """The screen as text and as an SVG screenshot: no character a terminal would act on."""
    text = screen_text(app)
    assert unsafe(text) == [], unsafe(text)
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x07" not in svg
    return text


# --- hostile notes and names ----------------------------------------------------------------


async def test_hostile_notes_and_names_are_shown_as_text(
    sandbox: SandboxServer, config: Path
) -> None:
    notes = {
        "hxesc": ESCAPES,
        "hxmarkup": MARKUP,
        "hxcontrol": CONTROLS,
        "hxlong": LONG,
        "hxworld": WORLD,
    }
    for token, note in notes.items():
        mite_post_entry(
            sandbox,
            date_at=DAY,
            minutes=45,
            note=f"{token} {note}",
            project_id=PROJECT,
            service_id=SERVICE,
        )
    # No customer, project or service; and zero minutes.
    mite_post_entry(sandbox, date_at=DAY, minutes=30, note="hxorphan [i]alone[/i]")
    mite_post_entry(
        sandbox, date_at=DAY, minutes=0, note="hxzero", project_id=PROJECT, service_id=SERVICE
    )
    settings = prewritten(sandbox, config)
    found = Notifications()
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE, message_hook=found) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen)
        assert_plain(app)

        await search(pilot, app, "hxmarkup")
        [row] = entry_list(app).rows
        text = assert_plain(app)
        assert "hxmarkup [bold red]Alarm[/bold red] [@click=app.quit]x[/]" in text
        assert "hxmarkup [b" in entry_list(app).render_line(1).text  # as typed, column cut

        await search(pilot, app, "hxesc")
        text = assert_plain(app)
        assert "Rot" in text and "Klick" in text

        await search(pilot, app, "hxcontrol")
        text = assert_plain(app)
        assert "hxcontrol A" in text

        await search(pilot, app, "hxlong")
        [row] = entry_list(app).rows
        assert len(row.entry.note) > 10_000
        text = assert_plain(app)
        assert "hxlong Langer Text Langer" in text
        assert max(len(line) for line in text.splitlines()) <= SIZE[0]

        await search(pilot, app, "hxworld")
        text = assert_plain(app)
        assert "🎉" in text and "שלום" in text and "evil" in text

        await search(pilot, app, "hxorphan")
        [row] = entry_list(app).rows
        assert row.entry.customer_id is None and row.entry.service_id is None
        text = assert_plain(app)
        assert "hxorphan [i]alone[/i]" in text

        await search(pilot, app, "hxzero")
        [row] = entry_list(app).rows
        assert row.entry.minutes == 0
        assert "0.00" in entry_list(app).render_line(1).text
        assert_plain(app)

        # Hostile customer and project names reach the list after a reload.
        with sandbox.store.lock:
            project = sandbox.store.get("mite", "projects", str(PROJECT))
            assert project is not None
            sandbox.store.put("mite", "projects", {**project, "name": f"{HOSTILE_NAME} P"})
        sandbox.mite.touch()
        app.reload_entries()
        await settle(pilot)
        await search(pilot, app, "hxmarkup")
        [row] = entry_list(app).rows
        assert "[bold red]Name[/]" in (row.entry.project_name or "")
        text = assert_plain(app)
        assert "Blink [bold red]Name[/]" in text

        assert not errors(app), errors(app)
        for shown in found.texts():
            assert unsafe(shown) == [], shown


async def test_a_hostile_entry_can_be_previewed(sandbox: SandboxServer, config: Path) -> None:
    with sandbox.store.lock:
        service = sandbox.store.get("mite", "services", str(SERVICE))
        assert service is not None
        sandbox.store.put("mite", "services", {**service, "name": f"{HOSTILE_NAME} S"})
    sandbox.mite.touch()
    for token, note in (("hxp1", MARKUP), ("hxp2", ESCAPES), ("hxp3", LONG)):
        mite_post_entry(
            sandbox,
            date_at=DAY,
            minutes=60,
            note=f"hxprev {token} {note}",
            project_id=PROJECT,
            service_id=SERVICE,
        )
    mite_post_entry(
        sandbox, date_at=DAY, minutes=0, note="hxprev zero", project_id=PROJECT, service_id=SERVICE
    )
    settings = prewritten(sandbox, config)
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, app, "hxprev")
        assert len(entry_list(app).rows) == 4
        await pilot.press("a", "enter")
        await settle(pilot)
        if isinstance(app.screen, AssignScreen):
            assert_plain(app)
            await pilot.press("ctrl+s")  # the client matches by name; the service stays text
            await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen), (type(preview), errors(app))
        assert preview.plan is not None and len(preview.plan.entry_ids) == 4
        text = assert_plain(app)
        assert "[bold red]Name[/]" in text
        assert not errors(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen)


# --- the canary key -------------------------------------------------------------------------


def assert_hidden(app: TimebillApp, found: Notifications, *canaries: str) -> None:
    svg = app.export_screenshot()
    shown = "\n".join([screen_text(app), *found.texts()])
    for canary in canaries:
        assert canary not in svg
        assert canary not in shown


async def type_into(pilot: Pilot[Any], field_id: str, value: str) -> None:
    assert isinstance(pilot.app.screen, SetupScreen)
    widget = pilot.app.screen.query_one(f"#{field_id}", Input)
    widget.focus()
    await pilot.press("home", "ctrl+k")
    if value:
        widget.post_message(events.Paste(value))
    await pilot.pause()


async def test_a_canary_key_typed_into_the_setup_never_shows(
    sandbox: SandboxServer, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = sandbox.credentials()
    for service in ("mite", "clockodo", "billomat"):
        monkeypatch.setenv(f"TIMEBILL_{service.upper()}__BASE_URL", creds[service]["base_url"])
    found = Notifications()
    app = TimebillApp(load_settings(config), config, today=TODAY)
    async with app.run_test(size=SIZE, message_hook=found) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        canaries = (MITE_CANARY, BILLOMAT_CANARY)
        await type_into(pilot, "mite-account", creds["mite"]["account"])
        assert_hidden(app, found, *canaries)
        await type_into(pilot, "mite-api-key", MITE_CANARY)
        assert_hidden(app, found, *canaries)
        await type_into(pilot, "billomat-billomat-id", creds["billomat"]["billomat_id"])
        await type_into(pilot, "billomat-api-key", BILLOMAT_CANARY)
        assert_hidden(app, found, *canaries)
        await pilot.press("ctrl+t")
        assert_hidden(app, found, *canaries)
        await settle(pilot)
        text = screen_text(app)
        assert "Wrong API key" in text
        assert_hidden(app, found, *canaries)
        await pilot.press("ctrl+s")  # saving keys that failed the test
        await settle(pilot)
        assert_hidden(app, found, *canaries)
        await pilot.press("tab", "tab", "shift+tab")
        await pilot.pause()
        assert_hidden(app, found, *canaries)
        for note in app._notifications:
            for canary in canaries:
                assert canary not in f"{note.title} {note.message}"


async def test_a_refused_canary_key_in_the_config_never_shows(
    sandbox: SandboxServer, config: Path
) -> None:
    settings = prewritten(sandbox, config, mite={"api_key": MITE_CANARY})
    found = Notifications()
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE, message_hook=found) as pilot:
        assert_hidden(app, found, MITE_CANARY)
        with pytest.raises(WorkerFailed):
            await app.workers.wait_for_complete()
        failures = await errors_shown(pilot, found)
        assert failures and "setup" in failures[0].message.lower()
        assert_hidden(app, found, MITE_CANARY)
        # The setup opened on the saved settings: the key field is masked.
        app.action_open_setup()
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert_hidden(app, found, MITE_CANARY)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "Wrong API key" in screen_text(app)
        assert_hidden(app, found, MITE_CANARY)
        await pilot.press("escape")
        await pilot.pause()
        assert_hidden(app, found, MITE_CANARY)


async def test_a_refused_billomat_canary_in_the_flow_never_shows(
    sandbox: SandboxServer, config: Path
) -> None:
    settings = prewritten(sandbox, config, billomat={"api_key": BILLOMAT_CANARY})
    found = Notifications()
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE, message_hook=found) as pilot:
        await settle(pilot)
        assert entry_list(app).rows
        assert_hidden(app, found, BILLOMAT_CANARY)
        await pilot.press("space", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen)  # the flow ended with a notification
        [message] = errors(app)
        assert "setup" in message
        assert_hidden(app, found, BILLOMAT_CANARY)
