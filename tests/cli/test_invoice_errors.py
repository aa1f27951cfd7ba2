"""`timebill invoice` refuses bad input with one clear message and a non-zero exit, and creates
nothing: no invoice in the Billomat emulator, no entry changed in the tracker emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from billing_env import HOEFER, OCTOBER, BillingEnv, Run, billing_env

EXIT_FAILED, EXIT_USAGE, EXIT_NOTHING = 1, 2, 3


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        yield env


def refused(env: BillingEnv, *argv: str) -> Run:
    """Run `timebill invoice ARGV --yes` and check that nothing was created or marked."""
    invoices, entries = env.invoices(), env.entries()
    run = env.run("invoice", *argv, "--yes")
    assert run.code != 0, run.text
    assert env.invoices() == invoices
    assert env.entries() == entries
    assert env.plans() == []
    assert "Traceback" not in run.text
    return run


def test_unknown_customer(env: BillingEnv) -> None:
    run = refused(env, "--customer", "Nordwind Reederei", *OCTOBER)
    assert run.code == EXIT_USAGE
    assert "unknown customer 'Nordwind Reederei'" in run.err
    assert "Known customers: Bäckerei Schäfer KG" in run.err


def test_customer_without_a_billomat_client_gets_a_suggestion(env: BillingEnv) -> None:
    # Billomat spells it "Hoefer Logistik AG": suggested, never taken silently.
    run = refused(env, "--customer", "Höfer", *OCTOBER)
    assert run.code == EXIT_FAILED
    assert "Höfer Logistik AG has no Billomat client yet: pass --client ID" in run.err
    assert f"similar: Hoefer Logistik AG ({HOEFER})" in run.err


def test_customer_without_any_billomat_client(env: BillingEnv) -> None:
    run = refused(env, "--customer", "Brückner", *OCTOBER)
    assert run.code == EXIT_FAILED
    assert "Brückner Maschinenbau GmbH has no Billomat client yet" in run.err
    assert "similar" not in run.err


def test_unknown_billomat_client_id(env: BillingEnv) -> None:
    # A wrong id typed on the command line is bad usage, told in one line.
    run = refused(env, "--customer", "Brückner", *OCTOBER, "--client", "999999")
    assert run.code == EXIT_USAGE
    assert run.err == (
        "timebill: --client 999999: Billomat has no client with this id nor one named like "
        "Brückner Maschinenbau GmbH; check the id in Billomat, or pass --create-client "
        "instead. Nothing created.\n"
    )
    # With clients named like the customer, their ids are at hand.
    near = refused(env, "--customer", "Höfer", *OCTOBER, "--client", "999999")
    assert near.code == EXIT_USAGE
    assert f"clients named like Höfer Logistik AG: Hoefer Logistik AG ({HOEFER})." in near.err


def test_period_without_billable_entries(env: BillingEnv) -> None:
    # 3 and 4 October 2026 are a weekend: nobody worked.
    run = refused(env, "--customer", "müller", "--from", "2026-10-03", "--to", "2026-10-04")
    assert run.code == EXIT_NOTHING
    assert "No billable entries for Müller & Söhne GmbH from 03.10.2026 to 04.10.2026" in run.out


def test_backwards_date_range(env: BillingEnv) -> None:
    run = refused(env, "--customer", "müller", "--from", "2026-10-31", "--to", "2026-10-01")
    assert run.code == EXIT_USAGE
    assert "the period is backwards: --from 2026-10-31 is after --to 2026-10-01" in run.err


def test_unreadable_date(env: BillingEnv) -> None:
    run = refused(env, "--customer", "müller", "--from", "31/10/2026")
    assert run.code == EXIT_USAGE
    assert "use YYYY-MM-DD" in run.err


def test_rate_missing_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """clockodo: an entry of "Projektmanagement" (no Billomat article) without a rate."""
    with billing_env(tmp_path, monkeypatch, "clockodo") as env:
        some = next(
            i for i, e in env.entries().items() if e["customers_id"] and e.get("services_id")
        )
        env.add_entry(dt.date(2026, 10, 14), like=some, service="Projektmanagement", hourly_rate=0)
        customer = env.server.store.get(
            "clockodo", "customers", str(env.entries()[some]["customers_id"])
        )
        assert customer is not None
        run = refused(env, "--customer", customer["name"], *OCTOBER)
        assert run.code == EXIT_FAILED
        assert "No hourly rate for Projektmanagement" in run.err
        assert "assign a Billomat article with a price" in run.err


def test_invalid_rate_and_vat_flags(env: BillingEnv) -> None:
    run = refused(env, "--customer", "müller", *OCTOBER, "--rate", "95,50")
    assert run.code == EXIT_USAGE and "--rate '95,50' is not a number" in run.err
    run = refused(env, "--customer", "müller", *OCTOBER, "--vat", "119")
    assert run.code == EXIT_USAGE and "--vat '119' is out of range" in run.err


def test_article_for_an_unknown_service(env: BillingEnv) -> None:
    run = refused(env, "--customer", "müller", *OCTOBER, "--article", "Tanzen=901")
    assert run.code == EXIT_USAGE
    assert "the tracker has no service 'Tanzen'" in run.err


def test_article_id_unknown_to_billomat(env: BillingEnv) -> None:
    run = refused(env, "--customer", "müller", *OCTOBER, "--article", "Entwicklung=99999")
    assert run.code == EXIT_USAGE
    assert "Billomat has no article with id 99999" in run.err
    with env.journal() as journal:
        assert "99999" not in journal.assignments("mite:nordlicht", "service").values()


def test_month_end_takes_no_single_draft_flags(env: BillingEnv) -> None:
    run = refused(env, "--all-customers", *OCTOBER, "--into-draft", "7563703")
    assert run.code == EXIT_USAGE
    assert "--into-draft names one client's draft: use it with --customer" in run.err
