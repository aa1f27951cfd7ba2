"""The connection setup screen, driven by keys on a small host app against the sandbox.

Service addresses come from TIMEBILL_*__BASE_URL (pointing at the sandbox), so they are
environment values: never written to the file, as the user's real addresses would be defaults.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Button, Input, RadioSet, Static
from timebill.core.cli.demo import demo_config
from timebill.core.errors import (
    AuthenticationError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TimebillError,
    UnknownAccountError,
)
from timebill.core.sandbox import SandboxServer
from timebill.core.secrets import reveal
from timebill.core.settings.model import Settings, load_settings, save_settings
from timebill.tui.i18n import set_language
from timebill.tui.screens.setup import SetupScreen
from timebill.tui.screens.setup_form import failure_text

WRONG_MITE_KEY = "0f0f0f0f0f0f0f0f"
SIZE = (80, 24)


class SetupApp(App[None]):
    """Stands in for the timebill app: a placeholder main screen with the setup on top."""

    def __init__(self, settings: Settings | None, config_path: Path) -> None:
        super().__init__()
        self.settings = settings
        self.config_path = config_path
        self.results: list[Settings | None] = []

    def compose(self) -> ComposeResult:
        yield Static("main", id="main")

    def on_mount(self) -> None:
        self.push_screen(SetupScreen(self.settings, self.config_path), self.results.append)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config path in tmp_path that does not exist yet; no TIMEBILL_* from the outside."""
    for name in list(os.environ):
        if name.startswith("TIMEBILL_"):
            monkeypatch.delenv(name)
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("TIMEBILL_CONFIG", str(path))
    monkeypatch.setenv("TIMEBILL_DATA_DIR", str(tmp_path / "data"))
    return path


