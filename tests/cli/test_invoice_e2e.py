"""`timebill invoice` end to end against the sandbox over loopback: the draft in the Billomat
emulator holds exactly the planned lines and totals, the tracker emulator has exactly the
planned entries marked, a second run creates nothing, lines go into an existing draft, and
per-client settings are remembered."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from billing_env import (
    ALPENBLICK,
    GRUENWALD,
    GRUENWALD_DRAFT,
    MUELLER,
    OCTOBER,
    BillingEnv,
    billing_env,
    changed,
)
from timebill.core.billing import assign
from timebill.core.billing.markers import read_tag
from timebill.core.billing.transaction import create_invoice
from timebill.core.cli.plan_view import render_plan
from timebill.core.connect import open_billomat, open_source, tracker_account
from timebill.core.invoicing import taxrule
from timebill.core.invoicing.builder import PlanOptions, build_plan
from timebill.core.invoicing.texts import REVERSE_CHARGE_NOTE
from timebill.core.models import InvoicePlan
from timebill.core.sandbox.billomat_invoices import DEFAULT_NOTE
from timebill.core.settings.model import load_settings

MUELLER_NAME = "Müller & Söhne GmbH"


def open_ids(env: BillingEnv, customer: str, *period: str) -> set[str]:
    """What the tracker itself lists as open and billable for the customer (`timebill entries`)."""
    listed = env.run("entries", "--customer", customer, *period, "--format", "json")
    assert listed.code == 0, listed.err
    return {
        e["id"]
        for e in json.loads(listed.out)
        if e["billable"] and not e["billed"] and not e["running"]
    }


def items_of(invoice: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            item["title"],
            Decimal(item["quantity"]),
            item["unit"],
            Decimal(item["unit_price"]),
            Decimal(item["tax_rate"]),
            item["article_id"] or None,
            Decimal(item["total_net"]),
        )
        for item in invoice["items"]
    ]


def lines_of(plan: InvoicePlan) -> list[tuple[Any, ...]]:
    return [
        (
            line.title,
            line.quantity,
            line.unit,
            line.unit_price,
            line.tax_rate,
            line.article_id,
            line.total_net,
        )
        for line in plan.lines
    ]


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_invoice_creates_exactly_the_planned_draft_and_marks_its_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    with billing_env(tmp_path, monkeypatch, tracker) as env:
        wanted = open_ids(env, MUELLER_NAME, *OCTOBER)
        assert len(wanted) > 20
        invoices_before = env.invoices()
        before = env.entries()

        dry = env.run("invoice", "--customer", "müller", *OCTOBER, "--dry-run")
        assert dry.code == 0, dry.err
        assert "Dry run: nothing created." in dry.out
        assert env.invoices() == invoices_before
        assert env.entries() == before
        assert env.plans() == []

        run = env.run("invoice", "--customer", "müller", *OCTOBER, "--yes")
        assert run.code == 0, run.err
        [record] = env.plans("done")
        plan = record.plan
        assert set(plan.entry_ids) == wanted == set(record.marked_ids)

        # The table printed (preview and create alike) is the plan that was created.
        shown = render_plan(plan)
        assert shown in run.out
        assert shown.split("Service period")[1] in dry.out  # same lines, totals, period

        # Billomat: one new draft, exactly the planned lines, totals to the cent.
        new = [i for i in env.invoices() if i["id"] not in {j["id"] for j in invoices_before}]
        assert [i["id"] for i in new] == [record.invoice_id]
        [draft] = new
        assert draft["status"] == "DRAFT"
        assert draft["client_id"] == MUELLER
        # The draft names its plan and the entries it bills (for other installs to see).
        tag = read_tag(draft["customfield"])
        assert tag is not None and tag.marker == plan.marker and tag.complete
        assert tag.entry_ids == set(plan.entry_ids) and tag.account.startswith(f"{tracker}:")
        assert draft["currency_code"] == "EUR"
        assert draft["supply_date"] == "01.10.2026 – 30.10.2026"
        assert items_of(draft) == lines_of(plan)
        assert Decimal(draft["total_net"]) == plan.total_net
        assert Decimal(draft["total_gross"]) == plan.total_gross
        assert f"{plan.total_gross:,.2f} EUR" in run.out
        assert f"Draft {draft['invoice_number']} (id {draft['id']}) created" in run.out
        if tracker == "clockodo":
            assert any(line.unit == "Pauschale" for line in plan.lines)  # the hosting lump sum

        # The tracker: exactly the planned entries marked, nothing else touched.
        after = env.entries()
        assert changed(before, after) == wanted
        assert wanted <= env.billed()

        # Again: nothing to create, and why.
        again = env.run("invoice", "--customer", "müller", *OCTOBER, "--yes")
        assert again.code == 3
        assert "already billed" in again.out
        assert "Nothing created" in again.out
        assert len(env.invoices()) == len(invoices_before) + 1
        assert env.entries() == after


def test_lines_go_into_an_existing_draft_which_keeps_its_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        draft_before = env.invoice(GRUENWALD_DRAFT)
        assert draft_before["status"] == "DRAFT" and draft_before["client_id"] == GRUENWALD
        earlier = draft_before["items"]
        assert len(earlier) == 1
        count = len(env.invoices())
        before = env.entries()

        run = env.run(
            "invoice", "--customer", "Grünwald", *OCTOBER, "--into-draft", GRUENWALD_DRAFT, "--yes"
        )
        assert run.code == 0, run.err
        [record] = env.plans("done")
        plan = record.plan
        assert record.invoice_id == GRUENWALD_DRAFT
        assert f"{len(plan.lines)} lines added to draft" in run.out

        draft = env.invoice(GRUENWALD_DRAFT)
        assert len(env.invoices()) == count
        assert draft["items"][: len(earlier)] == earlier
        added = {**draft, "items": draft["items"][len(earlier) :]}
        assert items_of(added) == lines_of(plan)
        assert [i["customfield"] for i in added["items"]] == [
            f"{plan.marker}#{n}" for n in range(len(plan.lines))
        ]
        assert Decimal(draft["total_net"]) == Decimal(draft_before["total_net"]) + plan.total_net
        assert changed(before, env.entries()) == set(plan.entry_ids)
        assert set(plan.entry_ids) <= env.billed()


def test_lines_are_refused_for_a_draft_of_another_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        invoices, entries = env.invoices(), env.entries()
        run = env.run(
            "invoice", "--customer", "müller", *OCTOBER, "--into-draft", GRUENWALD_DRAFT, "--yes"
        )
        assert run.code == 2  # the id typed names no draft of this client: bad usage
        assert "not a draft of this client" in run.err
        preview = env.run(
            "invoice",
            "--customer",
            "müller",
            *OCTOBER,
            "--into-draft",
            GRUENWALD_DRAFT,
            "--dry-run",
        )
        assert preview.code == 2 and "not a draft of this client" in preview.err
        assert env.invoices() == invoices
        assert env.entries() == entries


async def plan_then_create_with_a_late_entry(env: BillingEnv) -> tuple[InvoicePlan, str, Any]:
    """Build the plan (the preview), add an entry to the tracker, then create the invoice."""
    settings = load_settings()
    account = tracker_account(settings)
    with env.journal() as journal:
        async with open_source(settings) as source, open_billomat(settings) as billomat:
            customer = next(c for c in await source.customers() if c.name == MUELLER_NAME)
            entries = await source.entries(
                dt.date(2026, 10, 1), dt.date(2026, 10, 31), customer_id=customer.id
            )
            resolution = assign.resolve(
                journal,
                account,
                customers={customer.id: customer.name},
                services={e.service_id: e.service_name or "" for e in entries if e.service_id},
                clients=await billomat.clients(),
                articles=await billomat.articles(),
                taxes=await billomat.taxes(),
            )
            plan = build_plan(
                entries,
                resolution.assignments,
                PlanOptions(default_vat=Decimal(19)),
                client_id=MUELLER,
                customer_ids={customer.id},
            ).plan

            # The preview is on screen; meanwhile someone books more time on the customer.
            late = env.add_entry(dt.date(2026, 10, 20), like=plan.entry_ids[0])
            assert late not in plan.entry_ids and late not in env.billed()

            result = await create_invoice(
                plan, source=source, billomat=billomat, journal=journal, account=account
            )
    return plan, late, result


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_an_entry_added_between_preview_and_create_stays_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracker: str
) -> None:
    with billing_env(tmp_path, monkeypatch, tracker) as env:
        before = env.entries()
        plan, late, result = asyncio.run(plan_then_create_with_a_late_entry(env))
        assert result.state == "done"
        assert set(result.marked) == set(plan.entry_ids)
        # Only the planned entries changed (and the late one appeared, open).
        assert changed(before, env.entries()) == {*plan.entry_ids, late}
        assert late not in env.billed()
        assert set(plan.entry_ids) <= env.billed()

        # The late entry is simply open: the next run bills it, and only it.
        run = env.run("invoice", "--customer", MUELLER_NAME, *OCTOBER, "--yes")
        assert run.code == 0, run.err
        [newest] = [r for r in env.plans("done") if r.id != plan.id]
        assert newest.entry_ids == (late,)
        assert late in env.billed()


def test_per_client_settings_are_remembered_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "clockodo") as env:
        first = env.run(
            "invoice",
            "--customer",
            "müller",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-15",
            "--group-by",
            "project",
            "--round",
            "15",
            "--rate",
            "100",
            "--vat",
            "0",
            "--yes",
        )
        assert first.code == 0, first.err
        # The rest of the month, no flags: the client's settings come back from the journal.
        second = env.run(
            "invoice", "--customer", "müller", "--from", "2026-10-16", "--to", "2026-10-31", "--yes"
        )
        assert second.code == 0, second.err
        plans = [record.plan for record in env.plans("done")]
        assert len(plans) == 2
        for plan in plans:
            draft = env.invoice(
                next(r.invoice_id for r in env.plans("done") if r.id == plan.id) or ""
            )
            hourly = [line for line in plan.lines if line.unit == "Stunde"]
            assert hourly
            # grouping by project: the titles name the project(s) of the customer
            assert {line.title for line in hourly} <= {"Webshop-Relaunch", "SEO-Betreuung"}
            for line in hourly:
                assert line.unit_price == Decimal("100.00")
                assert line.quantity % Decimal("0.25") == 0  # whole quarter hours
                assert "15" in line.rounding_note
            assert {line.tax_rate for line in plan.lines} == {Decimal(0)}
            assert plan.tax_note == REVERSE_CHARGE_NOTE["de"]
            # Added to the account's payment terms, which stay.
            assert draft["note"] == f"{DEFAULT_NOTE}\n\n{REVERSE_CHARGE_NOTE['de']}"
            assert items_of(draft) == lines_of(plan)
            assert Decimal(draft["total_gross"]) == Decimal(draft["total_net"])

        with env.journal() as journal:
            stored = journal.client_settings(tracker_account(load_settings()), MUELLER)
        assert stored["grouping"] == "project" and stored["reverse_charge"] is True

        # Flags given now beat the remembered values and are remembered in turn; `--rate none`
        # forgets the override, `--vat 19` ends the reverse charge.
        late = env.add_entry(dt.date(2026, 10, 30), like=plans[0].entry_ids[0])
        third = env.run(
            "invoice", "--customer", "müller", *OCTOBER, "--rate", "none", "--vat", "19", "--yes"
        )
        assert third.code == 0, third.err
        [record] = [r for r in env.plans("done") if r.plan.entry_ids == (late,)]
        [line] = record.plan.lines
        assert line.unit_price != Decimal("100.00") and line.tax_rate == Decimal(19)
        assert not record.plan.tax_note
        assert REVERSE_CHARGE_NOTE["de"] not in env.invoice(record.invoice_id or "")["note"]
        assert line.title in {"Webshop-Relaunch", "SEO-Betreuung"}  # grouping still remembered
        with env.journal() as journal:
            stored = journal.client_settings(tracker_account(load_settings()), MUELLER)
        assert stored["rate_override"] is None and stored["reverse_charge"] is False


def test_currency_comes_from_the_billomat_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        # Brückner has no Billomat client of its own name; bill it to the Swiss client (CHF).
        run = env.run(
            "invoice", "--customer", "Brückner", *OCTOBER, "--client", ALPENBLICK, "--yes"
        )
        assert run.code == 0, run.err
        [record] = env.plans("done")
        assert record.plan.currency == "CHF"
        assert env.invoice(record.invoice_id or "")["currency_code"] == "CHF"
        assert f"{record.plan.total_gross:,.2f} CHF" in run.out
        assert "remembered" in run.out
        # The assignment given with --client is remembered: the next run needs no flag.
        again = env.run("invoice", "--customer", "Brückner", *OCTOBER, "--dry-run")
        assert again.code == 3, again.text


# -- issue 10: the money on real accounts --------------------------------------------------------
SCHAEFER = "812302"  # seeded GROSS (a bakery quoting consumer prices)


def taxes_of(invoice: dict[str, Any]) -> list[tuple[Decimal, Decimal, Decimal]]:
    inner = invoice["taxes"].get("tax", [])
    rows = inner if isinstance(inner, list) else [inner]
    return sorted(
        ((Decimal(t["rate"]), Decimal(t["amount_net"]), Decimal(t["amount"])) for t in rows),
        reverse=True,
    )


@pytest.mark.parametrize(
    ("tracker", "customer", "client", "account_gross", "prices"),
    [
        ("mite", "müller", MUELLER, False, "NET"),
        ("clockodo", "müller", MUELLER, False, "NET"),
        ("mite", "schäfer", SCHAEFER, False, "GROSS"),
        ("clockodo", "schäfer", SCHAEFER, False, "GROSS"),
        # The client says SETTINGS: the account's GROSS applies.
        ("mite", "müller", MUELLER, True, "GROSS"),
    ],
)
def test_preview_totals_equal_the_drafts_for_net_and_gross_prices(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tracker: str,
    customer: str,
    client: str,
    account_gross: bool,
    prices: str,
) -> None:
    with billing_env(tmp_path, monkeypatch, tracker) as env:
        if account_gross:
            with env.server.store.lock:
                settings = env.server.store.get("billomat", "settings", "account")
                env.server.store.put("billomat", "settings", {**settings, "net_gross": "GROSS"})
        run = env.run("invoice", "--customer", customer, *OCTOBER, "--round", "15", "--yes")
        assert run.code == 0, run.err
        [record] = env.plans("done")
        plan = record.plan
        draft = env.invoice(record.invoice_id or "")
        assert plan.net_gross == draft["net_gross"] == prices
        # What the preview said is what Billomat computed, to the cent.
        assert (Decimal(draft["total_net"]), Decimal(draft["total_gross"])) == (
            plan.total_net,
            plan.total_gross,
        )
        assert taxes_of(draft) == sorted(
            ((t.rate, t.net, t.amount) for t in plan.taxes), reverse=True
        )
        assert f"{plan.total_gross:,.2f} EUR" in run.out
        for item, line in zip(draft["items"], plan.lines, strict=True):
            factor = 1 + line.tax_rate / 100 if prices == "GROSS" else 1
            # A gross unit price includes the tax: the rate per hour stays the agreed net.
            assert Decimal(item["unit_price"]) == line.unit_price * factor
            assert Decimal(item["total_net"]) == line.total_net
        if prices == "GROSS":
            assert "prices gross (sent with VAT included)" in run.out
        # Billed net at the agreed rates: the gross client pays the same net as a net client.
        assert abs(plan.total_net - sum(line.quantity * line.unit_price for line in plan.lines)) < (
            Decimal("0.01") * len(plan.lines)
        )
        # Rounding to quarter hours changed the total: the CLI says by how much.
        assert plan.exact_net is not None and plan.total_net > plan.exact_net
        difference = plan.total_net - plan.exact_net
        assert f"Rounding: +{difference:,.2f} EUR net against the tracker's exact minutes" in (
            run.out
        )


def test_a_swiss_client_is_not_taxed_and_the_note_joins_the_payment_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10.2: the Swiss CHF client got "MwSt 19 %"; `--vat 0` wrote the EU reverse-charge
    note over the payment terms. Now its rule (COUNTRY, CH) gives 0 % and the "not taxable in
    Germany" note, added after the account's note; --vat 0 keeps that rule."""
    outside = taxrule.NOTES["de"]["outside_eu"]
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        run = env.run(
            "invoice", "--customer", "Brückner", *OCTOBER, "--client", ALPENBLICK, "--vat", "0",
            "--yes",
        )  # fmt: skip
        assert run.code == 0, run.err
        [record] = env.plans("done")
        plan = record.plan
        assert (plan.tax_treatment, plan.currency) == ("outside_eu", "CHF")
        assert "VAT: not taxable in Germany, 0 % (client in CH, outside the EU)" in run.out
        assert f"{plan.total_gross:,.2f} CHF" in run.out
        draft = env.invoice(record.invoice_id or "")
        assert {Decimal(item["tax_rate"]) for item in draft["items"]} == {Decimal(0)}
        assert draft["note"] == f"{DEFAULT_NOTE}\n\n{outside}"
        assert REVERSE_CHARGE_NOTE["de"] not in draft["note"]
        assert Decimal(draft["total_gross"]) == Decimal(draft["total_net"]) == plan.total_net

        # The per-client override: this client billed with domestic VAT after all.
        late = env.add_entry(dt.date(2026, 10, 30), like=plan.entry_ids[0])
        again = env.run(
            "invoice", "--customer", "Brückner", *OCTOBER, "--tax-rule", "domestic", "--vat",
            "19", "--yes",
        )  # fmt: skip
        assert again.code == 0, again.err
        [second] = [r for r in env.plans("done") if r.plan.entry_ids == (late,)]
        assert second.plan.tax_treatment == "domestic"
        assert {line.tax_rate for line in second.plan.lines} == {Decimal(19)}
        assert "VAT: domestic VAT (set for this client)" in again.out
        assert env.invoice(second.invoice_id or "")["note"] == DEFAULT_NOTE


