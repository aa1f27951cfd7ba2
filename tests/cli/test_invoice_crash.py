"""Kill tests: `timebill invoice --yes` runs as a subprocess against the in-process sandbox and
is killed (SIGKILL) at two points of the transaction — right after Billomat carried out the
draft request, and part way through marking the entries. `timebill resume` must then leave
exactly one draft carrying the plan's marker, every planned entry marked, nothing else marked.

The sandbox's "hold" fault carries a request out and holds its answer, so the kill lands at a
known step without any sleep: the test waits on the rule's event and on the process's exit."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from billing_env import GRUENWALD_DRAFT, OCTOBER, TODAY, BillingEnv, billing_env, changed
from timebill.core.billing.markers import marker_of
from timebill.core.cli.demo import demo_config
from timebill.core.sandbox import SandboxServer
from timebill.core.sandbox.billomat import CUSTOMFIELD_ON_CREATE_ENV
from timebill.core.settings.model import save_settings

WAIT = 60  # seconds: generous for a busy machine, and the test fails rather than hangs


def create_takes_the_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    """These kills land between a create and its customfield PUT. By default the sandbox takes
    the documented path (the create ignores customfield), and a draft killed there carries no
    marker: finding it anyway is the marker lookup's job (issue 9, not yet merged here). Until
    then these run against the other reading of digest UNCERTAIN 6: the create takes it."""
    monkeypatch.setenv(CUSTOMFIELD_ON_CREATE_ENV, "1")


# Where marking one entry goes, per tracker.
MARK = {
    "mite": {"service": "mite", "method": "PATCH", "path": "/time_entries/"},
    "clockodo": {"service": "clockodo", "method": "PUT", "path": "/api/v2/entries/"},
}


def kill_when_held(env: BillingEnv, rule: object, *argv: str) -> None:
    proc = env.spawn(*argv)
    try:
        arrived = rule.arrived.wait(WAIT)  # type: ignore[attr-defined]
        assert arrived, "the held request never arrived: " + proc.stderr.read().decode()  # type: ignore[union-attr]
        proc.send_signal(signal.SIGKILL)
        proc.wait(WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT)
        rule.release.set()  # type: ignore[attr-defined]
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == -signal.SIGKILL


def restart_sandbox(env: BillingEnv, state: Path) -> SandboxServer:
    """Stop the sandbox and start it again from its state file (a new port: rewrite the config)."""
    env.server.stop()
    server = SandboxServer(today=TODAY, state=str(state)).start()
    save_settings(demo_config(server, env.tracker), env.config)
    env.server = server
    return server


def check_recovered(env: BillingEnv, before: dict[str, dict[str, object]], invoices: int) -> None:
    [record] = env.plans()
    assert record.state == "done"
    plan = record.plan
    drafts = env.timebill_invoices()
    assert [marker_of(d["customfield"]) for d in drafts] == [plan.marker]
    [draft] = drafts
    assert draft["id"] == record.invoice_id and draft["status"] == "DRAFT"
    assert len(draft["items"]) == len(plan.lines)
    assert len(env.invoices()) == invoices + 1
    assert set(record.marked_ids) == set(plan.entry_ids)
    after = env.entries()
    assert changed(before, after) == set(plan.entry_ids)
    assert set(plan.entry_ids) <= env.billed()


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_killed_right_after_the_draft_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    create_takes_the_marker(monkeypatch)
    state = tmp_path / "sandbox-state.jsonl"
    with billing_env(tmp_path, monkeypatch, tracker, state=str(state)) as env:
        before, invoices = env.entries(), len(env.invoices())
        rule = env.server.faults.add(
            "hold", service="billomat", method="POST", path="/api/invoices"
        )
        kill_when_held(env, rule, "invoice", "--customer", "müller", *OCTOBER, "--yes")

        # Billomat has the draft, the journal only knows the plan as pending, nothing is marked.
        [pending] = env.plans()
        assert pending.state == "pending" and pending.invoice_id is None
        assert [marker_of(d["customfield"]) for d in env.timebill_invoices()] == [
            pending.plan.marker
        ]
        assert env.entries() == before

        # The held entries cannot be billed again meanwhile; the message says what to do.
        blocked = env.run("invoice", "--customer", "müller", *OCTOBER, "--yes")
        assert blocked.code == 3
        assert "timebill resume" in blocked.out
        assert len(env.timebill_invoices()) == 1

        if tracker == "mite":  # once, the whole sandbox goes down too
            restart_sandbox(env, state)
        try:
            resumed = env.run("resume")
            assert resumed.code == 0, resumed.text
            assert "found in Billomat" in resumed.out
            check_recovered(env, before, invoices)
            assert env.run("resume").out.startswith("Nothing to resume")
        finally:
            env.server.stop()


# clockodo marks a plan of this size with one entrygroups change per customer: its kill point
# is the bulk confirm (below).
@pytest.mark.parametrize("tracker", ["mite"])
def test_killed_part_way_through_the_marking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    with billing_env(tmp_path, monkeypatch, tracker) as env:
        before, invoices = env.entries(), len(env.invoices())
        # The 31st entry's change is carried out and its answer held: by then the first chunk
        # of marks is in the journal, the second is part done.
        rule = env.server.faults.add("hold", after=30, **MARK[tracker])
        kill_when_held(env, rule, "invoice", "--customer", "müller", *OCTOBER, "--yes")

        [created] = env.plans()
        assert created.state == "created" and created.invoice_id
        marked_in_tracker = changed(before, env.entries())
        assert 30 < len(marked_in_tracker) < len(created.entry_ids)
        assert marked_in_tracker < set(created.entry_ids)

        resumed = env.run("resume")
        assert resumed.code == 0, resumed.text
        check_recovered(env, before, invoices)


def test_killed_right_after_clockodos_bulk_confirm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "clockodo") as env:
        before, invoices = env.entries(), len(env.invoices())
        # The second entrygroups request is the confirm: carried out, its answer held.
        rule = env.server.faults.add(
            "hold", service="clockodo", method="PUT", path="/api/v2/entrygroups", after=1
        )
        kill_when_held(env, rule, "invoice", "--customer", "müller", *OCTOBER, "--yes")

        # clockodo marked the plan's entries; the journal never heard of it.
        [created] = env.plans()
        assert created.state == "created" and created.marked_ids == ()
        assert changed(before, env.entries()) == set(created.entry_ids)

        resumed = env.run("resume")
        assert resumed.code == 0, resumed.text
        check_recovered(env, before, invoices)


def test_resume_reports_a_draft_that_cannot_be_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan left pending whose entries were billed elsewhere meanwhile is dropped, not billed
    twice, and resume says which entry changed (exit 6)."""
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        rule = env.server.faults.add(
            "status", service="billomat", method="POST", path="/api/invoices", status=400
        )
        failed = env.run("invoice", "--customer", "müller", *OCTOBER, "--yes")
        assert failed.code == 1
        assert "timebill resume" in failed.err
        assert rule.fired == 1
        [pending] = env.plans()
        assert pending.state == "pending"
        # Someone bills one of its entries by hand in mite before the resume.
        one = pending.entry_ids[0]
        with env.server.store.lock:
            record = env.server.store.get("mite", "time_entries", one)
            assert record is not None
            env.server.store.put("mite", "time_entries", {**record, "locked": True})
        env.server.mite.touch()
        before = env.entries()

        resumed = env.run("resume")
        assert resumed.code == 6, resumed.text  # the plan's entries changed
        assert "dropped" in resumed.out
        assert f"entry {one}: billed elsewhere meanwhile" in resumed.out
        assert env.timebill_invoices() == []
        assert env.entries() == before
        [dropped] = env.plans()
        assert dropped.state == "abandoned"
        # The other entries are free again.
        again = env.run("invoice", "--customer", "müller", *OCTOBER, "--dry-run")
        assert again.code == 0, again.text
        assert f"{len(pending.entry_ids) - 1} entries" in again.out


