"""The entries screen against the sandbox over loopback: loading, search, filters, periods,
selection and totals, billed and in-progress entries, hostile text, 100,000 entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from entries_env import (
    OCTOBER,
    SIZE,
    TODAY,
    Notifications,
    errors_shown,
    interrupted_invoice,
    isolate,
    make_app,
    mite_post_entry,
    screen_text,
    write_config,
)
from textual import events
from textual.widgets import Checkbox, Input, Label, Select
from textual.worker import WorkerFailed
from timebill.core.connect import open_source
from timebill.core.money import entry_amount
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings
from timebill.tui.app import TimebillApp
from timebill.tui.screens.entries import EntriesScreen
from timebill.tui.widgets.entry_list import EntryList
from timebill.tui.widgets.entry_rows import BILLED, IN_PROGRESS


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def settings(sandbox: SandboxServer, config: Path) -> Settings:
    return write_config(sandbox, config)


def entries_screen(app: TimebillApp) -> EntriesScreen:
    screen = app.entries_screen
    assert screen is not None
    return screen


def entry_list(app: TimebillApp) -> EntryList:
    return entries_screen(app).query_one(EntryList)


def status(app: TimebillApp) -> str:
    return str(entries_screen(app).query_one("#selection-status", Label).render())


def counts(app: TimebillApp) -> str:
    return str(entries_screen(app).query_one("#count-status", Label).render())


async def loaded(app: TimebillApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def october_from_mite(settings: Settings) -> list:
    return await from_mite(settings, *OCTOBER)


async def from_mite(settings: Settings, start: dt.date, end: dt.date) -> list:
    async with open_source(settings) as source:
        return await source.entries(start, end)


# The seed bills most of the month before last (September): with October, open and billed.
SEPTEMBER_OCTOBER = (dt.date(2026, 9, 1), dt.date(2026, 10, 31))


async def test_loads_last_months_entries(settings: Settings, config: Path):
    expected = await october_from_mite(settings)
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        rows = entry_list(app).rows
        assert {row.entry.id for row in rows} == {e.id for e in expected}
        assert all(OCTOBER[0] <= row.date <= OCTOBER[1] for row in rows)
        assert f"{len(expected)} of {len(expected)} entries" in counts(app)
        assert "mite:nordlicht" in counts(app)
        text = screen_text(app)
        assert "2026-10-01" in text and "2026-10-31" in text
        assert "Date" in text and "Customer" in text and "State" in text
        # The first row as the user reads it: date, hours and amount of the entry.
        first = rows[0].entry
        line = entry_list(app).render_line(1).text
        assert first.date.strftime("%d.%m.") in line
        assert f"{first.hours:.2f}" in line
        assert f"{entry_amount(first):.2f}" in line


async def test_search_narrows_the_list_at_each_keystroke(settings: Settings, config: Path):
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        everything = len(entry_list(app).rows)
        await pilot.press("slash")
        assert isinstance(app.focused, Input) and app.focused.id == "search"
        await pilot.press(*"WIRE")
        wire = entry_list(app).rows
        assert 0 < len(wire) < everything
        assert all("wire" in row.search for row in wire)
        await pilot.press(*"frames")
        frames = entry_list(app).rows
        assert 0 < len(frames) <= len(wire)
        assert all(
            "wireframes" in (row.note + row.customer + row.project).lower() for row in frames
        )
        assert f"{len(frames)} of" in counts(app)
        # Two words: both must occur (a customer name and a note word).
        customer = frames[0].customer.split()[0]
        await pilot.press("space", *customer)
        both = entry_list(app).rows
        assert both and all(customer.lower() in row.search for row in both)
        # Enter goes back to the list; Escape there clears the search.
        await pilot.press("enter")
        assert isinstance(app.focused, EntryList)
        await pilot.press("escape")
        await pilot.pause()
        assert len(entry_list(app).rows) == everything


async def test_keys_typed_faster_than_the_screen_still_reach_the_search(
    settings: Settings, config: Path
):
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        # All at once, as a fast typist or a terminal delivers them: "/" moves the focus while
        # the letters are already queued at the list ("a" must not select all on the way).
        for key, character in [("slash", "/"), *((c, c) for c in "status")]:
            app.post_message(events.Key(key, character))
        await pilot.pause()
        assert app.screen.query_one("#search", Input).value == "status"
        assert "Nothing selected" in status(app)
        assert all("status" in row.search for row in entry_list(app).rows)


async def test_space_a_i_select_and_the_status_line_totals(settings: Settings, config: Path):
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        rows = entry_list(app).rows
        assert "Nothing selected" in status(app)
        await pilot.press("space")
        first = rows[0].entry
        assert status(app) == f"1 selected · {first.hours:.2f} h · {entry_amount(first):.2f}"
        assert entry_list(app).cursor == 1  # space moves on, to select a run quickly
        await pilot.press("space")
        two = [rows[0].entry, rows[1].entry]
        hours = sum(e.hours for e in two)
        amount = sum(entry_amount(e) or Decimal(0) for e in two)
        assert status(app) == f"2 selected · {hours:.2f} h · {amount:.2f}"
        assert entry_list(app).render_line(1).text.startswith("●")

        await pilot.press("a")
        selectable = [r.entry for r in rows if r.selectable]
        hours = sum(e.hours for e in selectable)
        amount = sum(entry_amount(e) or Decimal(0) for e in selectable)
        assert status(app) == f"{len(selectable)} selected · {hours:,.2f} h · {amount:,.2f}"

        await pilot.press("i")
        assert "Nothing selected" in status(app)
        await pilot.press("home", "space", "i")
        assert status(app).startswith(f"{len(selectable) - 1} selected")
        assert entries_screen(app).selected_entries() == selectable[1:]


async def test_billed_and_in_progress_entries_cannot_be_selected(settings: Settings, config: Path):
    entries = await from_mite(settings, *SEPTEMBER_OCTOBER)
    first_open = next(e for e in entries if not e.billed and e.billable)
    same_customer = [
        e
        for e in entries
        if e.customer_id == first_open.customer_id and not e.billed and e.billable
    ]
    held = list(interrupted_invoice(settings, same_customer[:3]).entry_ids)
    app = make_app(settings, config, period=SEPTEMBER_OCTOBER)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        # Billed entries are hidden at first.
        unbilled = [e for e in entries if not e.billed]
        assert len(entry_list(app).rows) == len(unbilled) < len(entries)
        # Show billed entries: f opens the filters, the checkbox is the last control.
        await pilot.press("f")
        app.screen.query_one("#filter-show-billed", Checkbox).focus()
        await pilot.press("space", "escape")
        await pilot.pause()
        rows = entry_list(app).rows
        assert len(rows) == len(entries)
        billed = [i for i, r in enumerate(rows) if r.state == BILLED]
        in_progress = [i for i, r in enumerate(rows) if r.state == IN_PROGRESS]
        assert billed and sorted(rows[i].entry.id for i in in_progress) == sorted(held)

        lines = entry_list(app)
        lines.cursor = billed[0]
        await pilot.pause()
        await pilot.press("space")
        assert "Nothing selected" in status(app)
        lines.cursor = in_progress[0]
        await pilot.press("space")
        assert "Nothing selected" in status(app)

        await pilot.press("a")
        chosen = {e.id for e in entries_screen(app).selected_entries()}
        assert chosen.isdisjoint({rows[i].entry.id for i in billed + in_progress})
        assert len(chosen) == len(rows) - len(billed) - len(in_progress)
        # They look different: their state is spelled out and marked in the first column.
        lines.cursor = 0
        await pilot.pause()
        billed_line = lines.render_line(billed[0] + 1 - round(lines.scroll_y))
        assert "billed" in billed_line.text and billed_line.text.startswith("✓")
        style = next(iter(billed_line)).style
        assert style is not None and style.italic


async def test_notes_with_markup_and_escape_sequences_are_shown_as_text(
    sandbox: SandboxServer, settings: Settings, config: Path
):
    hostile = "[bold red]x[/] \x1b[31mred\x1b[0m \x1b]0;title\x07done"
    mite_post_entry(
        sandbox, date_at="2026-10-05", minutes=60, note=hostile, project_id=310101, service_id=55501
    )
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("slash", *"bold")
        rows = entry_list(app).rows
        assert len(rows) == 1
        assert rows[0].note == "[bold red]x[/] red done"
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]x[/] red done" in text  # the detail line shows the whole note
        assert "\x1b" not in text and "title" not in text


async def test_filters_by_customer_and_billable(settings: Settings, config: Path):
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        rows = entry_list(app).rows
        customer_id = rows[0].entry.customer_id
        await pilot.press("f")
        app.screen.query_one("#filter-customer", Select).value = customer_id
        await pilot.pause()
        shown = entry_list(app).rows
        assert shown and all(r.entry.customer_id == customer_id for r in shown)
        assert len(shown) < len(rows)
        assert "1 filter(s)" in screen_text(app)
        app.screen.query_one("#filter-billable", Select).value = "not_billable"
        await pilot.pause()
        assert all(not r.entry.billable for r in entry_list(app).rows)
        await pilot.press("escape")
        assert isinstance(app.focused, EntryList)


async def test_period_presets_and_custom_dates_with_validation(settings: Settings, config: Path):
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        screen = entries_screen(app)
        app.screen.query_one("#period-preset", Select).value = "this-month"
        await loaded(app, pilot)
        assert screen.period == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        assert all(r.date.month == 11 for r in entry_list(app).rows)

        start = app.screen.query_one("#period-start", Input)
        start.focus()
        start.value = "2026-13-01"
        await pilot.press("enter")
        await pilot.pause()
        # Whole words in the bar at 80 columns; the formats in the notification.
        assert "From: not a date" in screen_text(app).splitlines()[0]
        assert any(
            "YYYY-MM-DD, DD.MM.YYYY or DD.MM.YY" in str(n.message) for n in app._notifications
        )
        assert screen.period == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))

        start.value = "2026-12-05"
        await pilot.press("enter")
        await pilot.pause()
        assert "Start after end" in screen_text(app).splitlines()[0]
        assert any("runs backwards" in str(n.message) for n in app._notifications)

        start.value = "15.10.2026"  # the German way is accepted too
        await pilot.press("enter")
        await loaded(app, pilot)
        assert screen.period == (dt.date(2026, 10, 15), dt.date(2026, 11, 30))
        assert str(app.screen.query_one("#period-preset", Select).value) == "custom"
        dates = {r.date for r in entry_list(app).rows}
        assert min(dates) >= dt.date(2026, 10, 15) and max(dates) <= TODAY


async def test_a_wrong_key_says_what_failed_and_points_to_the_setup(
    sandbox: SandboxServer, config: Path
):
    settings = write_config(sandbox, config, mite={"api_key": "0000000000000000"})
    notes = Notifications()
    app = make_app(settings, config)
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        with pytest.raises(WorkerFailed):
            await app.workers.wait_for_complete()
        (failure,) = await errors_shown(pilot, notes)
        assert entry_list(app).rows == []
        assert not entry_list(app).loading
        assert failure.title == "Loading entries failed"
        assert "setup" in failure.message.lower()
        assert "0000000000000000" not in failure.message


async def test_bill_hands_the_selection_to_the_app(settings: Settings, config: Path):
    requests: list[EntriesScreen.BillRequested] = []

    def hook(message: object) -> None:
        # The hook sees a message at each stop while it bubbles (screen, then app).
        if isinstance(message, EntriesScreen.BillRequested) and message not in requests:
            requests.append(message)

    app = make_app(settings, config)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await loaded(app, pilot)
        await pilot.press("enter")  # nothing selected yet: a hint, no request
        assert requests == []
        await pilot.press("space", "space", "enter")
        await pilot.pause()
        (request,) = requests
        assert [e.id for e in request.entries] == [r.entry.id for r in entry_list(app).rows[:2]]
        assert (request.start, request.end) == OCTOBER


@pytest.mark.xdist_group("100k")
async def test_100000_entries_load_scroll_and_filter(config: Path, sandbox_100k: SandboxServer):
    settings = write_config(sandbox_100k, config)
    app = make_app(settings, config, period=(dt.date(2026, 9, 1), dt.date(2026, 11, 30)))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        assert len(entries_screen(app).rows) == 100_000
        rows = entry_list(app).rows  # billed ones (most of September) hidden
        assert len(rows) > 60_000
        assert f"{len(rows):,} of 100,000 entries" in counts(app)
        await pilot.press("pagedown", "pagedown", "down", "end")
        assert entry_list(app).cursor == len(rows) - 1
        await pilot.pause()
        bottom = entry_list(app).render_line(entry_list(app).size.height - 1).text
        assert rows[-1].date.strftime("%d.%m.") in bottom  # the last entry is in view
        await pilot.press("home", "slash", *"review")
        narrowed = entry_list(app).rows
        assert 0 < len(narrowed) < len(rows)
        await pilot.press("backspace", "backspace")
        assert len(entry_list(app).rows) >= len(narrowed)
        await pilot.press("enter", "a")
        assert f"{len(entries_screen(app).selection):,} selected" in status(app)