@pytest.fixture
def creds(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    """The sandbox's logins; its addresses set as TIMEBILL_<SERVICE>__BASE_URL."""
    found = sandbox.credentials()
    for service in ("mite", "clockodo", "billomat"):
        monkeypatch.setenv(f"TIMEBILL_{service.upper()}__BASE_URL", found[service]["base_url"])
    return found


# --- helpers ----------------------------------------------------------------------------------


def screen(pilot: Pilot[Any]) -> SetupScreen:
    current = pilot.app.screen
    assert isinstance(current, SetupScreen)
    return current


def field(pilot: Pilot[Any], field_id: str) -> Input:
    return screen(pilot).query_one(f"#{field_id}", Input)


def text(pilot: Pilot[Any], widget_id: str) -> str:
    return str(screen(pilot).query_one(f"#{widget_id}", Static).content)


def error_at(pilot: Pilot[Any], field_id: str) -> str:
    """The message shown under a field ("" when none is shown)."""
    error = screen(pilot).query_one(f"#{field_id}-error", Static)
    return str(error.content) if error.has_class("-shown") and error.display else ""


def on_screen(app: App[Any]) -> str:
    """Everything the terminal shows, as text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def footer(pilot: Pilot[Any]) -> str:
    """The footer's line once it is drawn (it fills in after the screen: on a busy machine one
    pause is not always enough)."""
    for _ in range(50):
        line = on_screen(pilot.app).splitlines()[-1]
        if line.strip():
            return line
        await pilot.pause()
    return on_screen(pilot.app).splitlines()[-1]


def notifications(app: App[Any]) -> str:
    return "\n".join(f"{n.title} {n.message}" for n in app._notifications)


async def type_into(pilot: Pilot[Any], field_id: str, value: str) -> None:
    """Focus the field, clear it with keys and paste `value` (as keys usually arrive: typing
    each character would only make the tests slower)."""
    widget = field(pilot, field_id)
    widget.focus()
    await pilot.press("home", "ctrl+k")
    if value:
        widget.post_message(events.Paste(value))
    await pilot.pause()


async def fill_mite(pilot: Pilot[Any], creds: dict[str, dict[str, str]], key: str) -> None:
    await type_into(pilot, "mite-account", creds["mite"]["account"])
    await type_into(pilot, "mite-api-key", key)


async def fill_billomat(pilot: Pilot[Any], creds: dict[str, dict[str, str]]) -> None:
    await type_into(pilot, "billomat-billomat-id", creds["billomat"]["billomat_id"])
    await type_into(pilot, "billomat-api-key", creds["billomat"]["api_key"])


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def read_file(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- first start: test, fix, save -------------------------------------------------------------


async def test_first_start_mite_wrong_key_then_fixed_and_saved(
    config: Path, creds: dict[str, dict[str, str]]
) -> None:
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # First start: mite is preselected and the cursor waits in its first field; the
        # intro names the demo for those without an account at hand.
        assert screen(pilot).focused is field(pilot, "mite-account")
        assert "timebill demo" in str(screen(pilot).query_one("#setup-intro").render())
        assert field(pilot, "mite-api-key").password
        assert not screen(pilot).query_one("#setup-clockodo").display
        await fill_mite(pilot, creds, WRONG_MITE_KEY)
        await fill_billomat(pilot, creds)

        await pilot.press("ctrl+t")
        await settle(pilot)
        mite_status = text(pilot, "mite-status")
        assert mite_status.startswith("✗ Wrong API key: mite refused the API key")
        assert text(pilot, "billomat-status") == "✓ Agentur Nordlicht GmbH"
        assert not config.exists()  # testing writes nothing
        # The key shows nowhere: not in the status, not on screen (the field is masked), nor in
        # a notification.
        for shown in (mite_status, on_screen(app), notifications(app)):
            assert WRONG_MITE_KEY not in shown
            assert creds["billomat"]["api_key"] not in shown

        await type_into(pilot, "mite-api-key", creds["mite"]["api_key"])
        # The old answer was about the old key.
        assert text(pilot, "mite-status") == "not tested yet"
        assert text(pilot, "billomat-status") == "✓ Agentur Nordlicht GmbH"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text(pilot, "mite-status") == "✓ Agentur Nordlicht GmbH (user Anna Schmidt)"
        assert text(pilot, "billomat-status") == "✓ Agentur Nordlicht GmbH"

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, SetupScreen)
        assert "Settings saved to" in notifications(app)

    assert mode(config) == 0o600
    assert read_file(config) == {
        "tracker": "mite",
        "mite": {"account": "nordlicht", "api_key": creds["mite"]["api_key"]},
        "billomat": {"billomat_id": "nordlicht", "api_key": creds["billomat"]["api_key"]},
        "invoice": {"default_vat": 19},
    }
    [saved] = app.results
    assert saved is not None
    assert saved == load_settings(config)
    assert saved.tracker == "mite"
    assert reveal(saved.mite.api_key) == creds["mite"]["api_key"]
    assert saved.mite.base_url == creds["mite"]["base_url"]
    assert saved.origin("mite.base_url") == "environment"


async def test_first_start_clockodo(config: Path, creds: dict[str, dict[str, str]]) -> None:
    clockodo = creds["clockodo"]
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("shift+tab")  # from mite's account back to the tracker choice
        assert isinstance(screen(pilot).focused, RadioSet)
        await pilot.press("right", "enter")
        assert screen(pilot).query_one("#setup-clockodo").display
        assert not screen(pilot).query_one("#setup-mite").display
        await type_into(pilot, "clockodo-email", clockodo["email"])
        await type_into(pilot, "clockodo-api-key", "f" * 32)
        await fill_billomat(pilot, creds)

        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text(pilot, "clockodo-status").startswith("✗ Wrong e-mail or API key: clockodo")
        assert text(pilot, "billomat-status") == "✓ Agentur Nordlicht GmbH"

        await type_into(pilot, "clockodo-api-key", clockodo["api_key"])
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text(pilot, "clockodo-status") == "✓ Anna Schmidt"

        await pilot.press("ctrl+s")
        await settle(pilot)

    assert mode(config) == 0o600
    document = read_file(config)
    assert document["tracker"] == "clockodo"
    assert document["clockodo"] == {"email": clockodo["email"], "api_key": clockodo["api_key"]}
    assert "mite" not in document
    [saved] = app.results
    assert saved is not None and saved.tracker == "clockodo"
    assert reveal(saved.clockodo.api_key) == clockodo["api_key"]


async def test_each_service_is_tested_on_its_own(
    config: Path, creds: dict[str, dict[str, str]]
) -> None:
    """A Billomat ID that is a URL is marked at its field; mite is still asked and answers."""
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill_mite(pilot, creds, creds["mite"]["api_key"])
        await type_into(pilot, "billomat-billomat-id", "https://nordlicht.billomat.net")
        await type_into(pilot, "billomat-api-key", creds["billomat"]["api_key"])
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text(pilot, "mite-status") == "✓ Agentur Nordlicht GmbH (user Anna Schmidt)"
        assert text(pilot, "billomat-status") == "✗ not tested: fix the marked fields"
        assert error_at(pilot, "billomat-billomat-id").startswith("Enter just the ID")
        assert screen(pilot).focused is field(pilot, "billomat-billomat-id")
    assert not config.exists()


async def test_unknown_account_is_named_as_such(
    config: Path, sandbox: SandboxServer, creds: dict[str, dict[str, str]]
) -> None:
    # mite answers 404 for an account (subdomain) it does not know.
    sandbox.faults.add("status", service="mite", path="/account.json", status=404, count=None)
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill_mite(pilot, creds, creds["mite"]["api_key"])
        await fill_billomat(pilot, creds)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text(pilot, "mite-status").startswith(
            "✗ Unknown account: mite account 'nordlicht' does not exist"
        )
        assert text(pilot, "billomat-status") == "✓ Agentur Nordlicht GmbH"


async def test_an_answer_to_an_edited_field_is_not_shown(
    config: Path, sandbox: SandboxServer, creds: dict[str, dict[str, str]]
) -> None:
    sandbox.faults.add("latency", service="mite", delay=0.5, count=None)
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await fill_mite(pilot, creds, creds["mite"]["api_key"])
        await fill_billomat(pilot, creds)
        await pilot.press("ctrl+t")
        assert screen(pilot).query_one("#mite-status").loading
        # Changed while mite is still being asked: that answer is about the old account.
        await type_into(pilot, "mite-account", "nordlicht2")
        await settle(pilot)
        assert text(pilot, "mite-status") == "not tested yet"
        assert not screen(pilot).query_one("#mite-status").loading
        assert text(pilot, "billomat-status") == "✓ Agentur Nordlicht GmbH"


@pytest.mark.parametrize(
    ("service", "error", "shown"),
    [
        ("mite", AuthenticationError("refused"), "Wrong API key: refused"),
        ("clockodo", AuthenticationError("refused"), "Wrong e-mail or API key: refused"),
        ("billomat", UnknownAccountError("no such ID"), "Unknown account: no such ID"),
        ("mite", NetworkError("cannot connect to x"), "Unreachable: cannot connect to x"),
        ("billomat", RateLimitedError("slow down"), "Too many requests: slow down"),
        ("mite", PermissionDeniedError("not yours"), "Not allowed: not yours"),
        ("mite", ServerError("500\n\x1b[31mboom"), "Failed: 500 boom"),
    ],
)
def test_failure_text_says_what_kind_of_failure(
    service: str, error: TimebillError, shown: str
) -> None:
    """Errors the sandbox cannot produce quickly (an unreachable host is retried with backoff)
    get their words here; the adapter's own message follows on one clean line."""
    assert failure_text(service, error) == shown


