"""The invoice texts screen (x in the preview) against the sandbox: the texts change the lines
at once, land on the Billomat draft, are remembered for the client (for the app's next run and
for `timebill invoice`), and a wrong placeholder is marked at its field and not taken."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
from typing import Any

import httpx
import pytest
from entries_env import TODAY
from flow_support import FlowApp, errors, load_entries, make_settings, settle, to_preview
from sandbox_support import billomat_draft, post_tracker_entry
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea
from timebill.core.billing.journal import Journal
from timebill.core.connect import tracker_account
from timebill.core.invoicing.builder import build_plan
from timebill.core.invoicing.texts import format_range
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.paths import journal_file
from timebill.tui.app import TimebillApp
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.done import DoneScreen
from timebill.tui.screens.preview import PreviewScreen
from timebill.tui.screens.texts import TextsScreen

HOEFER = "812304"
TEXTS = {
    "invoice_title_template": "Rechnung {period} – {client}",
    "intro": "Hallo {customer},\nanbei die Leistungen vom {start} bis {end}:",
    "note": "Zahlbar bis [Invoice.due_date]. Danke für {period}!",
    "title_template": "{service} im Zeitraum {period}",
    "description_template": "{user}: {note}",
}


async def open_texts(pilot: Pilot[Any]) -> TextsScreen:
    await pilot.press("x")
    screen = pilot.app.screen
    assert isinstance(screen, TextsScreen)
    return screen


def fill(screen: TextsScreen, values: dict[str, str]) -> None:
    for name, value in values.items():
        widget = screen.query_one(f"#texts-{name}")
        if isinstance(widget, TextArea):
            widget.load_text(value)
        else:
            assert isinstance(widget, Input)
            widget.value = value


def remembered(settings: Any) -> dict[str, Any]:
    with Journal(journal_file()) as journal:
        return journal.client_settings(tracker_account(settings), HOEFER)


async def test_texts_change_the_lines_land_on_the_draft_and_come_back_next_time(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    before = {i["id"] for i in sandbox.billomat.invoices()}
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        preview = await to_preview(pilot, "")
        assert preview.plan is not None
        untouched = preview.plan
        texts = await open_texts(pilot)
        fill(texts, TEXTS)
        assert texts.work_at_risk()  # typed, not saved: quitting would lose it
        await pilot.press("ctrl+s")
        assert app.screen is preview

        # The lines are built anew with the texts, as the builder makes them.
        plan = preview.plan
        assert plan is not None and plan.entry_ids == untouched.entry_ids
        assert plan.lines == (
            build_plan(entries, preview.assignments, preview.options, client_id=HOEFER).plan.lines
        )
        period = format_range(plan.service_start, plan.service_end, "de")
        assert all(line.title.endswith(f" im Zeitraum {period}") for line in plan.lines)
        assert plan.title == f"Rechnung {period} – Hoefer Logistik AG"
        assert plan.intro.startswith("Hallo Höfer Logistik AG,\nanbei die Leistungen vom 01.10.")
        detail = str(preview.query_one("#preview-detail", Static).render())
        assert plan.lines[0].title in detail
        # The invoice's title, seen nowhere else in the preview, is said once.
        said = [n.message for n in app._notifications]
        assert any(f"Invoice title: {plan.title}" in message for message in said), said
        # Saved texts are the client's at once, before any draft is created.
        assert {name: remembered(settings)[name] for name in TEXTS} == TEXTS

        await pilot.press("c", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen), errors(app)

    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
    invoice, items = billomat_draft(sandbox, draft["id"])
    assert (invoice["title"], invoice["intro"], invoice["note"]) == (
        plan.title,
        plan.intro,
        f"Zahlbar bis [Invoice.due_date]. Danke für {period}!",
    )
    assert [(i["title"], i["description"]) for i in items] == [
        (line.title, line.description) for line in plan.lines
    ]

    # Next time (a new entry, a new run of the app): the client's texts are back.
    creds = sandbox.credentials()["mite"]
    model = {"project_id": entries[0].project_id, "service_id": entries[0].service_id}
    post_tracker_entry(httpx.post, creds, "mite", dt.date(2026, 10, 30), model, "Nachtrag")
    late = [e for e in await load_entries(settings, "Höfer") if not e.billed]
    again = FlowApp(settings, entries=late)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        preview = again.screen  # the client's assignments remembered: straight to the preview
        assert isinstance(preview, PreviewScreen), errors(again)
        assert preview.plan is not None
        [line] = preview.plan.lines
        assert line.title.endswith(" im Zeitraum 30.10.2026")
        assert line.description.endswith(": Nachtrag")
        texts = await open_texts(pilot)
        assert texts.query_one("#texts-intro", TextArea).text == TEXTS["intro"]
        assert texts.query_one("#texts-title_template", Input).value == TEXTS["title_template"]


async def test_a_wrong_placeholder_is_marked_at_its_field_and_not_taken(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        preview = await to_preview(pilot, "")
        options, plan = preview.options, preview.plan
        texts = await open_texts(pilot)
        # {service} is a line's placeholder, not the intro's; {kunde} is nobody's.
        fill(texts, {"intro": "Hallo {service}", "title_template": "{service} für {kunde}"})
        await pilot.press("ctrl+s")
        assert app.screen is texts
        for name, shown in (("intro", "{service}"), ("title_template", "{kunde}")):
            assert texts.query_one(f"#texts-{name}").has_class("-invalid")
            assert shown in str(texts.query_one(f"#texts-{name}-error", Static).render())
        assert not texts.query_one("#texts-note").has_class("-invalid")
        assert texts.query_one("#texts-intro").has_focus  # the first wrong field
        assert "intro" not in remembered(settings)

        # Escape: nothing changes, nothing is remembered.
        await pilot.press("escape")
        assert app.screen is preview
        assert (preview.options, preview.plan) == (options, plan)
        assert "intro" not in remembered(settings)

        # Fixed, with Enter in a one-line field: taken.
        texts = await open_texts(pilot)
        assert texts.query_one("#texts-intro", TextArea).text == ""
        fill(texts, {"intro": "Hallo {customer}", "title_template": "{service}, {period}"})
        texts.query_one("#texts-title_template", Input).focus()
        await pilot.press("enter")
        assert app.screen is preview
        assert preview.options.intro == "Hallo {customer}"
        assert preview.plan is not None and preview.plan.intro == "Hallo Höfer Logistik AG"


async def test_texts_saved_in_the_app_go_on_the_clis_next_draft(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved and left without creating: `timebill invoice` takes the texts from the journal."""
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    entries = await load_entries(settings, "Höfer")
    app = FlowApp(settings, entries=entries)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_preview(pilot, "")
        fill(await open_texts(pilot), {"intro": "Hallo {customer}", "note": "Danke, {client}."})
        await pilot.press("ctrl+s")
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.screen_stack) == 1

    from timebill.tui.main import main

    before = {i["id"] for i in sandbox.billomat.invoices()}
    out = io.StringIO()
    argv = ["invoice", "--customer", "Höfer", "--from", "2026-10-01", "--to", "2026-10-31", "-y"]
    with contextlib.redirect_stdout(out):
        # The CLI runs its own event loop: in a thread, beside the test's.
        code = await asyncio.to_thread(main, argv)
    assert code == 0, out.getvalue()
    assert "Intro: Hallo Höfer Logistik AG" in out.getvalue()
    [draft] = [i for i in sandbox.billomat.invoices() if i["id"] not in before]
    invoice, _ = billomat_draft(sandbox, draft["id"])
    assert (invoice["intro"], invoice["note"]) == (
        "Hallo Höfer Logistik AG",
        "Danke, Hoefer Logistik AG.",
    )


async def test_quitting_with_unsaved_texts_asks_first(
    sandbox: SandboxServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")  # the app follows the locale
    settings = make_settings(sandbox, tmp_path, monkeypatch, "mite")
    app = TimebillApp(settings, tmp_path / "config" / "config.toml", today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"höfer", "enter", "a", "enter")
        await to_preview(pilot, "")
        texts = await open_texts(pilot)
        await pilot.press(*"Rechnung {period}")
        await pilot.press("ctrl+q")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        body = str(confirm.query_one("#confirm-body", Static).render())
        assert "the invoice texts being edited" in body
        await pilot.press("escape")
        assert app.screen is texts and app.is_running
        assert texts.query_one("#texts-invoice_title_template", Input).value == (
            "Rechnung {period}"
        )
        await pilot.press("escape")  # cancelled: nothing left to lose
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
