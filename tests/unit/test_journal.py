"""The journal: assignments remembered, plan states, and entries held by exactly one plan."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from timebill.core.billing.journal import EntriesInProgressError, Journal
from timebill.core.models import InvoiceLine, InvoicePlan, TaxTotal

ACCOUNT = "mite:nordlicht"


def make_plan(plan_id: str, entry_ids: tuple[str, ...], client_id: str = "7") -> InvoicePlan:
    line = InvoiceLine(
        title="Entwicklung",
        quantity=Decimal("1.50"),
        unit_price=Decimal("95"),
        tax_rate=Decimal("19"),
        entry_ids=entry_ids,
        total_net=Decimal("142.50"),
    )
    return InvoicePlan(
        id=plan_id,
        marker=f"timebill:{plan_id}",
        source="mite",
        client_id=client_id,
        service_start=dt.date(2026, 10, 1),
        service_end=dt.date(2026, 10, 31),
        lines=(line,),
        entry_ids=entry_ids,
        total_net=Decimal("142.50"),
        taxes=(
            TaxTotal(
                name="MwSt", rate=Decimal("19"), net=Decimal("142.50"), amount=Decimal("27.08")
            ),
        ),
        total_gross=Decimal("169.58"),
    )


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    with Journal(tmp_path / "data" / "journal.sqlite3") as j:
        yield j


def test_assignments_are_remembered_per_account(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        j.assign(ACCOUNT, "customer", "207", "4711", "Müller & Söhne GmbH")
        j.assign(ACCOUNT, "customer", "207", "4712")  # changed mind
        j.assign("clockodo:anna@x.de", "customer", "207", "1")
        j.assign(ACCOUNT, "service", "55", "901")
    with Journal(path) as j:
        assert j.assignments(ACCOUNT, "customer") == {"207": "4712"}
        assert j.assignments(ACCOUNT, "service") == {"55": "901"}
        j.unassign(ACCOUNT, "service", "55")
        assert j.assignments(ACCOUNT, "service") == {}


def test_client_settings_round_trip(journal: Journal) -> None:
    journal.set_client_settings(ACCOUNT, "4711", {"rounding": 15, "rate": "110.00"})
    assert journal.client_settings(ACCOUNT, "4711") == {"rounding": 15, "rate": "110.00"}
    assert journal.client_settings(ACCOUNT, "9") == {}


def test_plan_moves_through_its_states(journal: Journal) -> None:
    plan = make_plan("p1", ("1", "2", "3"))
    record = journal.begin(plan, ACCOUNT)
    assert record.state == "pending" and record.plan == plan
    assert journal.in_progress(ACCOUNT) == {"1", "2", "3"}
    journal.record_created("p1", "7563765", "RE198")
    journal.record_marked("p1", ["1", "3"])
    record = journal.plan("p1")
    assert (record.state, record.invoice_id, record.unmarked_ids) == ("created", "7563765", ("2",))
    assert [r.id for r in journal.unfinished()] == ["p1"]
    journal.record_marked("p1", ["2"])
    journal.record_done("p1")
    assert journal.unfinished() == []
    assert journal.in_progress(ACCOUNT) == set()
    assert journal.held(ACCOUNT) == {"1", "2", "3"}


def test_an_entry_cannot_enter_two_plans(journal: Journal) -> None:
    journal.begin(make_plan("p1", ("1", "2")), ACCOUNT)
    with pytest.raises(EntriesInProgressError) as info:
        journal.begin(make_plan("p2", ("2", "3")), ACCOUNT)
    assert info.value.entry_ids == ("2",)
    assert "already on another invoice or being billed" in str(info.value)
    with pytest.raises(KeyError):
        journal.plan("p2")  # nothing of the refused plan was recorded
    # The same entry id in another tracker account is another entry.
    journal.begin(make_plan("p3", ("2",)), "clockodo:anna@x.de")


def test_released_and_abandoned_plans_free_their_entries(journal: Journal) -> None:
    journal.begin(make_plan("p1", ("1",)), ACCOUNT)
    journal.record_abandoned("p1", "no draft found")
    journal.begin(make_plan("p2", ("1",)), ACCOUNT)
    journal.record_created("p2", "9")
    journal.record_released("p2", "draft deleted in Billomat")
    assert journal.held(ACCOUNT) == set()
    journal.begin(make_plan("p3", ("1",)), ACCOUNT)
    assert [r.state for r in journal.plans()] == ["abandoned", "released", "pending"]


def test_a_second_process_on_the_same_journal_sees_the_entries_taken(journal: Journal) -> None:
    journal.begin(make_plan("p1", ("1", "2")), ACCOUNT)
    script = (
        "import sys\n"
        "from timebill.core.billing.journal import Journal, EntriesInProgressError\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_journal import make_plan\n"
        f"j = Journal({str(journal.path)!r})\n"
        "try:\n"
        f"    j.begin(make_plan('p9', ('2', '5')), {ACCOUNT!r})\n"
        "except EntriesInProgressError as exc:\n"
        "    print('refused', exc.entry_ids)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.strip() == "refused ('2',)"


# The journal's first schema, as version 1 of timebill wrote it (plans without the Billomat
# account, the in-flight request or the planned entries' snapshots).
SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE plans (
    id TEXT PRIMARY KEY, marker TEXT NOT NULL UNIQUE, account TEXT NOT NULL,
    client_id TEXT NOT NULL, state TEXT NOT NULL, into_draft TEXT, invoice_id TEXT,
    invoice_number TEXT, final INTEGER NOT NULL DEFAULT 0, plan TEXT NOT NULL, error TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE plan_entries (
    plan_id TEXT NOT NULL REFERENCES plans(id), account TEXT NOT NULL, entry_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1, marked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (plan_id, entry_id)
);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def test_a_schema_1_journal_is_migrated_in_place_and_keeps_its_plans(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "journal.sqlite3"
    plan = make_plan("old", ("1", "2"))
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
        db.execute(
            "INSERT INTO plans VALUES ('old', 'timebill:old', ?, '7', 'done', NULL, '55', 'RE1',"
            " 0, ?, NULL, '2026-10-01T00:00:00+00:00', '2026-10-01T00:00:00+00:00')",
            (ACCOUNT, plan.model_dump_json()),
        )
        db.executemany(
            "INSERT INTO plan_entries VALUES ('old', ?, ?, 1, 1)", [(ACCOUNT, "1"), (ACCOUNT, "2")]
        )
    db.close()
    with Journal(path) as j:
        [old] = j.plans()
        assert (old.state, old.invoice_id, old.marked_ids) == ("done", "55", ("1", "2"))
        assert old.billomat_account is None and old.attempt_at is None and old.snapshots == {}
        # New plans record what schema 2 adds; the old plan still holds its entries.
        with pytest.raises(EntriesInProgressError):
            j.begin(make_plan("new", ("2", "3")), ACCOUNT, billomat_account="nordlicht@host")
        new = j.begin(
            make_plan("new", ("3",)),
            ACCOUNT,
            billomat_account="nordlicht@host",
            snapshots={"3": {"minutes": 45}},
        )
        assert new.billomat_account == "nordlicht@host" and new.snapshots == {"3": {"minutes": 45}}
        j.record_attempt("new", "timebill:new")
        assert j.plan("new").attempt_of == "timebill:new"
        j.clear_attempt("new")
        assert j.plan("new").attempt_at is None
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            "2",
        )
    db.close()
