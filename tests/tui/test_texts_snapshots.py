"""Snapshots of the invoice texts screen (x in the preview) at 80x24, dark in English and high
contrast in German: every field, the placeholders and the hint whole, and a wrong placeholder
marked at its field. Update with `pytest --snapshot-update` after a deliberate change, and look
at the SVGs before committing them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from flow_support import FlowApp, load_entries, make_settings, to_preview
from textual.pilot import Pilot
from textual.widgets import Input, TextArea
from timebill.core.sandbox import SandboxServer
from timebill.tui.i18n import set_language

VARIANTS = [("timebill-dark", "en"), ("timebill-high-contrast", "de")]


async def _without_blink(pilot: Pilot[Any]) -> None:
    """A blink timer firing before the screenshot (a busy machine) would change the picture."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


async def _to_texts(pilot: Pilot[Any]) -> None:
    await to_preview(pilot, "")  # Höfer -> Hoefer Logistik AG, services as shown
    await pilot.press("x")
    await _without_blink(pilot)


async def _wrong_placeholder(pilot: Pilot[Any]) -> None:
    await _to_texts(pilot)
    await pilot.press("tab", "tab", "tab", *"{kunde}", "ctrl+s")
    await _without_blink(pilot)


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
@pytest.mark.parametrize("run_before", [_to_texts, _wrong_placeholder], ids=["open", "wrong"])
def test_texts(
    snap_compare: Any,
    sandbox: SandboxServer,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    theme: str,
    language: str,
    run_before: Any,
) -> None:
    set_language(language)
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = asyncio.run(load_entries(settings, "Höfer"))
    app = FlowApp(settings, entries=entries, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