def test_appending_widens_the_service_period_and_shows_the_new_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10.4 and 10.5: lines of the second half of October go into the draft of the first
    half; the draft's period covers both and the CLI shows its new total. Dates typed with
    two-digit years mean 20YY, and the resolved period is printed."""
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        first = env.run("invoice", "--customer", "müller", "--from", "01.10.26", "--to",
                        "15.10.26", "--yes")  # fmt: skip
        assert first.code == 0, first.err
        assert "Period: 01.10.2026 – 15.10.2026" in first.out
        [record] = env.plans("done")
        draft_id = record.invoice_id or ""
        before = env.invoice(draft_id)
        assert before["supply_date"] == (
            f"{record.plan.service_start:%d.%m.%Y} – {record.plan.service_end:%d.%m.%Y}"
        )

        second = env.run("invoice", "--customer", "müller", "--from", "16.10.26", "--to",
                         "31.10.26", "--into-draft", draft_id, "--yes")  # fmt: skip
        assert second.code == 0, second.err
        assert "Period: 16.10.2026 – 31.10.2026" in second.out
        [added] = [r for r in env.plans("done") if r.id != record.id]
        after = env.invoice(draft_id)
        start, end = record.plan.service_start, added.plan.service_end
        assert after["supply_date"] == f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"
        assert after["supply_date_type"] == "SUPPLY_TEXT"
        net, gross = Decimal(after["total_net"]), Decimal(after["total_gross"])
        assert net == Decimal(before["total_net"]) + added.plan.total_net
        # Shown before (the preview) and after (done), the same as Billomat's.
        shown_before = f"net {Decimal(before['total_net']):,.2f} EUR now, {net:,.2f} EUR with"
        assert shown_before in second.out and f"(gross {gross:,.2f} EUR)" in second.out
        assert f"now: net {net:,.2f} EUR, gross {gross:,.2f} EUR" in second.out


def test_two_digit_years_and_bad_years(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        listed = env.run("entries", "--from", "01.10.26", "--to", "31.10.26")
        assert listed.code == 0 and listed.out.startswith("Period: 01.10.2026 – 31.10.2026\n")
        bad = env.run("invoice", "--customer", "müller", "--from", "01.10.026", "--dry-run")
        assert bad.code != 0 and "01.10.026" in bad.err and "DD.MM.YY" in bad.err


def test_implausible_entries_are_refused_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        model = next(iter(sorted(open_ids(env, "müller", *OCTOBER))))
        long = env.add_entry(dt.date(2026, 10, 31), like=model, minutes=25 * 60)
        refused = env.run("invoice", "--customer", "müller", *OCTOBER, "--yes")
        assert refused.code == 1
        assert f"implausible: entry {long} on 31.10.2026" in refused.text
        assert "25:00 h in one entry" in refused.text
        assert "--allow-implausible" in refused.err and "Nothing created" in refused.err
        assert env.timebill_invoices() == [] and long not in env.billed()

        allowed = env.run(
            "invoice", "--customer", "müller", *OCTOBER, "--allow-implausible", "--yes"
        )
        assert allowed.code == 0, allowed.err
        assert long in env.billed()
