"""The unbilled overview through the real TimebillApp at 80x24 against the sandbox: reached by
`o` and from the command palette, the bars and figures per customer, 3/6 months, billing a
chosen customer from it, the month-end queue for its period, and German."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from entries_env import SIZE, TODAY, isolate, screen_lines, screen_text
from flow_support import errors, settle
from textual.pilot import Pilot
from textual.widgets import DataTable
from timebill.core.billing.unbilled import unbilled, window
from timebill.core.cli.demo import demo_config
from timebill.core.connect import open_source
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import Settings, load_settings, save_settings
from timebill.tui.app import TimebillApp
from timebill.tui.screens.assign import AssignScreen
from timebill.tui.screens.done import DoneScreen
from timebill.tui.screens.entries import EntriesScreen
from timebill.tui.screens.month_end import MonthEndScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.screens.unbilled import UnbilledScreen

SEPTEMBER = dt.date(2026, 9, 1)


def settings_for(sandbox: SandboxServer, tmp_path: Path, monkeypatch: Any, lang: str) -> Settings:
    config = isolate(monkeypatch, tmp_path, lang=lang)
    save_settings(demo_config(sandbox, "mite"), config)
    return load_settings(config)


async def expected(settings: Settings, months: int = 3) -> Any:
    async with open_source(settings) as source:
        entries = await source.entries(*window(TODAY, months))
    return unbilled(entries, TODAY, months)


async def open_overview(pilot: Pilot[Any], app: TimebillApp) -> UnbilledScreen:
    await settle(pilot)
    assert isinstance(app.screen, EntriesScreen)
    await pilot.press("o")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, UnbilledScreen), errors(app)
    return screen


@pytest.fixture
def settings(sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return settings_for(sandbox, tmp_path, monkeypatch, "en_US.UTF-8")


async def test_bars_per_customer_sorted_by_amount_with_age(settings: Settings) -> None:
    want = await expected(settings)
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overview(pilot, app)
        lines = screen_lines(app)
        assert lines[0].strip() == "Unbilled Sep 2026 – Nov 2026 · as of 28.11.2026"
        assert lines[1].split() == ["██", "Sep", "▓▓", "Oct", "░░", "Nov", "(net", "per", "month)"]
        header = lines[2].split()
        assert header == ["Customer", "Per", "month", "Net", "Hours", "Oldest"]
        rows = lines[3 : 3 + len(want.customers)]
        for line, customer in zip(rows, want.customers, strict=True):
            assert customer.name[:19] in line
            assert f"{customer.amount:,.2f}" in line
            assert line.rstrip().endswith(f"{customer.age_days(TODAY)} d")
        # The largest amount fills the bar; the others are shorter, in the same order.
        filled = [sum(line.count(g) for g in "█▓░") for line in rows]
        assert filled[0] == screen.bar_width == 22 and filled == sorted(filled, reverse=True)
        total = f"{len(want.customers)} customers · {want.entries} entries · "
        text = screen_text(app)
        assert total in text and f"{want.amount:,.2f}" in text
        assert "⏎ Invoice" in lines[-1] and "m Month-end" in lines[-1]

        await pilot.press("down")
        second = want.customers[1]
        detail = " · ".join(
            f"{m.strftime('%b')} {second.by_month[m]:,.2f}"
            for m in want.months
            if m in second.by_month
        )
        assert detail in screen_text(app)

        await pilot.press("t")
        await settle(pilot)
        assert screen.months == 6
        assert "██ Jun ▓▓ Jul ▒▒ Aug ░░ Sep ▞▞ Oct ▖▖ Nov" in screen_text(app)
        assert "Unbilled Jun 2026 – Nov 2026" in screen_text(app)
        assert not errors(app)


async def test_reached_from_the_command_palette(settings: Settings) -> None:
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"unbilled")
        await pilot.pause()
        assert "Invoices: unbilled overview" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnbilledScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, EntriesScreen)


async def test_bill_the_chosen_customer_then_it_leaves_the_overview(
    sandbox: SandboxServer, settings: Settings
) -> None:
    want = await expected(settings)
    first = want.customers[0]
    before = {i["id"] for i in sandbox.billomat.invoices()}
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overview(pilot, app)
        await pilot.press("space")  # chooses the first (largest) customer
        assert screen.chosen == {first.customer_id}
        assert "✓ " + first.name[:10] in screen_text(app)
        assert "1 chosen" in screen_lines(app)[0]
        await pilot.press("enter")
        await settle(pilot)
        if isinstance(app.screen, AssignScreen):
            await pilot.press("enter", "ctrl+s")
            await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen), errors(app)
        assert preview.plan is not None
        assert set(preview.plan.entry_ids) == set(first.entry_ids)
        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.overview is not None
        assert first.customer_id not in {c.customer_id for c in screen.overview.customers}
        assert screen.chosen == set()
        assert first.name[:12] not in screen_text(app)
    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
    assert Decimal(draft["total_net"]) > 0


async def test_m_opens_the_month_end_for_the_period_shown(settings: Settings) -> None:
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        await pilot.press("m")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, MonthEndScreen), errors(app)
        assert (queue.start_date, queue.end_date) == (SEPTEMBER, TODAY)
        assert queue.rows and queue.query_one(DataTable).row_count == len(queue.rows)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, UnbilledScreen)


async def test_german_overview(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(sandbox, tmp_path, monkeypatch, "de_DE.UTF-8")
    want = await expected(settings)
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        lines = screen_lines(app)
        assert lines[0].strip() == "Nicht abgerechnet Sep 2026 – Nov 2026 · Stand 28.11.2026"
        assert lines[1].split()[:6] == ["██", "Sep", "▓▓", "Okt", "░░", "Nov"]
        header = ["Kunde", "Je", "Monat", "Netto", "Std.", "Älteste"]
        assert lines[2].split() == header
        top = want.customers[0]
        german = f"{top.amount:,.2f}".translate(str.maketrans(",.", ".,"))
        assert german in lines[3] and lines[3].rstrip().endswith(f"{top.age_days(TODAY)} T")
        assert f"{len(want.customers)} Kunden · {want.entries} Einträge" in screen_text(app)
        assert "⏎ Rechnung" in lines[-1] and "m Monatsende" in lines[-1]


async def test_at_60x20_every_amount_and_age_stays_whole(settings: Settings) -> None:
    want = await expected(settings)
    app = TimebillApp(settings, settings.config_path, today=TODAY)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await open_overview(pilot, app)
        assert (screen.name_width, screen.bar_width) == (14, 10)
        lines = screen_lines(app)
        assert lines[2].split() == ["Customer", "Per", "month", "Net", "Hours", "Oldest"]
        for line, customer in zip(lines[3:], want.customers[:10], strict=False):
            assert f"{customer.amount:,.2f}" in line and f"{customer.hours:.2f}" in line
            assert line.rstrip().endswith(f"{customer.age_days(TODAY)} d")