def test_killed_while_adding_lines_to_an_existing_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_takes_the_marker(monkeypatch)
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        before, invoices = env.entries(), len(env.invoices())
        earlier = env.invoice(GRUENWALD_DRAFT)["items"]
        # Lines are added one POST each: the second is carried out, its answer held.
        rule = env.server.faults.add(
            "hold", service="billomat", method="POST", path="/api/invoice-items", after=1
        )
        kill_when_held(
            env,
            rule,
            "invoice",
            "--customer",
            "Grünwald",
            *OCTOBER,
            "--into-draft",
            GRUENWALD_DRAFT,
            "--yes",
        )
        [pending] = env.plans()
        assert pending.state == "pending"
        assert len(env.invoice(GRUENWALD_DRAFT)["items"]) == len(earlier) + 2

        resumed = env.run("resume")
        assert resumed.code == 0, resumed.text
        [record] = env.plans()
        assert record.state == "done" and record.invoice_id == GRUENWALD_DRAFT
        items = env.invoice(GRUENWALD_DRAFT)["items"]
        assert items[: len(earlier)] == earlier
        # Every planned line exactly once, none twice.
        assert sorted(i["customfield"] for i in items[len(earlier) :]) == sorted(
            f"{record.plan.marker}#{n}" for n in range(len(record.plan.lines))
        )
        assert len(env.invoices()) == invoices
        assert changed(before, env.entries()) == set(record.plan.entry_ids)
        assert set(record.plan.entry_ids) <= env.billed()
