"""Every exit code the README documents, each in exactly its situation, with `timebill` run as a
user runs it (in-process `main`, or a subprocess where a terminal or a signal matters).

A test for code N is named `test_exit_N_...`; the last test checks that the README lists exactly
the codes of timebill.core.cli.exit_codes and that each has such a test here."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from billing_env import OCTOBER, ROOT, BillingEnv, billing_env
from timebill.core.billomat.client import Billomat
from timebill.core.cli.exit_codes import EXIT_CODES

WAIT = 60  # seconds: generous for a busy machine; the test fails rather than hangs


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        yield env


def without_terminal(env: BillingEnv, *argv: str) -> subprocess.CompletedProcess[str]:
    """`timebill ARGV` from cron: stdin is not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "timebill.tui.main", *argv],
        cwd=ROOT,
        env=env.environ(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )


def delete_draft(env: BillingEnv, invoice_id: str) -> None:
    """The user deletes a draft in Billomat (through its API)."""
    creds = env.server.credentials()["billomat"]

    async def delete() -> None:
        async with Billomat(
            creds["billomat_id"], creds["api_key"], base_url=creds["base_url"]
        ) as billomat:
            await billomat.delete_invoice(invoice_id)

    asyncio.run(delete())


def test_exit_0_done_and_a_sync_with_nothing_to_release(env: BillingEnv) -> None:
    run = env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes")
    assert run.code == 0, run.text
    assert "entries marked billed" in run.out
    # Nothing deleted in Billomat: sync has nothing to ask, even without a terminal.
    synced = without_terminal(env, "sync")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("In sync")


def test_exit_1_a_service_failed(env: BillingEnv) -> None:
    env.server.faults.add(
        "status", service="billomat", method="POST", path="/api/invoices", status=400
    )
    run = env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes")
    assert run.code == 1, run.text
    assert env.timebill_invoices() == []


def test_exit_2_bad_usage(env: BillingEnv) -> None:
    unknown = env.run("invoice", "--customer", "Nordwind Reederei", *OCTOBER, "--yes")
    assert unknown.code == 2 and "unknown customer 'Nordwind Reederei'" in unknown.err
    listed = env.run("entries", *OCTOBER, "--customer", "Nordwind Reederei")
    assert listed.code == 2 and "unknown customer" in listed.err
    bad_date = env.run("invoice", "--customer", "Weiß", "--from", "31.02.2026", "--yes")
    assert bad_date.code == 2 and "is not a valid date" in bad_date.err
    article = env.run("invoice", "--customer", "Weiß", *OCTOBER, "--article", "901", "--yes")
    assert article.code == 2 and "expected SERVICE=ARTICLE_ID" in article.err
    # Ids typed that name nothing (more in test_unknown_ids.py).
    client = env.run("invoice", "--customer", "Weiß", *OCTOBER, "--client", "999999", "--yes")
    assert client.code == 2 and "Billomat has no client with this id" in client.err
    plan = env.run("abandon", "deadbeef", "--keep-draft", "--yes")
    assert plan.code == 2 and "No plan 'deadbeef'" in plan.err
    month_end = env.run("invoice", "--all-customers", *OCTOBER, "--client", "812301")
    assert month_end.code == 2 and "use it with --customer" in month_end.err
    # argparse's own refusals (an unknown choice) are bad usage too.
    choice = without_terminal(env, "invoice", "--customer", "Weiß", "--round", "7")
    assert choice.returncode == 2 and "invalid choice" in choice.stderr
    assert env.timebill_invoices() == [] and env.plans() == []


def test_a_mistyped_flag_is_bad_usage_before_the_config_is_read(env: BillingEnv) -> None:
    env.config.write_text("[mite\n", encoding="utf-8")  # a config that would fail (exit 1)
    for flag, value, says in (
        ("--line-title", "{kunde}", "{kunde}"),
        ("--rate", "abc", "--rate"),
        ("--vat", "150", "--vat"),
    ):
        run = env.run("invoice", "--customer", "Weiß", *OCTOBER, flag, value, "--yes")
        assert run.code == 2, run.err
        [line] = run.err.strip().splitlines()
        assert says in line and "not valid TOML" not in line


def test_exit_3_nothing_to_bill(env: BillingEnv) -> None:
    assert env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes").code == 0
    again = env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes")
    assert again.code == 3, again.text
    assert "No billable entries for" in again.out
    # The month-end run over a month nobody worked has nothing at all: 3 as well.
    empty = env.run("invoice", "--all-customers", "--from", "2020-01-01", "--to", "2020-01-31")
    assert empty.code == 3, empty.text
    assert "Nothing to bill from 01.01.2020 to 31.01.2020." in empty.out


