"""Every text needed to bill is whole at 80x24, in English and German, through the real app:
the footers end with their last key (no "? Hilf"), the status line keeps the selection whole
beside a long clockodo login, the period bar's note fits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from entries_env import isolate, make_app, screen_lines, write_config
from flow_support import settle
from textual.widgets import Footer
from timebill.core.sandbox import SandboxServer
from timebill.tui.screens.assign import AssignScreen
from timebill.tui.screens.month_end import MonthEndScreen
from timebill.tui.screens.preview import PreviewScreen

SIZE = (80, 24)
LOCALES = {"en": "en_US.UTF-8", "de": "de_DE.UTF-8"}


@pytest.fixture(params=["en", "de"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def footer_fits(app: Any) -> None:
    footer = app.screen.query_one(Footer)
    assert footer.virtual_size.width <= footer.size.width, type(app.screen).__name__


async def test_every_footer_of_the_billing_path_fits(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    config = isolate(monkeypatch, tmp_path, lang=LOCALES[language])
    app = make_app(write_config(sandbox, config), config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer_fits(app)
        await pilot.press("slash", *"höfer", "enter", "a", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        footer_fits(app)
        await pilot.press("enter", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        footer_fits(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MonthEndScreen)
        footer_fits(app)


async def test_the_selection_stays_whole_beside_a_long_clockodo_login(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    config = isolate(monkeypatch, tmp_path, lang=LOCALES[language])
    app = make_app(write_config(sandbox, config, "clockodo"), config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = screen_lines(app)[-2]
        nothing = {"en": "Nothing selected (space, a)", "de": "Nichts ausgewählt (Leertaste, a)"}
        assert nothing[language] in status
        assert status.rstrip().endswith("…")  # the login gives way, visibly


def test_numbers_are_never_cut_and_optional_columns_give_way() -> None:
    from timebill.tui.widgets.plan_table import column_widths

    headers = {"number": "#", "quantity": "Qty", "unit": "Unit", "price": "Price"}
    headers |= {"vat": "VAT", "total": "Total"}
    row = {"number": "1", "title": "Beratung", "quantity": "3,041.70", "unit": "Stunde"}
    row |= {"price": "95.00", "vat": "19 %", "total": "16,666,666.67"}
    wide = column_widths(80, [row], headers)
    assert wide["quantity"] >= len("3,041.70") and wide["total"] >= len("16,666,666.67")
    assert set(wide) == {"number", "title", "quantity", "unit", "price", "vat", "total"}
    narrow = column_widths(60, [row], headers)
    assert "number" not in narrow and "unit" in narrow  # the unit says hours or lump sum
    assert narrow["total"] == len("16,666,666.67") and narrow["title"] >= 8
    used = sum(narrow.values()) + 2 * (len(narrow)) + 2
    assert used <= 60


async def test_the_preview_at_60x20_shows_every_total_whole(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    config = isolate(monkeypatch, tmp_path, lang=LOCALES[language])
    app = make_app(write_config(sandbox, config), config)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"höfer", "enter", "a", "enter")
        await settle(pilot)
        await pilot.press("enter", "ctrl+s")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen) and preview.plan is not None
        from timebill.tui.widgets import numbers

        text = "\n".join(screen_lines(app))
        for line in preview.plan.lines:
            assert numbers.amount(line.total_net, grouping=True) in text
        # Each cell sits under its own heading: the title under "Line", the total under "Total".
        from timebill.tui.widgets.plan_table import PlanTable

        table = preview.query_one(PlanTable)
        keys = [column.key.value for column in table.ordered_columns]
        for index, line in enumerate(preview.plan.lines):
            cells = dict(zip(keys, (str(cell) for cell in table.get_row_at(index)), strict=True))
            assert line.title.startswith(cells["title"].rstrip("…"))
            assert cells["total"] == numbers.amount(line.total_net, grouping=True)
        assert numbers.amount(preview.plan.total_gross, grouping=True) in text


async def test_an_implausibly_long_entry_shows_its_whole_hours_and_amount(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from entries_env import mite_post_entry
    from timebill.tui.widgets import numbers

    config = isolate(monkeypatch, tmp_path)
    settings = write_config(sandbox, config)
    day = dt.date(2026, 10, 15).isoformat()  # last month for the app's TODAY
    mite_post_entry(sandbox, date_at=day, minutes=1_000_000_000, note="hxhuge")
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"hxhuge", "enter")
        await settle(pilot)
        lines = screen_lines(app)
        row = next(line for line in lines[3:] if "hxhug" in line)
        assert numbers.hours(1_000_000_000) in row  # 16666666.67, not "166666"
