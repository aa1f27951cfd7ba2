"""The month-end screen against the sandbox: the queue of customers, creating all reviewed
plans at once, walking the queue (preview, confirm, next), assigning a customer without client,
releasing the entries of a draft that was deleted in Billomat, and late copies of drafts
removed (and said) when the screen opens and after creating."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest
from entries_env import Notifications
from flow_support import FlowApp, errors, load_entries, make_settings, settle
from textual.widgets import DataTable
from timebill.core.billing.journal import Journal
from timebill.core.connect import open_billomat
from timebill.core.money import gross_unit_price
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.paths import journal_file
from timebill.tui.main import main as cli
from timebill.tui.screens.assign import AssignScreen
from timebill.tui.screens.done import DoneScreen
from timebill.tui.screens.month_end import MonthEndScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.widgets.deleted_drafts import DeletedDrafts


def wire_lines(invoice: dict[str, Any]) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (item["title"], Decimal(item["quantity"]), Decimal(item["unit_price"]))
        for item in invoice["items"]
    ]


def plan_lines(plan: Any) -> list[tuple[str, Decimal, Decimal]]:
    """As sent: a GROSS client's (Bäckerei Schäfer's) unit prices include the VAT."""
    return [
        (
            line.title,
            line.quantity,
            gross_unit_price(line.unit_price, line.tax_rate)
            if plan.net_gross == "GROSS"
            else line.unit_price,
        )
        for line in plan.lines
    ]


def by_name(screen: MonthEndScreen) -> dict[str, Any]:
    return {row.name: row for row in screen.rows}


@pytest.fixture
def settings(sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_settings(sandbox, tmp_path, monkeypatch, "mite")


async def test_queue_create_all_reviewed(sandbox: SandboxServer, settings: Any) -> None:
    before = {i["id"] for i in sandbox.billomat.invoices()}
    entries = await load_entries(settings)
    app = FlowApp(settings, month=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MonthEndScreen)
        rows = by_name(screen)
        # Every customer with open billable entries; the two without Billomat client flagged.
        open_customers = {e.customer_id for e in entries if e.billable and not e.billed}
        assert sum(len(r.customer_ids) for r in screen.rows) == len(open_customers)
        assert rows["Höfer Logistik AG"].state == "unassigned"
        assert rows["Brückner Maschinenbau GmbH"].state == "unassigned"
        for row in screen.rows:
            if row.kind == "plan":
                assert row.amount == row.plan.total_net
                planned = [e for e in entries if e.id in set(row.plan.entry_ids)]
                assert row.minutes == sum(e.minutes for e in planned if e.kind == "time")

        await pilot.press("space", "space", "space")
        reviewed = [row for row in screen.rows if row.state == "reviewed"]
        assert len(reviewed) == 3
        await pilot.press("c", "enter")
        await settle(pilot)
        assert not errors(app)
        assert [row.state for row in reviewed] == ["created"] * 3
        created = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
        assert len(created) == 3
        by_client = {i["client_id"]: i for i in created}
        for row in reviewed:
            draft = by_client[row.client_id]
            assert draft["status"] == "DRAFT"
            assert wire_lines(draft) == plan_lines(row.plan)
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.done) == 1 and len(app.done[0].invoice_ids) == 3

    after = {e.id: e for e in await load_entries(settings)}
    assert all(after[i].billed for row in reviewed for i in row.plan.entry_ids)


async def test_walk_the_queue_preview_confirm_next(sandbox: SandboxServer, settings: Any) -> None:
    before = {i["id"] for i in sandbox.billomat.invoices()}
    app = FlowApp(settings, month=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MonthEndScreen)
        first, second = screen.rows[0], screen.rows[1]
        await pilot.press("enter")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen) and preview.queue
        assert preview.client_id == first.client_id
        await pilot.press("c", "enter")
        await settle(pilot)
        done = app.screen
        assert isinstance(done, DoneScreen), errors(app)
        assert done.next_name == second.name
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        assert app.screen.client_id == second.client_id
        await pilot.press("v")  # reviewed, on to the third
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert (first.state, second.state) == ("created", "reviewed")
        assert screen.rows[2].state == "open"

    created = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
    assert [i["client_id"] for i in created] == [first.client_id]


async def test_customer_without_client_is_assigned_from_the_queue(settings: Any) -> None:
    app = FlowApp(settings, month=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MonthEndScreen)
        index = next(i for i, r in enumerate(screen.rows) if r.name == "Höfer Logistik AG")
        screen.query_one("#month-end-queue", DataTable).move_cursor(row=index)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        await pilot.press("enter", "ctrl+s")  # Hoefer Logistik AG, suggested first
        await settle(pilot)
        assert app.screen is screen
        rows = by_name(screen)
        assert "Höfer Logistik AG" not in rows
        assert rows["Hoefer Logistik AG"].kind == "plan"
        assert rows["Hoefer Logistik AG"].state == "open"


async def test_deleted_draft_offers_to_release_its_entries(
    sandbox: SandboxServer, settings: Any
) -> None:
    app = FlowApp(settings, month=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MonthEndScreen)
        row = screen.rows[0]
        await pilot.press("space", "c", "enter")
        await settle(pilot)
        assert row.state == "created" and row.result is not None
        invoice_id = row.result.invoice_id
        assert not screen.query_one(DeletedDrafts).records

    async with open_billomat(settings) as billomat:
        await billomat.delete_invoice(invoice_id)

    again = FlowApp(settings, month=True)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = again.screen
        assert isinstance(screen, MonthEndScreen)
        panel = screen.query_one(DeletedDrafts)
        assert [r.invoice_id for r in panel.records] == [invoice_id]
        assert row.name not in by_name(screen)  # its entries are still marked billed
        panel.query_one(DataTable).focus()
        await pilot.press("l")
        await settle(pilot)
        assert not errors(again)
        assert not panel.records
        assert by_name(screen)[row.name].state == "open"  # billable again
        await pilot.press("escape")
        await settle(pilot)
        assert again.done and again.done[0].invoice_ids == ()

    after = {e.id: e for e in await load_entries(settings)}
    assert not any(after[i].billed for i in row.plan.entry_ids)
    with Journal(journal_file()) as journal:
        states = {r.invoice_id: r.state for r in journal.plans()}
    assert states[invoice_id] == "released"


def plant_late_copy(sandbox: SandboxServer, draft_id: str) -> dict[str, Any]:
    """A create request that landed late: a second draft carrying the draft's marker."""
    creds = sandbox.credentials()["billomat"]
    original = next(i for i in sandbox.billomat.invoices() if i["id"] == draft_id)

    def call(method: str, path: str, body: dict[str, Any]) -> Any:
        response = httpx.request(
            method,
            f"{creds['base_url']}/api/{path}",
            headers={"X-BillomatApiKey": creds["api_key"]},
            json=body,
        )
        response.raise_for_status()
        return response.json()

    copy = call("POST", "invoices", {"invoice": {"client_id": original["client_id"]}})["invoice"]
    call(
        "PUT",
        f"invoices/{copy['id']}/customfield",
        {"invoice": {"customfield": original["customfield"]}},
    )
    return copy


