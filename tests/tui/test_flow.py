"""The billing flow through its screens against the sandbox: select -> assign -> preview ->
create -> done, adding to an existing draft, and the clockodo variant."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from flow_support import FlowApp, errors, load_entries, make_settings, settle
from textual.widgets import Input, Static
from timebill.core.billing.journal import Journal
from timebill.core.billomat.client import Billomat
from timebill.core.connect import open_billomat, tracker_account
from timebill.core.invoicing.builder import Assignments, PlanOptions, build_plan
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.paths import journal_file
from timebill.tui.screens.assign import NEW_CLIENT_OPTION, AssignScreen
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.done import DoneScreen
from timebill.tui.screens.draft_picker import DraftPickerScreen
from timebill.tui.screens.line_edit import LineEditScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.widgets.billomat_picker import BillomatPicker
from timebill.tui.widgets.plan_table import PlanTable
from timebill.tui.widgets.progress_panel import ProgressPanel

HOEFER = "812304"
GRUENWALD = "812303"


async def catalog(settings: Any) -> tuple[Any, Any, Any]:
    billomat: Billomat
    async with open_billomat(settings) as billomat:
        return await billomat.clients(), await billomat.articles(), await billomat.taxes()


def plain(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def new_invoices(sandbox: SandboxServer, before: set[str]) -> list[dict[str, Any]]:
    return [i for i in sandbox.billomat.invoices() if i["id"] not in before]


def wire_lines(invoice: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [
        (
            item["title"],
            Decimal(item["quantity"]),
            Decimal(item["unit_price"]),
            Decimal(item["tax_rate"]),
        )
        for item in invoice["items"]
    ]


def plan_lines(plan: Any) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(line.title, line.quantity, line.unit_price, line.tax_rate) for line in plan.lines]


async def test_select_assign_preview_create_done(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    open_ids = {e.id for e in entries if not e.billed and e.billable}
    clients, articles, taxes = await catalog(settings)
    before = {i["id"] for i in sandbox.billomat.invoices()}
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AssignScreen)
        picker = screen.query_one(BillomatPicker)
        # Höfer is spelled "Hoefer" in Billomat: suggested first, not decided.
        assert picker.options.get_option_at_index(0).id == HOEFER
        assert picker.highlighted_id == HOEFER
        await pilot.press("enter")
        # On to the next open item: the service "Entwicklung", "Softwareentwicklung" suggested.
        assert picker.highlighted_id == "901"
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await settle(pilot)

        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        service_ids = {e.service_name: e.service_id for e in entries}
        assignments = Assignments(
            clients={entries[0].customer_id: HOEFER},
            articles={service_ids["Entwicklung"]: "901", service_ids["Beratung"]: "902"},
            billomat_clients=tuple(clients),
            billomat_articles=tuple(articles),
            taxes=tuple(taxes),
        )
        options = PlanOptions(default_vat=Decimal("19"))
        expected = build_plan(entries, assignments, options, client_id=HOEFER).plan
        assert preview.plan is not None
        assert preview.plan.lines == expected.lines
        assert preview.plan.total_gross == expected.total_gross
        assert preview.query_one(PlanTable).row_count == len(expected.lines)
        assert "Hoefer Logistik AG" in plain(app, "#preview-head")
        totals = plain(app, "#preview-totals")
        assert f"{expected.total_gross:,.2f}" in totals and f"{expected.total_net:,.2f}" in totals

        # g: grouping service -> project; r: rounding none -> 5 min; the lines follow at once.
        await pilot.press("g")
        regrouped = options.model_copy(update={"grouping": "project"})
        assert (
            preview.plan.lines
            == build_plan(entries, assignments, regrouped, client_id=HOEFER).plan.lines
        )
        await pilot.press("r")
        rounded = regrouped.model_copy(update={"round_to": 5})
        assert (
            preview.plan.lines
            == build_plan(entries, assignments, rounded, client_id=HOEFER).plan.lines
        )
        await pilot.press("R")
        assert preview.options.round_per == "line"

        # Enter on the first line edits it: a bad quantity is marked at its field.
        await pilot.press("enter")
        editor = app.screen
        assert isinstance(editor, LineEditScreen)
        editor.query_one("#line-edit-quantity", Input).value = "zwei"
        editor.query_one("#line-edit-unit_price", Input).value = "99,50"
        await pilot.press("ctrl+s")
        assert app.screen is editor
        assert editor.query_one("#line-edit-quantity", Input).has_class("-invalid")
        assert not editor.query_one("#line-edit-unit_price", Input).has_class("-invalid")
        quantity = editor.query_one("#line-edit-quantity", Input)
        quantity.value = editor.initial["quantity"]
        await pilot.press("ctrl+s")
        assert app.screen is preview
        first = preview.plan.lines[0]
        assert first.unit_price == Decimal("99.50")
        assert first.total_net == (first.quantity * Decimal("99.50")).quantize(Decimal("0.01"))
        edited = preview.plan

        # c asks first (client, entries, net, gross); Escape goes back and creates nothing.
        await pilot.press("c")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        body = str(confirm.query_one("#confirm-body", Static).render())
        assert "Hoefer Logistik AG" in body
        assert f"{len(edited.entry_ids)} entries" in body
        assert f"{edited.total_net:,.2f}" in body and f"{edited.total_gross:,.2f}" in body
        await pilot.press("escape")
        assert app.screen is preview and not preview.creating
        assert new_invoices(sandbox, before) == []
        await pilot.press("c", "enter")
        await settle(pilot)
        done = app.screen
        assert isinstance(done, DoneScreen), errors(app)
        assert not errors(app)
        created = new_invoices(sandbox, before)
        assert len(created) == 1
        draft = created[0]
        assert draft["client_id"] == HOEFER and draft["status"] == "DRAFT"
        assert wire_lines(draft) == plan_lines(edited)
        assert draft["invoice_number"] in plain(app, "#done-facts")
        assert draft["id"] in plain(app, "#done-facts")
        assert f"/app/invoices/show/entityId/{draft['id']}" in plain(app, "#done-url")

        await pilot.press("enter")
        await settle(pilot)
        assert len(app.screen_stack) == 1
        assert [d.invoice_ids for d in app.done] == [(draft["id"],)]

    after = {e.id: e for e in await load_entries(settings, "Höfer")}
    assert set(edited.entry_ids) == open_ids
    assert all(after[entry_id].billed for entry_id in open_ids)
    # The client's choices are remembered for its next invoice.
    with Journal(journal_file()) as journal:
        remembered = journal.client_settings(tracker_account(settings), HOEFER)
    assert (remembered["grouping"], remembered["round_to"], remembered["round_per"]) == (
        "project",
        5,
        "line",
    )


async def test_add_to_existing_draft(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Grünwald")
    [existing] = [i for i in sandbox.billomat.invoices() if i["status"] == "DRAFT"]
    assert existing["client_id"] == GRUENWALD
    items_before = len(existing["items"])
    count_before = len(sandbox.billomat.invoices())
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if isinstance(app.screen, AssignScreen):
            # The client matches by name; services without article stay free text.
            await pilot.press("ctrl+s")
            await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        assert preview.client_id == GRUENWALD
        await pilot.press("d")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, DraftPickerScreen)
        assert [d.id for d in picker.drafts] == [existing["id"]]
        await pilot.press("down", "enter")
        assert app.screen is preview
        assert preview.into_draft == existing["id"]
        assert existing["invoice_number"] in plain(app, "#preview-options")
        plan = preview.plan
        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)
        assert "added" in plain(app, "#done-heading").lower()

    assert len(sandbox.billomat.invoices()) == count_before  # no new invoice
    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] == existing["id"]]
    assert draft["status"] == "DRAFT"
    assert wire_lines(draft)[items_before:] == plan_lines(plan)
    after = {e.id: e for e in await load_entries(settings, "Grünwald")}
    assert all(after[i].billed for i in plan.entry_ids)


async def test_a_draft_deleted_after_it_was_picked_is_refused_before_anything_is_sent(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app checks the target draft as the command line does (the picker's list may be
    stale): nothing recorded, nothing marked, the user is told and stays in the preview."""
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Grünwald")
    [existing] = [i for i in sandbox.billomat.invoices() if i["status"] == "DRAFT"]
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if isinstance(app.screen, AssignScreen):
            await pilot.press("ctrl+s")
            await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("down", "enter")
        assert preview.into_draft == existing["id"]
        async with open_billomat(settings) as billomat:
            await billomat.delete_invoice(existing["id"])
        invoices = sandbox.billomat.invoices()
        await pilot.press("c", "enter")
        await settle(pilot)
        assert app.screen is preview and not preview.creating
        [message] = errors(app)
        assert f"Billomat has no invoice {existing['id']}" in message
        assert "another draft" in message
    assert sandbox.billomat.invoices() == invoices
    after = await load_entries(settings, "Grünwald")
    assert not any(e.billed for e in after if e.id in {x.id for x in entries if not x.billed})
    with Journal(journal_file()) as journal:
        assert journal.plans() == []


