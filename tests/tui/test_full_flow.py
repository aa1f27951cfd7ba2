"""The whole product through the real TimebillApp at 80x24 against the sandbox over loopback:
first start (setup with a wrong key, fixed, saved) -> entries -> select one customer -> assign
-> preview -> create -> done -> the entries are billed; adding to an existing draft; the
month-end queue; and the clockodo variant."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from entries_env import TODAY, screen_text
from flow_support import errors, settle
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static
from timebill.core.cli.demo import demo_config
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings, save_settings
from timebill.tui.app import TimebillApp
from timebill.tui.screens.assign import AssignScreen
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.done import DoneScreen
from timebill.tui.screens.draft_picker import DraftPickerScreen
from timebill.tui.screens.entries import EntriesScreen
from timebill.tui.screens.month_end import MonthEndScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.screens.setup import SetupScreen
from timebill.tui.widgets.entry_list import EntryList
from timebill.tui.widgets.entry_rows import BILLED

SIZE = (80, 24)
HOEFER = "812304"
GRUENWALD = "812303"
WRONG_MITE_KEY = "0f0f0f0f0f0f0f0f"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config path in tmp_path that does not exist yet; no TIMEBILL_* or locale from outside."""
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


def prewritten(sandbox: SandboxServer, config: Path, tracker: str) -> Settings:
    save_settings(demo_config(sandbox, tracker), config)
    return load_settings(config)


# --- what the user sees -----------------------------------------------------------------------


def entry_list(app: TimebillApp) -> EntryList:
    screen = app.entries_screen
    assert screen is not None
    return screen.query_one(EntryList)


def setup_screen(app: TimebillApp) -> SetupScreen:
    assert isinstance(app.screen, SetupScreen), type(app.screen)
    return app.screen


def status(app: TimebillApp, widget_id: str) -> str:
    return str(setup_screen(app).query_one(f"#{widget_id}", Static).content)


def stored_billed(sandbox: SandboxServer, tracker: str, entry_id: str) -> bool:
    """The tracker's own state: mite locks billed entries, clockodo sets billable=2."""
    store = sandbox.store
    with store.lock:
        if tracker == "mite":
            record = store.get("mite", "time_entries", entry_id)
            assert record is not None
            return bool(record["locked"])
        record = store.get("clockodo", "entries", entry_id)
        assert record is not None
        return record["billable"] == 2


async def type_into(pilot: Pilot[Any], field_id: str, value: str) -> None:
    """Focus a setup field, clear it with keys, paste `value`."""
    widget = setup_screen(pilot.app).query_one(f"#{field_id}", Input)  # type: ignore[arg-type]
    widget.focus()
    await pilot.press("home", "ctrl+k")
    if value:
        widget.post_message(events.Paste(value))
    await pilot.pause()


async def select_customer(pilot: Pilot[Any], app: TimebillApp, customer: str) -> list[Any]:
    """Search for the customer, back to the list, select all shown: the entries chosen."""
    await pilot.press("slash", *customer.lower())
    await pilot.press("enter")
    assert isinstance(app.focused, EntryList)
    await pilot.press("a")
    screen = app.entries_screen
    assert screen is not None
    chosen = screen.selected_entries()
    assert chosen and all((e.customer_name or "").startswith(customer) for e in chosen)
    return chosen


async def show_billed(pilot: Pilot[Any], app: TimebillApp) -> None:
    screen = app.entries_screen
    assert screen is not None
    await pilot.press("f")
    screen.query_one("#filter-show-billed", Checkbox).focus()
    await pilot.press("space", "escape")
    await settle(pilot)


async def create_single(pilot: Pilot[Any], app: TimebillApp) -> PreviewScreen:
    """Enter on the selection, accept the suggestions on the Assign screen, then the preview."""
    await pilot.press("enter")
    await settle(pilot)
    if isinstance(app.screen, AssignScreen):
        await pilot.press("enter")  # the suggested client
        await pilot.press("ctrl+s")
        await settle(pilot)
    preview = app.screen
    assert isinstance(preview, PreviewScreen), (type(preview), errors(app))
    return preview


async def back_to_entries(pilot: Pilot[Any], app: TimebillApp) -> None:
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, EntriesScreen), type(app.screen)
    await settle(pilot)


async def bill_and_check(
    sandbox: SandboxServer, pilot: Pilot[Any], app: TimebillApp, tracker: str
) -> None:
    """Select Höfer's entries, create the invoice, and see them billed in tracker and list."""
    before = {i["id"] for i in sandbox.billomat.invoices()}
    rows = entry_list(app).rows
    assert rows and all(r.entry.date.month == 10 for r in rows)  # last month (TODAY is Nov)
    chosen = await select_customer(pilot, app, "Höfer")
    billable = {e.id for e in chosen if e.billable and not e.billed}
    assert billable
    assert not any(stored_billed(sandbox, tracker, i) for i in billable)

    preview = await create_single(pilot, app)
    assert preview.client_id == HOEFER
    plan = preview.plan
    assert plan is not None and set(plan.entry_ids) == billable
    await pilot.press("c", "enter")
    await settle(pilot)
    done = app.screen
    assert isinstance(done, DoneScreen), errors(app)
    assert not errors(app)
    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
    assert draft["client_id"] == HOEFER and draft["status"] == "DRAFT"
    assert draft["invoice_number"] in screen_text(app)
    await back_to_entries(pilot, app)

    assert all(stored_billed(sandbox, tracker, i) for i in billable)
    # The list was reloaded: billed entries are hidden, and marked billed when shown.
    assert billable.isdisjoint(r.entry.id for r in entry_list(app).rows)
    await show_billed(pilot, app)
    states = {r.entry.id: r.state for r in entry_list(app).rows}
    assert all(states[i] == BILLED for i in billable)


