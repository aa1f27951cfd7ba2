"""Unfinished invoices through the real TimebillApp at 80x24 against the sandbox: a plan stuck
half-way (its draft made, the tracker refused to mark the other entries) is listed from the
command palette, abandoned with its draft deleted or kept, and exactly its entries are released
in the tracker; the journal holds them no longer. A late copy of a draft is removed by the
app's resume and said in a notification. German."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from entries_env import SIZE, TODAY, Notifications, isolate, screen_lines, screen_text
from flow_support import errors, settle
from textual.pilot import Pilot
from textual.widgets import Footer
from timebill.core.cli.demo import demo_config
from timebill.core.connect import open_journal, tracker_account
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings, save_settings
from timebill.tui.app import TimebillApp
from timebill.tui.main import main as cli
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.unfinished import UnfinishedScreen

HOEFER = "812304"
OCTOBER = ("--from", "2026-10-01", "--to", "2026-10-31")


def settings_for(sandbox: SandboxServer, tmp_path: Path, monkeypatch: Any, lang: str) -> Settings:
    config = isolate(monkeypatch, tmp_path, lang=lang)
    save_settings(demo_config(sandbox, "mite"), config)
    return load_settings(config)


def locked(sandbox: SandboxServer) -> dict[str, bool]:
    """Every mite entry's billed (locked) flag, as the tracker holds it."""
    with sandbox.store.lock:
        return {
            str(record["id"]): bool(record["locked"])
            for record in sandbox.store.collection("mite", "time_entries").values()
        }


async def stuck_plan(sandbox: SandboxServer, settings: Settings) -> Any:
    """`timebill invoice` for Höfer while mite refuses every marking after the first: the draft
    exists, one entry is marked billed, the rest are not (exit 4, the plan stays unfinished)."""
    sandbox.faults.add("status", status=403, count=None, after=1, service="mite", method="PATCH")
    args = ["invoice", "--customer", "Höfer", "--client", HOEFER, *OCTOBER, "--yes"]
    try:
        assert await asyncio.to_thread(cli, args) == 4
    finally:
        sandbox.faults.clear()
    with open_journal(settings) as journal:
        [record] = journal.unfinished(tracker_account(settings))
    assert record.state == "created" and len(record.marked_ids) == 1
    assert len(record.entry_ids) > 1
    return record


async def open_from_palette(pilot: Pilot[Any], title: str) -> None:
    await pilot.press("ctrl+p", *title)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


def footer_fits(app: Any) -> None:
    footer = app.screen.query_one(Footer)
    assert footer.virtual_size.width <= footer.size.width


def journal_state(settings: Settings, plan_id: str) -> tuple[str, set[str], list[Any]]:
    account = tracker_account(settings)
    with open_journal(settings) as journal:
        return (
            journal.plan(plan_id).state,
            journal.in_progress(account),
            journal.unfinished(account),
        )


