"""Shared by the app, entries, theme and snapshot tests: a private config and data dir, the
app pointed at a sandbox, and what the user sees on screen as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.app import App
from textual.notifications import Notify
from timebill.core.cli.demo import demo_config
from timebill.core.models import InvoicePlan, TimeEntry
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings, save_settings
from timebill.tui.app import TimebillApp

MUELLER = "812301"  # a Billomat client of the seed (core/sandbox/billomat_seed.py)
TODAY = dt.date(2026, 11, 28)  # as in conftest: "last month" is October 2026
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
SIZE = (80, 24)


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, lang: str = "en_US.UTF-8") -> Path:
    """Config and journal in `tmp_path`, no TIMEBILL_* or NO_COLOR from the outside, a fixed
    locale. Returns the config file's path."""
    import os

    for name in list(os.environ):
        if name.startswith("TIMEBILL_") or name in (
            "NO_COLOR",
            "LC_ALL",
            "LC_MESSAGES",
            "LANGUAGE",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    config = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("TIMEBILL_CONFIG", str(config))
    monkeypatch.setenv("TIMEBILL_DATA_DIR", str(tmp_path / "data"))
    return config


def write_config(
    server: SandboxServer, config: Path, tracker: str = "mite", **sections: dict[str, Any]
) -> Settings:
    """The demo config for `server` with `sections` merged in, saved to `config` and loaded.
    A sandbox serving only mite gets a Billomat section that points at it (unused, but the app
    asks for the setup while one is missing)."""
    if set(server.emulators) >= {"mite", "clockodo", "billomat"}:
        values = demo_config(server, tracker)
    else:
        mite = server.credentials()["mite"]
        values = {
            "tracker": "mite",
            "mite": {k: mite[k] for k in ("account", "api_key", "base_url")},
            "billomat": {
                "billomat_id": "nordlicht",
                "api_key": "unused0000000000unused0000000000",
                "base_url": f"{server.url}/billomat",
            },
        }
    for name, section in sections.items():
        values[name] = {**values.get(name, {}), **section}
    save_settings(values, config)
    return load_settings(config)


def make_app(settings: Settings, config: Path, **kwargs: Any) -> TimebillApp:
    kwargs.setdefault("today", TODAY)
    return TimebillApp(settings, config, **kwargs)


def screen_lines(app: App[Any]) -> list[str]:
    """The screen as the user sees it, one string per terminal line. (Uses the compositor's
    render, as Textual's own screenshot does; Textual is pinned.)"""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_text(app: App[Any]) -> str:
    return "\n".join(screen_lines(app))


class Notifications:
    """Collects the app's notifications via run_test(message_hook=...)."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def __call__(self, message: object) -> None:
        if isinstance(message, Notify):
            self.items.append(message.notification)

    def texts(self) -> list[str]:
        return [f"{n.title}: {n.message}" for n in self.items]


async def errors_shown(pilot: Any, notes: Notifications) -> list[Any]:
    """The error notifications, once the first has arrived: a failed worker's screen hears of it
    in a message after the worker ended, and on a busy machine one pause is not always enough."""
    for _ in range(50):
        await pilot.pause()
        if any(n.severity == "error" for n in notes.items):
            break
    return [n for n in notes.items if n.severity == "error"]


def mite_post_entry(server: SandboxServer, **fields: Any) -> dict[str, Any]:
    """Create a time entry through the mite emulator's API (as a user would in mite)."""
    creds = server.credentials()["mite"]
    response = httpx.post(
        f"{creds['base_url']}/time_entries.json",
        json={"time_entry": fields},
        headers={"X-MiteApiKey": creds["api_key"]},
    )
    response.raise_for_status()
    return response.json()["time_entry"]


def interrupted_invoice(settings: Settings, entries: Sequence[TimeEntry]) -> InvoicePlan:
    """Record an invoice for `entries` (one customer) as begun but not sent: what a crash right
    after the journal entry leaves. Its entries show as "in progress" until it is resumed."""
    from timebill.core.connect import open_journal, tracker_account
    from timebill.core.invoicing.builder import Assignments, PlanOptions, build_plan

    customer_id = entries[0].customer_id
    assert customer_id is not None and all(e.customer_id == customer_id for e in entries)
    plan = build_plan(
        entries,
        Assignments(clients={customer_id: MUELLER}),
        PlanOptions(default_vat=settings.invoice.default_vat),
        client_id=MUELLER,
    ).plan
    with open_journal(settings) as journal:
        journal.begin(plan, tracker_account(settings))
    return plan