# --- (a) first start with mite ----------------------------------------------------------------


async def test_first_start_setup_then_bill_one_customer(
    sandbox: SandboxServer, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = sandbox.credentials()
    for service in ("mite", "clockodo", "billomat"):
        monkeypatch.setenv(f"TIMEBILL_{service.upper()}__BASE_URL", creds[service]["base_url"])
    assert not config.exists()
    settings = load_settings(config)
    assert settings.missing()
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        setup_screen(app)  # first start: the setup is on top
        await type_into(pilot, "mite-account", creds["mite"]["account"])
        await type_into(pilot, "mite-api-key", WRONG_MITE_KEY)
        await type_into(pilot, "billomat-billomat-id", creds["billomat"]["billomat_id"])
        await type_into(pilot, "billomat-api-key", creds["billomat"]["api_key"])
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert status(app, "mite-status").startswith("✗ Wrong API key")
        assert status(app, "billomat-status") == "✓ Agentur Nordlicht GmbH"
        assert WRONG_MITE_KEY not in screen_text(app)
        assert not config.exists()

        await type_into(pilot, "mite-api-key", creds["mite"]["api_key"])
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert status(app, "mite-status").startswith("✓ Agentur Nordlicht GmbH")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen), type(app.screen)
        assert config.exists()
        assert app.settings is not None and not app.settings.missing()
        assert "mite:nordlicht" in screen_text(app)

        await bill_and_check(sandbox, pilot, app, "mite")


# --- (b) add to an existing draft ------------------------------------------------------------


async def test_add_to_existing_draft_through_the_app(sandbox: SandboxServer, config: Path) -> None:
    settings = prewritten(sandbox, config, "mite")
    [existing] = [i for i in sandbox.billomat.invoices() if i["status"] == "DRAFT"]
    assert existing["client_id"] == GRUENWALD
    items_before = len(existing["items"])
    count_before = len(sandbox.billomat.invoices())
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chosen = await select_customer(pilot, app, "Grünwald")
        billable = {e.id for e in chosen if e.billable and not e.billed}
        preview = await create_single(pilot, app)
        assert preview.client_id == GRUENWALD
        await pilot.press("d")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, DraftPickerScreen), errors(app)
        assert [d.id for d in picker.drafts] == [existing["id"]]
        await pilot.press("down", "enter")
        assert app.screen is preview
        assert preview.into_draft == existing["id"]
        plan = preview.plan
        assert plan is not None and set(plan.entry_ids) == billable
        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)
        assert "added" in screen_text(app).lower()
        await back_to_entries(pilot, app)
        assert billable.isdisjoint(r.entry.id for r in entry_list(app).rows)

    assert len(sandbox.billomat.invoices()) == count_before  # no new invoice
    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] == existing["id"]]
    assert draft["status"] == "DRAFT"
    assert len(draft["items"]) == items_before + len(plan.lines)
    assert all(stored_billed(sandbox, "mite", i) for i in billable)


# --- (c) the month-end queue -----------------------------------------------------------------


async def test_month_end_queue_creates_three_drafts(sandbox: SandboxServer, config: Path) -> None:
    settings = prewritten(sandbox, config, "mite")
    before = {i["id"] for i in sandbox.billomat.invoices()}
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown_before = {r.entry.id for r in entry_list(app).rows}
        await pilot.press("m")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, MonthEndScreen), errors(app)
        await pilot.press("space", "space", "space")
        reviewed = [row for row in queue.rows if row.state == "reviewed"]
        assert len(reviewed) == 3
        await pilot.press("c", "enter")
        await settle(pilot)
        assert not errors(app)
        assert [row.state for row in reviewed] == ["created"] * 3
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen)
        billed = {i for row in reviewed if row.plan for i in row.plan.entry_ids}
        assert len({row.client_id for row in reviewed}) == 3
        assert billed <= shown_before
        # Reloaded: the billed entries left the list of open ones.
        assert billed.isdisjoint(r.entry.id for r in entry_list(app).rows)

    created = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
    assert len(created) == 3
    assert {i["client_id"] for i in created} == {row.client_id for row in reviewed}
    assert all(i["status"] == "DRAFT" for i in created)
    assert all(stored_billed(sandbox, "mite", i) for i in billed)


# --- (d) clockodo ----------------------------------------------------------------------------


async def test_clockodo_bill_one_customer(sandbox: SandboxServer, config: Path) -> None:
    settings = prewritten(sandbox, config, "clockodo")
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen)
        assert "clockodo" in screen_text(app)
        await bill_and_check(sandbox, pilot, app, "clockodo")


async def test_q_quits_at_once_but_asks_when_assignments_would_be_lost(
    sandbox: SandboxServer, config: Path
) -> None:
    settings = prewritten(sandbox, config, "mite")
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_customer(pilot, app, "Höfer")
        await pilot.press("enter")
        await settle(pilot)
        assign = app.screen
        assert isinstance(assign, AssignScreen)
        await pilot.press("enter")  # Höfer -> Hoefer, chosen on this screen, not saved yet
        await pilot.press("ctrl+q")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "1 assignments chosen" in str(confirm.query_one("#confirm-body", Static).render())
        await pilot.press("q")  # only Enter answers
        assert app.screen is confirm
        await pilot.press("escape")
        assert app.screen is assign and app.is_running
        await pilot.press("escape")  # cancel the assignments: nothing left to lose
        await settle(pilot)
        assert isinstance(app.screen, EntriesScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_quit_confirmed_leaves(sandbox: SandboxServer, config: Path) -> None:
    settings = prewritten(sandbox, config, "mite")
    app = TimebillApp(settings, config, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_customer(pilot, app, "Höfer")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter", "ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert not app.is_running
