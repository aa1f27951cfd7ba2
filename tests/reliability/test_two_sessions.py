"""Two timebill sessions at once (two SSH logins) on the same journal and accounts: they can never
bill the same entries. Both run as real processes against the in-process sandbox; a request of
the first is held so that the second starts while the first is mid-flight, with no sleeps.

- The second `timebill invoice` sees the entries in progress and says another session is at it.
- `timebill resume` in the second session leaves alone the plan the first is creating, even
  when the first's draft request has not reached Billomat yet (the dangerous case: resume would
  find no draft and create one, then the first session's draft would land as a second).
- Two sessions that planned the same entries at the same moment: only one may begin.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from billing_env import OCTOBER, ROOT, BillingEnv, billing_env, changed
from reliability_support import SUMMARY, WAIT, Gate, Traffic
from timebill.core.billing.markers import marker_of

MUELLER_OCTOBER = ("invoice", "--customer", "müller", *OCTOBER)


@pytest.fixture
def mite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        yield env


def finish(proc: subprocess.Popen[bytes], stdin: bytes | None = None) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(stdin, timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT)
    return proc.returncode, out.decode(), err.decode()


def one_draft_for(env: BillingEnv, before: dict[str, dict[str, object]]) -> None:
    """The end state: one plan, done; one draft with its marker; exactly its entries billed."""
    [record] = env.plans()
    assert record.state == "done"
    assert [marker_of(d["customfield"]) for d in env.timebill_invoices()] == [record.plan.marker]
    assert changed(before, env.entries()) == set(record.plan.entry_ids)
    assert set(record.plan.entry_ids) <= env.billed()


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_the_second_session_sees_the_entries_in_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    with billing_env(tmp_path, monkeypatch, tracker) as env:
        before = env.entries()
        drafts = len(env.invoices())
        rule = env.server.faults.add(
            "hold", service="billomat", method="POST", path="/api/invoices"
        )
        first = env.spawn(*MUELLER_OCTOBER, "--yes")
        try:
            assert rule.arrived.wait(WAIT), "the first session's draft request never arrived"
            [pending] = env.plans()
            n = len(pending.entry_ids)

            code, out, err = finish(env.spawn(*MUELLER_OCTOBER, "--yes"))
            assert code == 3, out + err
            assert f"({n} belongs to an invoice that is not finished yet)" in out
            assert (
                "Nothing created. Another timebill session is billing "
                f"{n} of these entries right now; if it does not finish, `timebill resume` does."
            ) in out

            # Resume (here in the test's process, a third session) leaves the plan to the first.
            resumed = env.run("resume")
            assert resumed.code == 4, resumed.text
            assert (
                f"Plan {pending.id[:8]}: still unfinished. Another timebill session is creating "
                "this invoice right now; nothing was done here."
            ) in resumed.err
            assert env.entries() == before
            # The held one, carried out; its marker follows with the customfield PUT.
            assert len(env.invoices()) == drafts + 1
        finally:
            rule.release.set()
        code, out, err = finish(first)
        assert code == 0, out + err
        assert f"{n} {'entry' if n == 1 else 'entries'} marked billed" in out
        one_draft_for(env, before)
        SUMMARY["two sessions"]["races run, no entry billed twice"] += 1


def test_resume_leaves_alone_a_draft_that_has_not_reached_billomat_yet(mite: BillingEnv) -> None:
    """The first session's draft request is held before Billomat carries it out: a resume that
    looked for the draft now would find none, create it, and the first draft would follow."""
    env = mite
    before = env.entries()
    traffic = Traffic(env.server)
    gate = Gate("billomat", "POST", "/api/invoices")
    traffic.gates.append(gate)
    first = env.spawn(*MUELLER_OCTOBER, "--yes")
    try:
        assert gate.arrived.wait(WAIT), "the first session's draft request never arrived"
        assert env.timebill_invoices() == []
        resumed = env.run("resume")
        assert resumed.code == 4, resumed.text
        assert "Another timebill session is creating this invoice right now" in resumed.err
        assert env.timebill_invoices() == []
        assert env.entries() == before
    finally:
        gate.release.set()
    code, out, err = finish(first)
    assert code == 0, out + err
    one_draft_for(env, before)
    assert env.run("resume").out.startswith("Nothing to resume")
    SUMMARY["two sessions"]["races run, no entry billed twice"] += 1


def test_two_sessions_that_planned_the_same_entries_cannot_both_begin(mite: BillingEnv) -> None:
    """The second session shows its preview and waits at the prompt (a terminal, no --yes);
    meanwhile the first plans the same entries and starts creating the draft. When the second
    confirms, the journal refuses it: nothing created, nothing marked twice."""
    env = mite
    before = env.entries()
    drafts = len(env.invoices())
    rule = env.server.faults.add("hold", service="billomat", method="POST", path="/api/invoices")
    main_fd, terminal = os.openpty()
    second = subprocess.Popen(
        [sys.executable, "-m", "timebill.tui.main", *MUELLER_OCTOBER],
        cwd=ROOT,
        env=env.environ(),
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(terminal)
    first = None
    try:
        assert _wait_for(second, b"[y/N]"), "the second session never asked"
        first = env.spawn(*MUELLER_OCTOBER, "--yes")
        assert rule.arrived.wait(WAIT), "the first session's draft request never arrived"
        os.write(main_fd, b"y\n")
        code, out, err = finish(second)
        assert code == 1, out + err
        [pending] = env.plans()
        n = len(pending.entry_ids)
        assert (
            f"timebill: {n} of these entries are already on another invoice or being billed "
            "(an unfinished invoice or another timebill session): reload the entries, or run "
            "`timebill resume` to finish unfinished invoices."
        ) in err
        assert len(env.invoices()) == drafts + 1  # the first session's, held
    finally:
        rule.release.set()
        os.close(main_fd)
        if second.poll() is None:
            second.send_signal(signal.SIGKILL)
            second.wait(WAIT)
    assert first is not None
    code, out, err = finish(first)
    assert code == 0, out + err
    one_draft_for(env, before)
    SUMMARY["two sessions"]["races run, no entry billed twice"] += 1


def _wait_for(proc: subprocess.Popen[bytes], text: bytes) -> bool:
    """Read the process's stdout until `text` shows (it stays in the pipe's buffer for us)."""
    seen = threading.Event()
    buffer = bytearray()

    def read() -> None:
        assert proc.stdout is not None
        while chunk := os.read(proc.stdout.fileno(), 4096):
            buffer.extend(chunk)
            if text in buffer:
                seen.set()
                return

    threading.Thread(target=read, daemon=True).start()
    return seen.wait(WAIT)