def test_exit_4_a_draft_created_but_entries_not_marked(env: BillingEnv) -> None:
    # The key is refused after the first entry was marked: the draft stays, the rest waits.
    env.server.faults.add(
        "status", service="mite", method="PATCH", path="/time_entries/", after=1, status=401
    )
    run = env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes")
    assert run.code == 4, run.text
    [record] = env.plans("created")
    assert [d["id"] for d in env.timebill_invoices()] == [record.invoice_id]
    assert env.run("resume").code == 0


def test_exit_5_not_confirmed_without_a_terminal(env: BillingEnv) -> None:
    before = env.entries()
    asked = without_terminal(env, "invoice", "--customer", "Weiß", *OCTOBER)
    assert asked.returncode == 5, asked.stderr
    assert "no terminal to ask: pass --yes" in asked.stderr
    assert "Not confirmed: nothing created." in asked.stdout
    assert env.timebill_invoices() == [] and env.entries() == before
    # The month-end run from cron without --yes: nothing created; 5 before the skipped (7).
    month_end = without_terminal(env, "invoice", "--all-customers", *OCTOBER)
    assert month_end.returncode == 5, month_end.stderr
    assert month_end.stdout.strip().splitlines()[-1].startswith("Created 0 of ")
    assert env.timebill_invoices() == [] and env.entries() == before

    # A draft proven deleted in Billomat: without a terminal sync releases nothing and says so.
    assert env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes").code == 0
    [record] = env.plans("done")
    delete_draft(env, record.invoice_id or "")
    marked = env.entries()
    synced = without_terminal(env, "sync")
    assert synced.returncode == 5, synced.stdout + synced.stderr
    assert "kept as billed" in synced.stdout and "pass --yes" in synced.stderr
    assert env.entries() == marked
    assert [r.id for r in env.plans("done")] == [record.id]


def test_exit_6_the_planned_entries_changed(env: BillingEnv) -> None:
    env.server.faults.add(
        "status", service="billomat", method="POST", path="/api/invoices", status=400
    )
    assert env.run("invoice", "--customer", "Weiß", *OCTOBER, "--yes").code == 1
    [pending] = env.plans("pending")
    one = pending.entry_ids[0]
    with env.server.store.lock:  # billed by hand in mite before the resume
        record = env.server.store.get("mite", "time_entries", one)
        assert record is not None
        env.server.store.put("mite", "time_entries", {**record, "locked": True})
    env.server.mite.touch()
    resumed = env.run("resume")
    assert resumed.code == 6, resumed.text
    assert f"entry {one}: billed elsewhere meanwhile" in resumed.out
    assert env.timebill_invoices() == []


def test_exit_7_month_end_finished_but_skipped_customers(env: BillingEnv) -> None:
    # Höfer (Billomat spells it "Hoefer") and Brückner have no Billomat client.
    run = env.run("invoice", "--all-customers", *OCTOBER, "--yes")
    assert run.code == 7, run.text
    created = len(env.plans("done"))
    assert created >= 4 and len(env.timebill_invoices()) == created
    last = run.out.strip().splitlines()[-1]
    assert last == (
        f"Created {created} of {created} drafts; skipped 2 customers: "
        "Brückner Maschinenbau GmbH, Höfer Logistik AG."
    )
    # Nothing left but the skipped customers: still 7, never "nothing to bill" (3).
    rerun = env.run("invoice", "--all-customers", *OCTOBER, "--yes")
    assert rerun.code == 7, rerun.text
    assert "; skipped 2 customers: Brückner Maschinenbau GmbH, Höfer Logistik AG." in rerun.out


def test_exit_130_interrupted(env: BillingEnv) -> None:
    rule = env.server.faults.add("hold", service="mite", method="GET", path="/time_entries")
    proc = env.spawn("entries", *OCTOBER)
    try:
        assert rule.arrived.wait(WAIT), "the held request never arrived"
        proc.send_signal(signal.SIGINT)  # Ctrl+C
        _, err = proc.communicate(timeout=WAIT)
    finally:
        rule.release.set()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "timebill: interrupted" in err.decode() and "Traceback" not in err.decode()


def readme_codes() -> set[int]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    sentence = re.search(r"Exit codes: (.*?\b130 interrupted)", text, re.S)
    assert sentence, "the README has no exit-code sentence"
    return {int(code) for code in re.findall(r"(?:^|[,;:] ?|\n)(\d+) [a-z]", sentence.group(1))}


def test_the_readme_lists_exactly_the_codes_and_each_has_a_test_here() -> None:
    assert readme_codes() == set(EXIT_CODES)
    tested = {
        int(m) for m in re.findall(r"^def test_exit_(\d+)_", Path(__file__).read_text(), re.M)
    }
    assert tested == set(EXIT_CODES)
