"""Keys that cannot do harm by accident: the assignment screen changes only the row it shows as
current, creating asks first (test_flow), quitting asks when work would be lost."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flow_support import FlowApp, load_entries, make_settings, settle
from textual.widgets import DataTable, Static
from timebill.core.sandbox import SandboxServer
from timebill.tui.screens.assign import FREE_TEXT_OPTION, AssignScreen
from timebill.tui.widgets.billomat_picker import BillomatPicker

MOVES = ("tab", "shift+tab", "up", "down")


def snapshot(screen: AssignScreen) -> tuple[int, str | None, str]:
    table = screen.query_one("#assign-items", DataTable)
    picker = screen.query_one(BillomatPicker)
    prompt = str(screen.query_one("#assign-prompt", Static).render())
    return table.cursor_row, picker.highlighted_id, prompt


@pytest.mark.parametrize(
    "moves",
    [("shift+tab", "shift+tab", "up", "up"), ("tab", "down"), ("shift+tab", "down", "tab", "up")],
)
async def test_enter_changes_the_row_that_is_shown_as_current(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, moves: tuple[str, ...]
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AssignScreen)
        before = [(item.choice, item.decided) for item in screen.items]
        await pilot.press(*moves)
        row, candidate, prompt = snapshot(screen)
        # Whatever has focus, the picker offers choices for the row highlighted in the table,
        # and the prompt names that row.
        assert screen.items[row].name in prompt
        await pilot.press("enter")
        changed = [
            i for i, item in enumerate(screen.items) if (item.choice, item.decided) != before[i]
        ]
        assert changed in ([], [row])
        if changed:
            expected = None if candidate == FREE_TEXT_OPTION else candidate
            assert screen.items[row].choice == expected


async def test_focus_moves_between_the_rows_and_the_search_only(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported path: shift+tab twice, Up Up, Enter. Up/Down never move the picker's list
    unseen: the focus is on the rows (Up/Down move the row) or on the search field."""
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AssignScreen)
        table = screen.query_one("#assign-items", DataTable)
        picker = screen.query_one(BillomatPicker)
        seen = set()
        for key in itertools.islice(itertools.cycle(["tab", "shift+tab", "shift+tab"]), 6):
            await pilot.press(key)
            seen.add(app.focused)
        assert seen == {table, picker.input}
        await pilot.press("shift+tab")
        assert app.focused is table
        await pilot.press("shift+tab", "up", "up")
        assert app.focused is picker.input
        row, _candidate, prompt = snapshot(screen)
        name = screen.items[row].name
        assert name in prompt
        await pilot.press("enter")
        assert screen.items[row].changed
        assert name in str(table.get_row_at(row)[1])


def test_every_screen_and_widget_with_keys_has_a_help_title_in_both_languages() -> None:
    """The help screen groups keys by where they work; its headings are words, not the class
    names ("AssignScreen") it showed before."""
    import importlib
    import pkgutil

    import timebill.tui
    from textual.dom import DOMNode
    from timebill.tui import i18n
    from timebill.tui.screens.help import HelpScreen, _section_title

    for info in pkgutil.walk_packages(timebill.tui.__path__, prefix="timebill.tui."):
        importlib.import_module(info.name)

    def ours(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("timebill.tui.") and sub.__dict__.get("BINDINGS"):
                found.append(sub)
            found += ours(sub)
        return found

    classes = {c for c in ours(DOMNode) if c is not HelpScreen and "App" not in c.__name__}
    assert len(classes) >= 8
    for language in ("en", "de"):
        i18n.set_language(language)
        try:
            for cls in classes:
                title = _section_title(cls.__new__(cls), is_app=False)
                assert title != cls.__name__ and title != i18n.t("help.section.other"), cls
        finally:
            i18n.set_language("en")