async def test_late_copies_are_removed_and_said_before_and_after_creating(
    sandbox: SandboxServer, settings: Any
) -> None:
    args = ["invoice", "--customer", "Weiß", "--from", "2026-10-01", "--to", "2026-10-31"]
    assert await asyncio.to_thread(cli, [*args, "--yes"]) == 0
    with Journal(journal_file()) as journal:
        [record] = journal.plans("done")
    draft = record.invoice_id or ""
    early = plant_late_copy(sandbox, draft)

    notes = Notifications()
    app = FlowApp(settings, month=True)
    async with app.run_test(size=(80, 24), message_hook=notes) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MonthEndScreen)
        # Opening the run removed the copy that was there, before anything is created.
        assert early["id"] not in live(sandbox) and draft in live(sandbox)
        assert swept(notes) == [
            f"Deleted draft {early['invoice_number']} (id {early['id']}): a second draft of "
            f"plan {record.id[:8]} that landed late."
        ]

        # One that turns up while the screen is open goes when "create reviewed" has finished.
        late = plant_late_copy(sandbox, draft)
        row = screen.rows[0]
        await pilot.press("space", "c", "enter")
        await settle(pilot)
        assert row.state == "created" and not errors(app)
        assert late["id"] not in live(sandbox) and draft in live(sandbox)
        assert swept(notes)[1:] == [
            f"Deleted draft {late['invoice_number']} (id {late['id']}): a second draft of "
            f"plan {record.id[:8]} that landed late."
        ]


def live(sandbox: SandboxServer) -> set[str]:
    return {i["id"] for i in sandbox.billomat.invoices()}


def swept(notes: Notifications) -> list[str]:
    return [n.message for n in notes.items if n.title == "Late copy removed"]
