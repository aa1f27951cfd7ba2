"""A customer Billomat does not know yet gets its client from the assignment screen: the search
that finds nothing offers "+ New Billomat client", Enter asks first, Enter again creates it in
Billomat and the preview bills to it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import timebill.core.http
from flow_support import FlowApp, errors, load_entries, make_settings, settle
from textual.widgets import Static
from timebill.core.sandbox import SandboxServer
from timebill.tui.i18n import set_language
from timebill.tui.screens.assign import NEW_CLIENT_OPTION, AssignScreen
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.widgets.billomat_picker import BillomatPicker

BRUECKNER = "Brückner Maschinenbau GmbH"


def clients_named(sandbox: SandboxServer, name: str) -> list[dict[str, Any]]:
    with sandbox.store.lock:
        rows = sandbox.store.collection("billomat", "clients").values()
        return [dict(r) for r in rows if r["name"] == name]


def option_ids(picker: BillomatPicker) -> list[str | None]:
    options = picker.options
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


async def test_create_the_client_from_the_assign_screen(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Brückner")
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AssignScreen)
        picker = screen.query_one(BillomatPicker)
        # Nothing typed: every client first, the new one last.
        assert option_ids(picker)[-1] == NEW_CLIENT_OPTION
        assert option_ids(picker).count(NEW_CLIENT_OPTION) == 1
        await pilot.press(*"Brü")
        # Nothing matches "Brü": the new client is first and highlighted.
        assert option_ids(picker) == [NEW_CLIENT_OPTION]
        assert picker.highlighted_id == NEW_CLIENT_OPTION
        assert f"+ New Billomat client “{BRUECKNER}”" in str(
            picker.options.get_option_at_index(0).prompt
        )

        # Enter asks first; Escape goes back and creates nothing.
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert BRUECKNER in body
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert clients_named(sandbox, BRUECKNER) == []

        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        [client] = clients_named(sandbox, BRUECKNER)
        customer = next(item for item in screen.items if item.kind == "customer")
        assert customer.choice == str(client["id"])
        assert screen.service.catalog is not None
        assert screen.service.catalog.client(str(client["id"])) is not None

        await pilot.press("ctrl+s")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        assert preview.plan is not None
        assert preview.plan.client_id == str(client["id"])
        assert BRUECKNER in str(preview.query_one("#preview-head").render())
        assert errors(app) == []
    # Created once, whatever the screen did afterwards.
    assert len(clients_named(sandbox, BRUECKNER)) == 1


async def test_the_offer_and_question_in_german(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Brückner")
    set_language("de")  # the autouse fixture (tests/tui/conftest.py) goes back to English
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        picker = app.screen.query_one(BillomatPicker)
        await pilot.press(*"Brü")
        prompt = str(picker.options.get_option_at_index(0).prompt)
        assert prompt == f"+ Neuer Billomat-Kunde „{BRUECKNER}“"
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Neuen Billomat-Kunden anlegen?" in str(
            app.screen.query_one("#confirm-title").render()
        )
        assert "Enter: Kunden anlegen" in str(app.screen.query_one("#confirm-keys").render())
        await pilot.press("escape")
        await settle(pilot)
    assert clients_named(sandbox, BRUECKNER) == []


async def test_a_lost_answer_offers_the_client_it_created(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Brückner")
    # The client gives up after one second here (30 s for real), the sandbox holds the answer.
    monkeypatch.setattr(timebill.core.http, "DEFAULT_TIMEOUT", httpx.Timeout(5.0, read=1.0))
    held = sandbox.faults.add(
        "hold", service="billomat", method="POST", path="/api/clients", delay=60
    )
    app = FlowApp(settings, entries=entries)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = app.screen
            picker = screen.query_one(BillomatPicker)
            await pilot.press(*"Brü", "enter", "enter")
            await settle(pilot)
            assert app.screen is screen
            assert errors(app)  # the failure is shown
            [client] = clients_named(sandbox, BRUECKNER)  # it landed all the same
            # The picker now lists it by name and offers no second one.
            assert NEW_CLIENT_OPTION not in option_ids(picker)
            await pilot.press(*"Brü")
            assert option_ids(picker) == [str(client["id"])]
    finally:
        held.release.set()
    assert len(clients_named(sandbox, BRUECKNER)) == 1