@pytest.mark.parametrize("key", ["x", "k"])
async def test_abandon_a_stuck_plan_deletes_or_keeps_its_draft(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    settings = settings_for(sandbox, tmp_path, monkeypatch, "en_US.UTF-8")
    before = locked(sandbox)
    record = await stuck_plan(sandbox, settings)
    [marked] = record.marked_ids
    assert locked(sandbox)[marked] and not before[marked]
    draft = record.invoice_id
    assert any(i["id"] == draft for i in sandbox.billomat.invoices())

    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_from_palette(pilot, "Invoices: unfinished")
        assert isinstance(app.screen, UnfinishedScreen), errors(app)
        lines = screen_lines(app)
        assert lines[0].strip() == "Unfinished invoices (1)"
        assert lines[1].split() == ["Client", "State", "Since", "Entries", "Draft"]
        row = lines[2]
        assert "Hoefer" in row and "not all marked" in row
        assert row.split()[-2:] == [str(len(record.entry_ids)), record.invoice_number]
        assert lines[-1].split()[:4] == ["⏎", "Resume", "all", "x"]
        footer_fits(app)
        assert f"Plan {record.id[:8]} · 1 of {len(record.entry_ids)} entries marked" in screen_text(
            app
        )

        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = screen_text(app)
        assert f"Abandon plan {record.id[:8]}" in question
        assert ("is DELETED" if key == "x" else "is KEPT") in question
        assert "1 entry it marked billed is released" in question
        await pilot.press("escape")  # back: nothing changed
        await pilot.pause()
        assert isinstance(app.screen, UnfinishedScreen)
        assert locked(sandbox)[marked]

        await pilot.press(key)
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert errors(app) == []
        said = app._notifications
        [note] = [n for n in said if n.title == "Plan abandoned"]
        assert f"Plan {record.id[:8]}: 1 entry released in the time tracker." in note.message
        if key == "x":
            assert f"Deleted in Billomat: draft {draft}." in note.message
        else:
            assert f"Draft {record.invoice_number} kept" in note.message
        assert screen_lines(app)[0].strip() == "Unfinished invoices (0)"
        assert "No unfinished invoices" in screen_text(app)

    # Exactly the plan's entries are released: every flag is as before the invoice.
    assert locked(sandbox) == before
    state, in_progress, unfinished = journal_state(settings, record.id)
    assert state == "abandoned" and unfinished == []
    assert in_progress.isdisjoint(record.entry_ids)
    live = [i["id"] for i in sandbox.billomat.invoices() if i["id"] == draft]
    assert live == ([] if key == "x" else [draft])


def billomat(sandbox: SandboxServer, method: str, path: str, body: dict[str, Any]) -> Any:
    creds = sandbox.credentials()["billomat"]
    response = httpx.request(
        method,
        f"{creds['base_url']}/api/{path}",
        headers={"X-BillomatApiKey": creds["api_key"]},
        json=body,
    )
    response.raise_for_status()
    return response.json()


async def test_resume_removes_a_late_copy_and_says_so_in_german(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(sandbox, tmp_path, monkeypatch, "de_DE.UTF-8")
    args = ["invoice", "--customer", "Höfer", "--client", HOEFER, *OCTOBER, "--yes"]
    assert await asyncio.to_thread(cli, args) == 0
    with open_journal(settings) as journal:
        [record] = journal.plans("done")
    original = next(i for i in sandbox.billomat.invoices() if i["id"] == record.invoice_id)
    # A create request that landed late: a second draft carrying the same marker.
    copy = billomat(sandbox, "POST", "invoices", {"invoice": {"client_id": HOEFER}})["invoice"]
    path = f"invoices/{copy['id']}/customfield"
    billomat(sandbox, "PUT", path, {"invoice": {"customfield": original["customfield"]}})

    notes = Notifications()
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await settle(pilot)
        await open_from_palette(pilot, "Rechnungen: unfertige")
        assert isinstance(app.screen, UnfinishedScreen), errors(app)
        assert screen_lines(app)[0].strip() == "Unfertige Rechnungen (0)"
        assert "Keine unfertigen Rechnungen" in screen_text(app)
        footer_fits(app)
        await pilot.press("escape")
        await open_from_palette(pilot, "Rechnungen: Unfertige fortsetzen")
        await settle(pilot)
        [swept] = [n for n in notes.items if n.title == "Späte Kopie entfernt"]
        assert swept.message == (
            f"Entwurf {copy['invoice_number']} (ID {copy['id']}) gelöscht: ein verspätet angekommener "
            f"zweiter Entwurf von Plan {record.id[:8]}."
        )
        assert errors(app) == []
    assert [i["id"] for i in sandbox.billomat.invoices() if i["id"] == copy["id"]] == []
    assert any(i["id"] == record.invoice_id for i in sandbox.billomat.invoices())


async def test_enter_resumes_and_the_list_empties(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(sandbox, tmp_path, monkeypatch, "en_US.UTF-8")
    record = await stuck_plan(sandbox, settings)  # mite marks again from here on
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_from_palette(pilot, "Invoices: unfinished")
        assert isinstance(app.screen, UnfinishedScreen), errors(app)
        assert screen_lines(app)[0].strip() == "Unfinished invoices (1)"
        await pilot.press("enter")
        await settle(pilot)
        assert errors(app) == []
        [note] = [n for n in app._notifications if n.title == "Unfinished invoices"]
        assert note.message.startswith("1 finished, 0 still open.")
        assert screen_lines(app)[0].strip() == "Unfinished invoices (0)"
    assert all(locked(sandbox)[entry] for entry in record.entry_ids)
    state, in_progress, _ = journal_state(settings, record.id)
    assert state == "done" and in_progress.isdisjoint(record.entry_ids)