async def test_clockodo_variant(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "clockodo")
    entries = await load_entries(settings, "Höfer")
    assert any(e.kind == "lumpsum" for e in entries)  # clockodo's travel flat rate
    before = {i["id"] for i in sandbox.billomat.invoices()}
    progress: list[PreviewScreen.Progress] = []

    def hook(message: Any) -> None:
        if isinstance(message, PreviewScreen.Progress):
            progress.append(message)

    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        await pilot.press("enter")  # Hoefer Logistik AG, suggested first
        await pilot.press("ctrl+s")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        plan = preview.plan
        assert plan is not None and plan.source == "clockodo"
        assert any(line.unit == "Pauschale" for line in plan.lines)

        # While Billomat has not answered the create, nothing can start it twice or leave.
        held = sandbox.faults.add("hold", service="billomat", method="POST", path="/invoices")
        await pilot.press("c", "enter")
        assert await asyncio.to_thread(held.arrived.wait, 10)
        assert preview.check_action("create", ()) is None
        assert preview.check_action("back", ()) is None
        assert preview.query_one(ProgressPanel).has_class("-active")
        await pilot.press("c", "escape")
        assert app.screen is preview
        held.release.set()
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.done

    [draft] = new_invoices(sandbox, before)
    assert draft["client_id"] == HOEFER
    assert wire_lines(draft) == plan_lines(plan)
    after = {e.id: e for e in await load_entries(settings, "Höfer")}
    assert all(after[i].billed for i in plan.entry_ids)
    # The bar followed the marking to the end.
    assert progress and all(p.stage == "marking" for p in progress)
    assert (progress[-1].done, progress[-1].total) == (len(plan.entry_ids),) * 2