# --- invalid input: marked at the field, nothing saved ----------------------------------------

VALID = {
    "mite-account": "nordlicht",
    "mite-api-key": "a3f9c27e5b1d8046",
    "billomat-billomat-id": "nordlicht",
    "billomat-api-key": "bm-sandbox-7d41c9e2a8f3",
    "invoice-default-vat": "19",
}


@pytest.mark.parametrize(
    ("field_id", "value", "message"),  # the message shows at `field_id`, or as noted
    [
        (
            "mite-account",
            "https://x.mite.de",
            'Enter just the account name, e.g. "nordlicht" from https://nordlicht.mite.de',
        ),
        (
            "billomat-billomat-id",
            "https://x.billomat.net",
            'Enter just the ID, e.g. "nordlicht" from https://nordlicht.billomat.net',
        ),
        ("invoice-default-vat", "19,5", '"19,5" has a decimal comma: use a dot, as in 19.5'),
        (
            "invoice-default-vat",
            "-5",
            "Must be a percentage between 0 and 100, e.g. 19 (got -5)",
        ),
        (
            "invoice-default-vat",
            "1000",
            "Must be a percentage between 0 and 100, e.g. 19 (got 1000)",
        ),
        ("mite-api-key", "", "Required: enter a value."),
        ("billomat-api-key", "   ", "Required: enter a value."),
        ("mite-account", "", "Required: enter a value."),
        (
            "billomat-app-id",
            "4711",
            "App ID and App secret go together: enter both or neither.",
        ),
    ],
)
async def test_invalid_input_is_marked_at_the_field_and_nothing_is_saved(
    config: Path, field_id: str, value: str, message: str
) -> None:
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for name, good in VALID.items():
            field(pilot, name).value = good
        await type_into(pilot, field_id, value)
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert isinstance(app.screen, SetupScreen)
        # An App ID without its secret: the missing half is the one to fill in.
        marked = "billomat-app-secret" if field_id == "billomat-app-id" else field_id
        assert error_at(pilot, marked) == message
        assert field(pilot, marked).has_class("-invalid")
        others = [name for name in VALID if name != marked]
        assert all(error_at(pilot, name) == "" for name in others)
        assert "Settings not saved" in notifications(app)
        # Marked on screen too, at 80x24, with the cursor on the field to fix.
        assert message in " ".join(on_screen(app).split())
        assert screen(pilot).focused is field(pilot, marked)
        field_id = marked

        # Typing in the field takes the mark away.
        await pilot.press("x")
        assert error_at(pilot, field_id) == ""
        assert not field(pilot, field_id).has_class("-invalid")
    assert not config.exists()
    assert app.results == []


