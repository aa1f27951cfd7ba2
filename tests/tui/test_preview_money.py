"""Issue 10 in the app: the preview says which VAT rule applied and why, in which currency and
with which prices; a per-client override (t); what rounding changed; the draft's new total when
appending (preview and done screen); implausible entries need an explicit yes; typed two-digit
years are shown resolved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flow_support import FlowApp, errors, load_entries, make_settings, settle, to_preview
from textual.app import App, ComposeResult
from textual.widgets import Input
from timebill.core.sandbox import SandboxServer
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.done import DoneScreen
from timebill.tui.screens.draft_picker import DraftPickerScreen
from timebill.tui.widgets.period_bar import PeriodBar

ALPENBLICK, SCHAEFER, GRUENWALD = "812309", "812302", "812303"


def plain(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_a_swiss_client_gets_no_german_vat_and_the_rule_can_be_overridden(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Brückner")
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(100, 30)) as pilot:
        preview = await to_preview(pilot, "alpen")
        assert preview.client_id == ALPENBLICK
        assert preview.plan is not None
        assert {line.tax_rate for line in preview.plan.lines} == {Decimal(0)}
        shown = plain(app, "#preview-money")
        assert "not taxable in Germany, 0 % (client in CH, outside the EU)" in shown
        assert "net prices · CHF" in shown
        assert "CHF" in plain(app, "#preview-totals")

        await pilot.press("t")  # auto -> domestic, for this client
        assert preview.options.tax_rule == "domestic"
        assert {line.tax_rate for line in preview.plan.lines} == {Decimal(19)}
        assert "domestic VAT (set for this client)" in plain(app, "#preview-money")


async def test_a_gross_client_and_the_rounding_difference(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Bäckerei")
    before = {i["id"] for i in sandbox.billomat.invoices()}
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(100, 30)) as pilot:
        preview = await to_preview(pilot)
        assert preview.client_id == SCHAEFER
        assert "gross prices (sent with VAT)" in plain(app, "#preview-money")
        assert "Rounding" not in plain(app, "#preview-money")
        await pilot.press("r", "r", "r", "r")  # 5, 6, 10, 15 minutes
        plan = preview.plan
        assert plan is not None and preview.options.round_to == 15
        difference = plan.total_net - (plan.exact_net or 0)
        assert difference > 0
        assert f"Rounding +{difference:,.2f} EUR against the tracker's exact minutes" in plain(
            app, "#preview-money"
        )
        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)
    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
    assert draft["net_gross"] == "GROSS"
    assert (Decimal(draft["total_net"]), Decimal(draft["total_gross"])) == (
        plan.total_net,
        plan.total_gross,
    )


async def test_appending_shows_the_drafts_new_total_before_and_after(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Grünwald")
    [existing] = [i for i in sandbox.billomat.invoices() if i["status"] == "DRAFT"]
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(100, 30)) as pilot:
        preview = await to_preview(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DraftPickerScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        plan = preview.plan
        assert plan is not None and preview.into_draft == existing["id"]
        now = Decimal(existing["total_net"])
        expected = now + plan.total_net
        shown = plain(app, "#preview-money")
        assert f"net {now:,.2f} now, {expected:,.2f} with these lines" in shown
        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)
        done = plain(app, "#done-facts")
    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] == existing["id"]]
    assert Decimal(draft["total_net"]) == expected
    assert f"Draft now: net {expected:,.2f} EUR, gross {Decimal(draft['total_gross']):,.2f}" in done
    # The draft had no service period; now it states the lines' period.
    assert draft["supply_date"] == f"{plan.service_start:%d.%m.%Y} – {plan.service_end:%d.%m.%Y}"


async def test_implausible_entries_are_shown_and_need_a_yes(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    first = next(e for e in entries if e.kind == "time" and e.billable and not e.billed)
    # 26 hours typed into mite (the plan is checked against the tracker before it is created).
    creds = sandbox.credentials()["mite"]
    httpx.patch(
        f"{creds['base_url']}/time_entries/{first.id}.json",
        json={"time_entry": {"minutes": 26 * 60}},
        headers={"X-MiteApiKey": creds["api_key"]},
    ).raise_for_status()
    entries = await load_entries(settings, "Höfer")
    long = next(e for e in entries if e.id == first.id)
    assert long.minutes == 26 * 60
    before = {i["id"] for i in sandbox.billomat.invoices()}
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(100, 30)) as pilot:
        preview = await to_preview(pilot, "")
        warning = plain(app, "#preview-implausible")
        assert "1 implausible" in warning and f"entry {long.id}" in warning
        assert "26:00 h in one entry" in warning
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert app.screen is preview and not preview.creating
        assert {i["id"] for i in sandbox.billomat.invoices()} == before
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)
    assert len(sandbox.billomat.invoices()) == len(before) + 1


class PeriodApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[tuple[dt.date, dt.date]] = []

    def compose(self) -> ComposeResult:
        yield PeriodBar(dt.date(2026, 11, 28))

    def on_period_bar_changed(self, message: PeriodBar.Changed) -> None:
        self.changes.append((message.start, message.end))


async def test_a_two_digit_year_is_2026_and_shown_resolved() -> None:
    app = PeriodApp()
    async with app.run_test(size=(100, 5)) as pilot:
        start = app.query_one("#period-start", Input)
        end = app.query_one("#period-end", Input)
        start.value, end.value = "03.11.26", "30.11.26"
        start.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.changes == [(dt.date(2026, 11, 3), dt.date(2026, 11, 30))]
        assert (start.value, end.value) in {
            ("03.11.2026", "30.11.2026"),
            ("2026-11-03", "2026-11-30"),
        }