async def test_remembered_assignments_skip_the_assign_screen(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "ctrl+s")  # Höfer -> Hoefer; services stay free text
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.screen_stack) == 1
        assert not app.done  # nothing created: no reload needed

    again = FlowApp(settings, entries=entries)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Remembered in the journal: straight to the preview; `a` reopens the assignments.
        assert isinstance(again.screen, PreviewScreen)
        await pilot.press("a")
        await settle(pilot)
        assign = again.screen
        assert isinstance(assign, AssignScreen)
        picker = assign.query_one(BillomatPicker)
        assert picker.highlighted_id == HOEFER  # the current choice
        await pilot.press(*"alpen")  # type-ahead over the Billomat clients
        # The one match, then the offer to create a client named like the customer.
        assert [o.id for o in picker.options.options] == ["812309", NEW_CLIENT_OPTION]
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press(*"grün")
        assert picker.highlighted_id == GRUENWALD
        await pilot.press("escape")
        assert isinstance(again.screen, PreviewScreen)
        assert again.screen.client_id == HOEFER  # cancelled: nothing changed


async def test_refused_billomat_key_says_open_setup(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    wrong = settings.with_changes({"billomat": {"api_key": "bm-not-the-key"}})
    app = FlowApp(wrong, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(app.screen_stack) == 1  # the flow ended, back on the entries
        [message] = errors(app)
        assert "setup" in message
        assert "bm-not-the-key" not in message
        assert not app.done