async def test_a_config_that_became_unreadable_is_not_overwritten(
    config: Path, sandbox: SandboxServer
) -> None:
    save_settings(demo_config(sandbox, "mite"), config)
    settings = load_settings(config)
    config.write_text('tracker = "mite"\n[mite\n', encoding="utf-8")  # broken meanwhile
    app = SetupApp(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        assert "not valid TOML" in text(pilot, "setup-problems")
        assert "Settings not saved" in notifications(app)
    assert config.read_text(encoding="utf-8") == 'tracker = "mite"\n[mite\n'


# --- keys: masked, revealed on request, from the environment ----------------------------------


async def test_reveal_toggle_by_key_and_by_button(config: Path) -> None:
    key = "a3f9c27e5b1d8046"
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_into(pilot, "mite-api-key", key)
        await type_into(pilot, "billomat-app-secret", "s3cr3t-app")
        assert key not in on_screen(app)
        assert "•" * len(key) in on_screen(app)

        await pilot.press("ctrl+r")
        secrets = ("mite-api-key", "billomat-api-key", "billomat-app-secret", "clockodo-api-key")
        assert not any(field(pilot, name).password for name in secrets)
        assert key in on_screen(app)
        assert "s3cr3t-app" in on_screen(app)
        assert str(screen(pilot).query_one("#setup-reveal", Button).label) == "Hide keys ^r"

        await pilot.press("ctrl+r")
        assert all(field(pilot, name).password for name in secrets)
        assert key not in on_screen(app)

        # The same with the button, reached by keyboard (a second Enter within Textual's 0.2 s
        # press effect would be ignored, so the key hides them again).
        button = screen(pilot).query_one("#setup-reveal", Button)
        button.focus()
        await pilot.press("enter")
        assert key in on_screen(app)
        assert str(button.label) == "Hide keys ^r"
        await pilot.press("ctrl+r")
        assert key not in on_screen(app)
        assert str(button.label) == "Show keys ^r"


async def test_key_from_the_environment_is_used_but_not_written(
    config: Path, creds: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    env_key = creds["billomat"]["api_key"]
    monkeypatch.setenv("TIMEBILL_BILLOMAT__API_KEY", env_key)
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        key_field = field(pilot, "billomat-api-key")
        assert key_field.disabled and key_field.password
        assert text(pilot, "billomat-api-key-hint") == (
            "Set by TIMEBILL_BILLOMAT__API_KEY: change it there (not saved here)."
        )
        assert "from TIMEBILL_MITE__BASE_URL" in text(pilot, "mite-address")
        assert env_key not in on_screen(app)

        await fill_mite(pilot, creds, creds["mite"]["api_key"])
        await type_into(pilot, "billomat-billomat-id", "nordlicht")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text(pilot, "billomat-status") == "✓ Agentur Nordlicht GmbH"
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert read_file(config)["billomat"] == {"billomat_id": "nordlicht"}
    assert env_key not in config.read_text(encoding="utf-8")
    [saved] = app.results
    assert saved is not None
    assert reveal(saved.billomat.api_key) == env_key
    assert saved.origin("billomat.api_key") == "environment"


async def test_tracker_from_the_environment_is_read_only(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMEBILL_TRACKER", "clockodo")
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert screen(pilot).query_one(RadioSet).disabled
        assert screen(pilot).query_one("#setup-clockodo").display
        assert not screen(pilot).query_one("#setup-mite").display
        assert screen(pilot).focused is field(pilot, "clockodo-email")
        assert "Set by TIMEBILL_TRACKER" in text(pilot, "tracker-hint")


# --- editing a saved config -------------------------------------------------------------------


async def test_edit_keeps_what_the_form_does_not_show(config: Path, sandbox: SandboxServer) -> None:
    values = demo_config(sandbox, "mite")
    values["ui"] = {"theme": "timebill-light", "language": "en"}
    save_settings(values, config)
    app = SetupApp(load_settings(config), config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert field(pilot, "mite-account").value == "nordlicht"
        assert field(pilot, "invoice-default-vat").value == "19"
        # Everything is filled in: the cursor starts on the tracker choice.
        assert isinstance(screen(pilot).focused, RadioSet)
        await type_into(pilot, "invoice-default-vat", "7.7")
        await pilot.press("ctrl+s")
        await settle(pilot)

    document = read_file(config)
    assert document["invoice"] == {"default_vat": pytest.approx(7.7)}
    assert document["ui"] == {"theme": "timebill-light", "language": "en"}
    assert document["clockodo"]["email"] == values["clockodo"]["email"]
    assert document["mite"]["base_url"] == values["mite"]["base_url"]
    [saved] = app.results
    assert saved is not None and str(saved.invoice.default_vat) == "7.7"


async def test_escape_cancels_without_writing(config: Path, sandbox: SandboxServer) -> None:
    save_settings(demo_config(sandbox, "mite"), config)
    before = config.read_bytes()
    app = SetupApp(load_settings(config), config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_into(pilot, "mite-account", "someone-else")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SetupScreen)
    assert app.results == [None]
    assert config.read_bytes() == before


# --- language and bindings --------------------------------------------------------------------


async def test_german(config: Path) -> None:
    set_language("de")
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text(pilot, "setup-title") == "Verbindungen"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_at(pilot, "mite-api-key") == "Pflichtfeld: bitte ausfüllen."
        assert "Einstellungen nicht gespeichert" in notifications(app)
        shown = await footer(pilot)
        assert "Prüfen" in shown and "Speichern" in shown


async def test_every_binding_has_an_id_and_a_description(config: Path) -> None:
    app = SetupApp(None, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        own = {"test", "save", "reveal", "cancel"}
        bindings = [
            b
            for items in screen(pilot)._bindings.key_to_bindings.values()
            for b in items
            if b.action in own
        ]
        assert {b.id for b in bindings} == {f"setup.{action}" for action in own}
        assert all(b.description and not b.description.startswith("key.") for b in bindings)
        line = await footer(pilot)
        for shown in ("Test", "Save", "Show/hide keys", "Cancel"):
            assert shown in line
