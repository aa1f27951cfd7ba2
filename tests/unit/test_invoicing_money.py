"""Issue 10, the builder's side: the client's tax rule, GROSS prices, what rounding changed,
implausible entries and typed dates (the end-to-end checks are in test_invoice_e2e.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from invoice_data import ASSIGN, entry
from timebill.core.billomat import wire
from timebill.core.invoicing import taxrule
from timebill.core.invoicing.builder import PlanOptions, build_plan, edit_line
from timebill.core.invoicing.texts import REVERSE_CHARGE_NOTE
from timebill.core.models import BillomatClient, InvoicePlan
from timebill.core.money import amount_totals, gross_unit_price, hours
from timebill.core.periods import PeriodError, parse_date, resolve

D = Decimal


def plan_with(client: BillomatClient, entries: Any = None, **options: Any) -> InvoicePlan:
    assign = ASSIGN.model_copy(update={"billomat_clients": (client,)})
    entries = entries or [entry(1, 1, 60), entry(2, 2, 90, service="s3")]
    return build_plan(entries, assign, PlanOptions(**options), client_id="c1").plan


def client(**fields: Any) -> BillomatClient:
    return BillomatClient(id="c1", name="Kunde", **fields)


# -- the client's tax rule -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "treatment", "rates", "note", "why"),
    [
        ({}, "domestic", {D(19), D(7)}, "", "client in DE"),
        ({"country_code": "DE", "vat_number": "DE1"}, "domestic", {D(19), D(7)}, "", "in DE"),
        (
            {"country_code": "AT", "vat_number": "ATU12345678"},
            "reverse_charge",
            {D(0)},
            REVERSE_CHARGE_NOTE["de"],
            "EU business in AT with VAT id ATU12345678",
        ),
        # An EU consumer (no VAT id) pays German VAT.
        ({"country_code": "FR"}, "domestic", {D(19), D(7)}, "", "client in FR (EU) without"),
        (
            {"country_code": "CH", "currency_code": "CHF"},
            "outside_eu",
            {D(0)},
            taxrule.NOTES["de"]["outside_eu"],
            "client in CH, outside the EU",
        ),
        ({"country_code": "US", "tax_rule": "TAX"}, "domestic", {D(19), D(7)}, "", "is TAX"),
        ({"tax_rule": "NO_TAX"}, "no_tax", {D(0)}, "", "tax rule is NO_TAX"),
    ],
)
def test_the_clients_tax_rule_decides_the_vat_and_the_note(
    fields: dict[str, Any], treatment: str, rates: set[Decimal], note: str, why: str
) -> None:
    plan = plan_with(client(**fields))
    assert plan.tax_treatment == treatment
    assert {line.tax_rate for line in plan.lines} == rates
    assert plan.tax_note == note
    assert plan.note == ""  # the note is added to the draft's texts, not put in their place
    said = taxrule.describe(
        plan.tax_treatment, plan.tax_reason, plan.tax_country, "en", plan.tax_vat_id
    )
    assert why in said


def test_notes_follow_the_invoice_language_and_join_the_users_note() -> None:
    swiss = client(country_code="CH")
    english = plan_with(swiss, language="en", note="Thank you!")
    assert english.tax_note.startswith("Not taxable in Germany")
    body = wire.plan_body(english)["invoice"]
    assert body["note"] == f"Thank you!\n\n{english.tax_note}"
    # Without a note of the user's, the account's default (payment terms) stays: no note sent.
    assert "note" not in wire.plan_body(plan_with(swiss))["invoice"]


def test_the_override_per_client_beats_the_rule() -> None:
    swiss = client(country_code="CH")
    domestic = plan_with(swiss, tax_rule="domestic")
    assert (domestic.tax_treatment, domestic.tax_reason, domestic.tax_note) == (
        "domestic",
        "override",
        "",
    )
    assert {line.tax_rate for line in domestic.lines} == {D(19), D(7)}
    # --vat 0 (reverse_charge) keeps a 0 % rule and its note; a domestic client gets the §13b note.
    assert plan_with(swiss, reverse_charge=True).tax_treatment == "outside_eu"
    german = plan_with(client(), reverse_charge=True)
    assert (german.tax_treatment, german.tax_note) == ("reverse_charge", REVERSE_CHARGE_NOTE["de"])


def test_with_note_adds_once_and_keeps_the_payment_terms() -> None:
    terms = "Zahlbar bis [Invoice.due_date]."
    assert wire.with_note(terms, "Reverse Charge") == f"{terms}\n\nReverse Charge"
    assert wire.with_note(f"{terms}\n\nReverse Charge", "Reverse Charge").count("Reverse") == 1
    assert wire.with_note("", "Reverse Charge") == "Reverse Charge"
    assert wire.with_note(terms, "") == terms


# -- net or gross --------------------------------------------------------------------------------
def test_a_gross_client_gets_gross_unit_prices_and_the_same_net() -> None:
    entries = [entry(1, 1, 20), entry(2, 2, 35, service="s2"), entry(3, 3, 50, service="s3")]
    net = plan_with(client(), entries)
    gross = plan_with(client(net_gross="GROSS"), entries)
    assert (net.net_gross, gross.net_gross) == ("NET", "GROSS")
    # The agreed rate is net; on a GROSS invoice the unit price sent includes the VAT.
    body = wire.plan_body(gross)["invoice"]
    assert body["net_gross"] == "GROSS" and wire.plan_body(net)["invoice"]["net_gross"] == "NET"
    sent = [D(item["unit_price"]) for item in body["invoice-items"]["invoice-item"]]
    assert sent == [D("113.05"), D("130.9"), D("64.2")]
    assert [line.unit_price for line in gross.lines] == [D("95.00"), D("110.00"), D("60.00")]
    # The net differs from the NET invoice's by the cent rounding of the gross only.
    assert abs(gross.total_net - net.total_net) <= D("0.02")
    for tax in gross.taxes:
        line_gross = sum(
            (
                (line.quantity * gross_unit_price(line.unit_price, line.tax_rate)).quantize(
                    D("0.01")
                )
                for line in gross.lines
                if line.tax_rate == tax.rate
            ),
            D(0),
        )
        assert tax.net + tax.amount == line_gross
    assert gross.total_gross == gross.total_net + sum(t.amount for t in gross.taxes)


def test_an_edited_line_on_a_gross_plan_stays_gross() -> None:
    plan = plan_with(client(net_gross="GROSS"))
    edited = edit_line(plan, 0, quantity="2")
    assert edited.lines[0].total_net == D("190.00")  # 2 × 113.05 = 226.10 gross, / 1.19
    assert (
        edited.total_gross
        == amount_totals([("MwSt", D(19), D("226.10")), ("MwSt", D(7), D("96.30"))], "GROSS").gross
    )
    assert edited.exact_net is None  # the user's quantity: nothing to compare rounding with


# -- rounding against the tracker's value --------------------------------------------------------
def test_hours_are_exact_where_they_can_be() -> None:
    assert [hours(m) for m in (60, 90, 45, 3, 20, 7, 1)] == [
        D("1.00"),
        D("1.50"),
        D("0.75"),
        D("0.05"),
        D("0.333333"),
        D("0.116667"),
        D("0.016667"),
    ]


def test_the_plan_knows_what_rounding_changed() -> None:
    entries = [entry(i, 1 + i % 5, 7 + i) for i in range(1, 9)]
    exact = plan_with(client(), entries, grouping="entry")
    rounded = plan_with(client(), entries, grouping="entry", round_to=15)
    # 92 minutes at 95 an hour are 145.666…; eight entries rounded up to 15 min are 2 h.
    assert exact.exact_net == rounded.exact_net == D("145.67")
    assert abs(exact.total_net - D("145.67")) <= D("0.01") * len(exact.lines)
    assert rounded.total_net == D("190.00")


# -- implausible entries -------------------------------------------------------------------------
def test_implausible_entries_are_listed_not_dropped() -> None:
    entries = [
        entry(1, 1, 25 * 60),
        entry(2, 2, 13 * 60),
        entry(3, 2, 12 * 60, service="s3"),
        entry(4, 3, 60, service="s9", hourly_rate=D("-80")),
        entry(5, 4, 8 * 60),
    ]
    plan = plan_with(client(), entries)
    assert set(plan.entry_ids) == {"1", "2", "3", "4", "5"}
    assert [(item.kind, item.entry_ids) for item in plan.implausible] == [
        ("long_entry", ("1",)),
        ("long_day", ("2", "3")),
        ("negative_rate", ("4",)),
    ]
    assert not plan_with(client(), [entry(1, 1, 24 * 60)]).implausible


# -- typed dates ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("01.11.26", dt.date(2026, 11, 1)),
        ("1.11.26", dt.date(2026, 11, 1)),
        ("01.11.2026", dt.date(2026, 11, 1)),
        ("2026-11-01", dt.date(2026, 11, 1)),
        (" 31.12.99 ", dt.date(2099, 12, 31)),
    ],
)
def test_two_digit_years_mean_this_century(typed: str, day: dt.date) -> None:
    assert parse_date(typed) == day


@pytest.mark.parametrize("typed", ["01.11.026", "01.11.6", "26-11-01", "01.11.", "1.1.2026x"])
def test_other_years_are_refused_with_a_clear_line(typed: str) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_date(typed, "--from")
    assert typed in str(refused.value) and "DD.MM.YY" in str(refused.value)


def test_the_period_resolves_with_two_digit_years() -> None:
    assert resolve("01.11.26", "30.11.26") == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
