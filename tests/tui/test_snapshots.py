"""Snapshots of the entries screen (and its help) at 80x24 in the dark and the high-contrast
theme, from fixed entries (no network), so they only change when the screen does. Update with
`pytest tests/tui/test_snapshots.py --snapshot-update` after a deliberate change, and look at the
SVGs before committing them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from entries_env import TODAY, isolate
from textual.pilot import Pilot
from textual.widgets import Input
from timebill.core.models import TimeEntry
from timebill.core.settings.model import load_settings, save_settings
from timebill.tui.app import TimebillApp

# Both themes and both languages at 80x24, each screen twice: dark in English, high contrast
# in German (the longer words).
VARIANTS = [("timebill-dark", "en"), ("timebill-high-contrast", "de")]
PEOPLE = ("Anna Schmidt", "Jonas Weber", "Leyla Demir")
WORK = (
    ("207101", "Müller & Söhne GmbH", "310101", "Webshop-Relaunch", "55501", "Entwicklung", 95),
    ("207102", "Bäckerei Schäfer KG", "310103", "Filial-App", "55503", "Konzeption & Design", 90),
    ("207104", "Höfer Logistik AG", "310105", "SAP-Schnittstelle", "55502", "Beratung", 120),
    ("207105", "Stadtwerke Grünwald", "310107", "Störungsportal", "55504", "Support", 75),
)
NOTES = (
    "Wireframes Startseite",
    "Code-Review Warenkorb",
    "Workshop Anforderungen mit Fachabteilung",
    "[bold red]not markup[/] \x1b[31mno colour",
    "",
)


def fixed_entries() -> list[TimeEntry]:
    entries = []
    for i in range(40):
        customer_id, customer, project_id, project, service_id, service, rate = WORK[i % 4]
        minutes = (30, 45, 60, 90, 135, 240)[i % 6]
        entries.append(
            TimeEntry(
                id=str(48150000 + i),
                source="mite",
                date=dt.date(2026, 10, 1 + i // 2),
                minutes=minutes,
                note=NOTES[i % 5],
                customer_id=customer_id,
                customer_name=customer,
                project_id=project_id,
                project_name=project,
                service_id=service_id,
                service_name=service,
                user_id=str(246801 + i % 3),
                user_name=PEOPLE[i % 3],
                billable=i % 7 != 6,
                billed=i % 9 == 4,
                hourly_rate=Decimal(rate),
                revenue=(Decimal(minutes) * rate / 60).quantize(Decimal("0.01")),
            )
        )
    return entries


IN_PROGRESS = frozenset({"48150002", "48150003"})


async def fixed_loader(start: dt.date, end: dt.date) -> tuple[list[TimeEntry], Collection[str]]:
    return fixed_entries(), IN_PROGRESS


def snapshot_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str, language: str = "en"
) -> TimebillApp:
    config = isolate(monkeypatch, tmp_path)
    # Complete but never contacted: the entries come from fixed_loader.
    save_settings(
        {
            "tracker": "mite",
            "mite": {"account": "nordlicht", "api_key": "0" * 16, "base_url": "http://127.0.0.1:9"},
            "billomat": {
                "billomat_id": "nordlicht",
                "api_key": "0" * 32,
                "base_url": "http://127.0.0.1:9",
            },
            "ui": {"theme": theme, "language": language},
        },
        config,
    )
    return TimebillApp(load_settings(config), config, today=TODAY, loader=fixed_loader)


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_entries_screen(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str, language: str
) -> None:
    app = snapshot_app(tmp_path, monkeypatch, theme, language)
    # Two entries selected, the cursor on the third: selected, cursor, in progress, not billable.
    assert snap_compare(app, terminal_size=(80, 24), press=["space", "space"], run_before=settle)


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_entries_with_billed_and_filters(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str, language: str
) -> None:
    app = snapshot_app(tmp_path, monkeypatch, theme, language)

    async def show_billed(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("f")
        pilot.app.screen.query_one("#filter-show-billed").focus()
        await pilot.press("space")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=show_billed)


@pytest.mark.parametrize(("theme", "language"), VARIANTS)
def test_help_screen(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str, language: str
) -> None:
    app = snapshot_app(tmp_path, monkeypatch, theme, language)
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"], run_before=settle)
