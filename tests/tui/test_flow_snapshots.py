"""Snapshots of Preview, Month-end and Done at 80x24 in the dark and the high-contrast theme
(themes/*.toml through timebill.tui.themes). Update with `pytest --snapshot-update` after a deliberate
change, and look at the SVGs before committing them."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flow_support import FlowApp, load_entries, make_settings, settle
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Static
from timebill.core.billing.transaction import BillingResult
from timebill.core.models import InvoiceLine, InvoicePlan, TaxTotal
from timebill.core.sandbox import SandboxServer
from timebill.tui.i18n import set_language
from timebill.tui.screens.done import DoneScreen
from timebill.tui.themes import install_themes

# Both themes and both languages at 80x24, each screen twice: dark in English, high contrast
# in German (the longer words).
VARIANTS = [("timebill-dark", "en"), ("timebill-high-contrast", "de")]


async def _to_preview(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("enter", "ctrl+s")  # Höfer -> Hoefer Logistik AG, services as shown
    await settle(pilot)


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_preview(
    snap_compare: Any,
    sandbox: SandboxServer,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    theme: str,
    language: str,
) -> None:
    set_language(language)
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = asyncio.run(load_entries(settings, "Höfer"))
    app = FlowApp(settings, entries=entries, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_to_preview)


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_month_end(
    snap_compare: Any,
    sandbox: SandboxServer,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    theme: str,
    language: str,
) -> None:
    set_language(language)
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    app = FlowApp(settings, month=True, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), press=["down", "space"], run_before=settle)


def _plan() -> InvoicePlan:
    line = InvoiceLine(
        title="Softwareentwicklung",
        description="Warenkorb-Bugfix\nCode-Review",
        quantity=Decimal("12.50"),
        unit="Stunde",
        unit_price=Decimal("95.00"),
        tax_rate=Decimal("19"),
        entry_ids=("1", "2"),
        total_net=Decimal("1187.50"),
    )
    return InvoicePlan(
        id="plan-1",
        marker="timebill:plan-1",
        source="mite",
        client_id="812304",
        client_name="Hoefer Logistik AG",
        service_start=dt.date(2026, 10, 1),
        service_end=dt.date(2026, 10, 30),
        lines=(line,),
        entry_ids=line.entry_ids,
        total_net=Decimal("1187.50"),
        taxes=(
            TaxTotal(
                name="MwSt", rate=Decimal("19"), net=Decimal("1187.50"), amount=Decimal("225.63")
            ),
        ),
        total_gross=Decimal("1413.13"),
    )


class DoneApp(App[None]):
    def __init__(self, theme: str) -> None:
        super().__init__()
        self.wanted_theme = theme

    def compose(self) -> ComposeResult:
        yield Static("entries")

    def on_mount(self) -> None:
        install_themes(self, None)
        self.theme = self.wanted_theme
        result = BillingResult(
            "plan-1", "done", "7563704", "RE198", marked=("1", "2"), found_existing=False
        )
        self.push_screen(
            DoneScreen(
                result,
                _plan(),
                url="https://nordlicht.billomat.net/app/invoices/show/entityId/7563704",
                tracker="mite",
                next_name="Kühne Medientechnik e.K.",
            )
        )


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_done(snap_compare: Any, theme: str, language: str) -> None:
    set_language(language)
    assert snap_compare(DoneApp(theme), terminal_size=(80, 24))


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_assign(
    snap_compare: Any,
    sandbox: SandboxServer,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    theme: str,
    language: str,
) -> None:
    """Höfer has no exact-name client: the Assign screen opens with "Hoefer Logistik AG" first."""
    set_language(language)
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = asyncio.run(load_entries(settings, "Höfer"))
    app = FlowApp(settings, entries=entries, theme=theme)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled_without_blink)


async def settled_without_blink(pilot: Pilot[Any]) -> None:
    """Settled, with the search field's cursor held on: a blink timer that fires before the
    screenshot (a busy machine) would otherwise change the picture."""
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()
