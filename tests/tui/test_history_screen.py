"""History through the real TimebillApp at 80x24 against the sandbox: a billed entry names its
draft and `d` opens it; `h` lists the drafts timebill made with their Billomat state; a single
entry is taken off a draft (asked first) and is open again; a line of several entries is not
taken apart; German."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from entries_env import SIZE, TODAY, isolate, screen_lines, screen_text
from flow_support import errors, settle
from textual.pilot import Pilot
from textual.widgets import Checkbox
from timebill.core.cli.demo import demo_config
from timebill.core.connect import open_journal
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings, save_settings
from timebill.tui.app import TimebillApp
from timebill.tui.main import main as cli
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.draft_lines import DraftLinesScreen
from timebill.tui.screens.entries import EntriesScreen
from timebill.tui.screens.history import HistoryScreen
from timebill.tui.widgets.entry_list import EntryList
from timebill.tui.widgets.entry_rows import BILLED, OPEN

HOEFER, MUELLER = "812304", "812301"


def settings_for(sandbox: SandboxServer, tmp_path: Path, monkeypatch: Any, lang: str) -> Settings:
    config = isolate(monkeypatch, tmp_path, lang=lang)
    save_settings(demo_config(sandbox, "mite"), config)
    return load_settings(config)


async def bill(customer: str, client: str, group_by: str) -> None:
    """`timebill invoice` as the user would run it before opening the app (its own loop)."""
    args = ["invoice", "--customer", customer, "--client", client]
    args += ["--from", "2026-10-01", "--to", "2026-10-31", "--group-by", group_by, "--yes"]
    assert await asyncio.to_thread(cli, args) == 0


def plans(settings: Settings) -> list[Any]:
    with open_journal(settings) as journal:
        return journal.plans("done")


def billomat(sandbox: SandboxServer, method: str, path: str) -> None:
    creds = sandbox.credentials()["billomat"]
    httpx.request(
        method,
        f"{creds['base_url']}/api/{path}",
        headers={"X-BillomatApiKey": creds["api_key"]},
        json={"complete": {}} if method == "PUT" else None,
    ).raise_for_status()


def locked(sandbox: SandboxServer, entry_id: str) -> bool:
    with sandbox.store.lock:
        record = sandbox.store.get("mite", "time_entries", entry_id)
        assert record is not None
        return bool(record["locked"])


async def show_billed_of(pilot: Pilot[Any], app: TimebillApp, customer: str) -> EntryList:
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, EntriesScreen)
    await pilot.press("f")
    screen.query_one("#filter-show-billed", Checkbox).focus()
    await pilot.press("space", "escape")
    await settle(pilot)
    await pilot.press("slash", *customer.lower(), "enter")
    return screen.query_one(EntryList)


@pytest.fixture
def settings(sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return settings_for(sandbox, tmp_path, monkeypatch, "en_US.UTF-8")


async def test_entry_names_its_draft_then_is_taken_off_it(
    sandbox: SandboxServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bill("Höfer", HOEFER, "entry")
    [record] = plans(settings)
    number, invoice_id = record.invoice_number, record.invoice_id
    items_before = len(sandbox.billomat.invoices()[-1]["items"])
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        entries = await show_billed_of(pilot, app, "höfer")
        row = entries.highlighted
        assert row is not None and row.state == BILLED
        assert f"Draft {number} (d: link) · " in screen_lines(app)[-3]
        await pilot.press("d")
        url = f"/billomat/app/invoices/show/entityId/{invoice_id}"
        assert len(opened) == 1 and opened[0].endswith(url)
        assert any(opened[0] in n.message for n in app._notifications)  # shown for SSH too

        await pilot.press("h")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen), errors(app)
        lines = screen_lines(app)
        assert lines[0].strip() == "History: drafts timebill made (1)"
        assert lines[1].split() == ["Number", "Client", "Created", "Entries", "Net", "State"]
        assert lines[2].split()[0] == number and lines[2].rstrip().endswith("draft")
        assert opened[0] in screen_text(app)

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DraftLinesScreen)
        assert f"Draft {number} · Hoefer Logistik AG · draft" in screen_lines(app)[0]
        line = record.plan.lines[1]
        [entry_id] = line.entry_ids
        await pilot.press("down", "x")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert line.title in screen_text(app) and "open again in mite" in screen_text(app)
        assert locked(sandbox, entry_id)  # nothing happens before Enter
        await pilot.press("enter")
        await settle(pilot)
        assert not errors(app)
        assert "taken off" in screen_lines(app)[3]
        assert not locked(sandbox, entry_id)
        [draft] = [i for i in sandbox.billomat.invoices() if i["id"] == invoice_id]
        assert len(draft["items"]) == items_before - 1
        planned = [li.title for li in record.plan.lines].count(line.title)
        assert [i["title"] for i in draft["items"]].count(line.title) == planned - 1

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is history
        await pilot.press("escape")
        await settle(pilot)
        states = {r.entry.id: r.state for r in entries.rows}
        assert states[entry_id] == OPEN  # reloaded: open again, can be billed anew
        assert all(states[i] == BILLED for i in record.entry_ids if i != entry_id)


async def test_states_from_billomat_and_shared_lines_stay(
    sandbox: SandboxServer, settings: Settings
) -> None:
    await bill("Höfer", HOEFER, "service")
    await bill("Müller", MUELLER, "service")
    by_client = {p.client_id: p for p in plans(settings)}
    billomat(sandbox, "DELETE", f"invoices/{by_client[HOEFER].invoice_id}")
    billomat(sandbox, "PUT", f"invoices/{by_client[MUELLER].invoice_id}/complete")
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"history")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen), errors(app)
        states = {d.record.client_id: history.status_of(d) for d in history.drafts}
        assert states == {HOEFER: "DELETED", MUELLER: "OPEN"}
        text = screen_text(app)
        assert "deleted" in text and " open" in text

        index = next(i for i, d in enumerate(history.drafts) if d.record.client_id == MUELLER)
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot)
        lines = app.screen
        assert isinstance(lines, DraftLinesScreen)
        assert "No longer a draft" in screen_text(app)
        shared = next(i for i, li in enumerate(lines.record.plan.lines) if len(li.entry_ids) > 1)
        await pilot.press(*["down"] * shared, "x")
        assert app.screen is lines  # nothing to confirm: x does not apply here
        assert all(locked(sandbox, i) for i in by_client[MUELLER].entry_ids)


async def test_german_history(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(sandbox, tmp_path, monkeypatch, "de_DE.UTF-8")
    await bill("Höfer", HOEFER, "service")
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        lines = screen_lines(app)
        assert lines[0].strip() == "Verlauf: von timebill angelegte Entwürfe (1)"
        assert lines[1].split() == ["Nummer", "Kunde", "Angelegt", "Einträge", "Netto", "Status"]
        assert lines[2].rstrip().endswith("Entwurf")
        assert "⏎ Positionen" in lines[-1] and "o Im Browser öffnen" in lines[-1]
        await pilot.press("enter")
        await settle(pilot)
        assert "Rechnet" in screen_text(app) and "zusammen ab" in screen_text(app)
