"""The invoice builder, case by case: what a user checks on the preview before creating a draft."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from invoice_data import (
    ASSIGN,
    MUELLER,
    SCHAEFER,
    D,
    entry,
    lumpsum,
)
from timebill.core.invoicing.builder import (
    NothingToBillError,
    PlanError,
    PlanOptions,
    RateMissingError,
    build_plan,
    edit_line,
    open_entries,
    plans_by_client,
)
from timebill.core.models import Article, InvoicePlan, TimeEntry
from timebill.core.money import cents, line_net, plain, tax_totals, totals


def plan_for(entries: list[TimeEntry], client: str = "c1", **options: Any) -> InvoicePlan:
    return build_plan(entries, ASSIGN, PlanOptions(**options), client_id=client).plan


def titles(plan: InvoicePlan) -> list[str]:
    return [line.title for line in plan.lines]


# -- grouping ------------------------------------------------------------------------------

MIXED = [
    entry(1, 2, 60, service="s2", project="p2", user="u2", note="API"),
    entry(2, 1, 30, service="s1", project="p1", user="u1", note="Workshop"),
    entry(3, 1, 45, service="s2", project="p1", user="u2", note="Checkout"),
    entry(4, 2, 15, service="s1", project="p2", user="u1", note="Telefonat"),
]


def test_one_line_per_entry_in_date_order() -> None:
    plan = plan_for(MIXED, grouping="entry")
    assert [line.entry_ids for line in plan.lines] == [("2",), ("3",), ("1",), ("4",)]
    assert titles(plan) == [
        "Beratung am 01.10.2026",
        "Entwicklung am 01.10.2026",
        "Entwicklung am 02.10.2026",
        "Beratung am 02.10.2026",
    ]


def test_per_day_splits_a_day_by_article() -> None:
    plan = plan_for(MIXED, grouping="day")
    assert [(line.title, line.article_id, line.entry_ids) for line in plan.lines] == [
        ("Leistungen am 01.10.2026", "a1", ("2",)),
        ("Leistungen am 01.10.2026", "a2", ("3",)),
        ("Leistungen am 02.10.2026", "a1", ("4",)),
        ("Leistungen am 02.10.2026", "a2", ("1",)),
    ]


def test_per_service_per_project_per_user() -> None:
    by_service = plan_for(MIXED, grouping="service")
    assert [(line.title, line.quantity) for line in by_service.lines] == [
        ("Beratung", D("0.75")),
        ("Entwicklung", D("1.75")),
    ]
    by_project = plan_for(MIXED, grouping="project")
    assert [(line.title, line.entry_ids) for line in by_project.lines] == [
        ("SEO-Betreuung", ("4",)),
        ("SEO-Betreuung", ("1",)),
        ("Webshop-Relaunch", ("2",)),
        ("Webshop-Relaunch", ("3",)),
    ]
    by_both = plan_for(MIXED, grouping="project_service")
    assert titles(by_both) == [
        "SEO-Betreuung – Beratung",
        "SEO-Betreuung – Entwicklung",
        "Webshop-Relaunch – Beratung",
        "Webshop-Relaunch – Entwicklung",
    ]
    by_user = plan_for(MIXED, grouping="user")
    assert titles(by_user) == ["Beratung (Anna Schmidt)", "Entwicklung (Jonas Weber)"]


def test_articles_by_project() -> None:
    assign = ASSIGN.model_copy(
        update={"articles": {"p1": "a2", "p2": "a1"}, "article_by": "project"}
    )
    plan = build_plan(MIXED, assign, PlanOptions(grouping="project"), client_id="c1").plan
    web = next(line for line in plan.lines if line.title == "Webshop-Relaunch")
    assert (web.article_id, web.unit_price, web.quantity) == ("a2", D("110.00"), D("1.25"))
    assert [(line.title, line.article_id, line.quantity) for line in plan.lines] == [
        ("SEO-Betreuung", "a1", D("1.25")),
        ("Webshop-Relaunch", "a2", D("1.25")),
    ]


# -- rounding ------------------------------------------------------------------------------

SHORT = [entry(1, 1, 7), entry(2, 1, 8), entry(3, 2, 31)]


@pytest.mark.parametrize(
    ("step", "per", "quantity", "note"),
    [
        (0, "entry", D("0.766667"), ""),
        (15, "entry", D("1.25"), "aufgerundet auf 15 Min. je Eintrag"),
        (15, "line", D("1.00"), "aufgerundet auf 15 Min. je Position"),
        (6, "entry", D("1.00"), "aufgerundet auf 6 Min. je Eintrag"),
        (5, "line", D("0.833333"), "aufgerundet auf 5 Min. je Position"),
        (30, "entry", D("2.00"), "aufgerundet auf 30 Min. je Eintrag"),
        (10, "line", D("0.833333"), "aufgerundet auf 10 Min. je Position"),
    ],
)
def test_rounding_per_entry_and_per_line(step: int, per: str, quantity: Decimal, note: str) -> None:
    (line,) = plan_for(SHORT, round_to=step, round_per=per).lines
    assert line.quantity == quantity
    assert line.quantity.as_tuple().exponent in (-2, -6)
    assert line.rounding_note == note


def test_rounding_note_in_english() -> None:
    (line,) = plan_for(SHORT, round_to=15, round_per="line", language="en").lines
    assert line.rounding_note == "rounded up to 15 min per line"


def test_rounding_is_applied_per_split_line() -> None:
    entries = [entry(1, 1, 10, hourly_rate=D("90")), entry(2, 1, 10, hourly_rate=D("100"))]
    plan = plan_for(entries, round_to=15, round_per="line", rate_source="entry")
    assert [(line.unit_price, line.quantity) for line in plan.lines] == [
        (D("90.00"), D("0.25")),
        (D("100.00"), D("0.25")),
    ]


def test_time_entry_of_zero_minutes_is_billed_as_zero() -> None:
    (line,) = plan_for([entry(1, 1, 0)], round_to=15).lines
    assert line.quantity == D("0.00")


# -- rates ---------------------------------------------------------------------------------


def test_rate_fallback_order() -> None:
    rated = [entry(1, 1, 60, hourly_rate=D("80"))]
    # By default the tracker's rate wins: it holds customer-specific rates.
    assert plan_for(rated).lines[0].unit_price == D("80.00")
    assert plan_for(rated, rate_source="article").lines[0].unit_price == D("95.00")
    assert plan_for(rated, rate_override=D("120")).lines[0].unit_price == D("120.00")
    # The entry has no rate: the article's price fills in even when the tracker is preferred.
    assert plan_for([entry(2, 1)], rate_source="entry").lines[0].unit_price == D("95.00")


def test_article_price_zero_falls_back_to_the_tracker_rate() -> None:
    free = Article(id="a0", title="Beratung", sales_price=D("0"), tax_id="t19")
    assign = ASSIGN.model_copy(update={"articles": {"s1": "a0"}, "billomat_articles": (free,)})
    options = PlanOptions(rate_source="article")
    plan = build_plan([entry(1, 1, hourly_rate=D("85.5"))], assign, options, client_id="c1").plan
    assert (plan.lines[0].unit_price, plan.lines[0].article_id) == (D("85.50"), "a0")


def test_service_without_article_is_free_text_at_the_tracker_rate() -> None:
    (line,) = plan_for([entry(1, 1, 90, service="s9", hourly_rate=D("70"))]).lines
    assert line.article_id is None
    assert (line.title, line.unit, line.unit_price, line.tax_rate) == (
        "Schulung",
        "Stunde",
        D("70.00"),
        D("19"),
    )
    assert line.total_net == D("105.00")


def test_mixed_rates_split_the_line_never_average() -> None:
    entries = [
        entry(1, 1, 60, hourly_rate=D("90"), note="a"),
        entry(2, 2, 60, hourly_rate=D("100"), note="b"),
        entry(3, 3, 30, hourly_rate=D("90.00"), note="c"),
    ]
    plan = plan_for(entries, rate_source="entry")
    assert [(line.unit_price, line.quantity, line.entry_ids) for line in plan.lines] == [
        (D("90.00"), D("1.50"), ("1", "3")),
        (D("100.00"), D("1.00"), ("2",)),
    ]
    assert plan.total_net == D("235.00")


def test_rate_missing_everywhere_names_service_and_entries() -> None:
    entries = [entry(7, 1, service="s9"), entry(8, 2, service="s9"), entry(9, 3)]
    with pytest.raises(RateMissingError) as caught:
        plan_for(entries)
    assert "Schulung" in str(caught.value)
    assert "7, 8" in str(caught.value)
    assert caught.value.entry_ids == ("7", "8")
    assert isinstance(caught.value, ValueError)


def test_assigned_article_missing_in_billomat_is_an_error() -> None:
    assign = ASSIGN.model_copy(update={"articles": {"s1": "gone"}})
    with pytest.raises(PlanError, match="gone"):
        build_plan([entry(1, 1)], assign, client_id="c1")


# -- taxes ---------------------------------------------------------------------------------


def test_tax_from_article_else_default() -> None:
    entries = [entry(1, 1, service="s3"), entry(2, 1, service="s9", hourly_rate=D("50"))]
    plan = plan_for(entries, grouping="service")
    assert [(line.title, line.tax_rate) for line in plan.lines] == [
        ("Lektorat", D("7")),
        ("Schulung", D("19")),
    ]
    plan = plan_for(entries, default_vat=D("16"), default_tax_name="USt")
    assert [(line.tax_name, line.tax_rate) for line in plan.lines] == [
        ("MwSt", D("7")),
        ("USt", D("16")),
    ]


def test_no_vat_rate_anywhere_is_an_error() -> None:
    assign = ASSIGN.model_copy(update={"taxes": ()})
    with pytest.raises(PlanError, match="default VAT"):
        build_plan([entry(1, 1, service="s9", hourly_rate=D("50"))], assign, client_id="c1")


def test_reverse_charge_bills_zero_vat_with_the_legal_note() -> None:
    plan = plan_for(
        [entry(1, 1, 60), entry(2, 1, 60, service="s3")], reverse_charge=True, note="Danke!"
    )
    assert {line.tax_rate for line in plan.lines} == {D("0")}
    # The note is added to the draft's texts when it is created, never replacing them.
    assert plan.note == "Danke!"
    assert plan.tax_note == "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)"
    assert [(tax.rate, tax.amount) for tax in plan.taxes] == [(D("0"), D("0.00"))]
    assert plan.total_gross == plan.total_net == D("155.00")


# -- texts ---------------------------------------------------------------------------------


def test_custom_templates_fill_every_field() -> None:
    entries = [entry(1, 1, 45, note="Kickoff"), entry(2, 3, 30, user="u2", note="Review")]
    plan = plan_for(
        entries,
        round_to=15,
        title_template="{project}: {service} ({hours} Std., {start}–{end})",
        description_template="{customer} | {user} | {article} | {date} | {notes}",
        notes_separator=", ",
    )
    (line,) = plan.lines
    assert line.title == "Webshop-Relaunch: Beratung (1,25 Std., 01.10.2026–03.10.2026)"
    assert line.description == (
        "Müller & Söhne GmbH | Anna Schmidt, Jonas Weber | Beratung | "
        "01.10.2026 – 03.10.2026 | Kickoff, Review"
    )


@pytest.mark.parametrize("template", ["{price}", "{service.upper}", "{}", "{notes[0]}", "{oops"])
def test_a_bad_template_is_refused_with_the_field_named(template: str) -> None:
    with pytest.raises(PlanError, match="template"):
        plan_for([entry(1, 1)], title_template=template)


def test_braces_in_notes_are_text_not_fields() -> None:
    (line,) = plan_for([entry(1, 1, note="Fix {service} and {0} in JSON {}")]).lines
    assert line.description == "Fix {service} and {0} in JSON {}"


def test_notes_deduplicated_in_first_seen_order() -> None:
    entries = [
        entry(3, 3, note="Abstimmung"),
        entry(1, 1, note="Konzept"),
        entry(2, 2, note="  abstimmung "),
        entry(4, 4, note=""),
        entry(5, 5, note="Konzept"),
        entry(6, 6, note="Umsetzung"),
    ]
    # "First seen" is in date order, so the spelling of the earliest entry is the one shown.
    (line,) = plan_for(entries).lines
    assert line.description == "Konzept\nabstimmung\nUmsetzung"


def test_texts_are_trimmed_to_billomat_limits() -> None:
    entries = [entry(i, 1 + i % 28, 15, note=f"Aufgabe {i:04d} " + "x" * 60) for i in range(100)]
    (line,) = plan_for(entries, title_template="{notes}").lines
    assert len(line.description) == 4000
    assert line.description.endswith("…")
    assert len(line.title) == 255
    assert line.title.endswith("…")
    assert line.entry_ids == tuple(
        str(i) for i in sorted(range(100), key=lambda i: (1 + i % 28, i))
    )


def test_control_characters_and_escape_sequences_are_removed() -> None:
    evil = entry(
        1, 1, note="\x1b[31mrot\x1b[0m\x07 und\tfett\x1b]0;pwned\x07\r\nzweite \u202eZeile\x00"
    )
    plan = build_plan(
        [evil],
        ASSIGN,
        PlanOptions(title_template="{notes}{customer}"),
        client_id="c1",
    ).plan
    assert plan.lines[0].description == "rot und fett zweite Zeile"
    assert plan.lines[0].title == "rot und fett zweite ZeileMüller & Söhne GmbH"
    for char in plan.lines[0].description + plan.lines[0].title:
        assert char.isprintable()


def test_title_falls_back_when_names_are_missing() -> None:
    bare = TimeEntry(
        id="1",
        source="mite",
        date=dt.date(2026, 10, 1),
        minutes=60,
        customer_id="k1",
        hourly_rate=D("90"),
    )
    (line,) = plan_for([bare]).lines
    assert line.title == "Leistungen"
    (line,) = plan_for([bare], language="en").lines
    assert line.title == "Services"


# -- lump sums -----------------------------------------------------------------------------


def test_lump_sums_become_their_own_lines() -> None:
    entries = [
        entry(1, 5, 50, note="Support"),
        lumpsum(2, 3, "45.00", note="Anfahrtspauschale", service="s9"),
        lumpsum(3, 4, "98.00", "2", note="Hosting-Paket M", service="s9"),
        entry(4, 6, 20, source="clockodo"),
    ]
    entries[0] = replace(entries[0], source="clockodo")
    plan = plan_for(entries, round_to=15)
    assert [
        (line.title, line.quantity, line.unit, line.unit_price, line.total_net, line.rounding_note)
        for line in plan.lines
    ] == [
        (
            "Beratung",
            D("1.50"),
            "Std.",
            D("95.00"),
            D("142.50"),
            "aufgerundet auf 15 Min. je Eintrag",
        ),
        ("Schulung", D("1.00"), "Pauschale", D("45.00"), D("45.00"), ""),
        ("Schulung", D("2.00"), "Pauschale", D("49.00"), D("98.00"), ""),
    ]
    assert [line.description for line in plan.lines[1:]] == ["Anfahrtspauschale", "Hosting-Paket M"]
    assert all(line.article_id is None for line in plan.lines[1:])
    assert plan.source == "clockodo"


def test_lump_sum_that_does_not_divide_into_cents_is_billed_as_one() -> None:
    (line,) = plan_for([lumpsum(1, 3, "100.00", "3", note="Drittel")]).lines
    assert (line.quantity, line.unit_price, line.total_net) == (D("1.00"), D("100.00"), D("100.00"))


def test_lump_sum_without_amount_is_an_error() -> None:
    broken = entry(1, 3, 0, kind="lumpsum", source="clockodo", note="Hosting")
    with pytest.raises(PlanError, match="no amount"):
        plan_for([broken])


# -- plan header ---------------------------------------------------------------------------


def test_service_period_and_invoice_title() -> None:
    entries = [entry(1, 14), entry(2, 1), entry(3, 31)]
    plan = build_plan(entries, ASSIGN, client_id="c1", plan_id="abc123").plan
    assert (plan.service_start, plan.service_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert plan.title == "Rechnung Leistungszeitraum 01.10.2026 – 31.10.2026"
    assert (plan.id, plan.marker) == ("abc123", "timebill:abc123")
    assert (plan.client_name, plan.currency) == ("Müller & Söhne GmbH", "EUR")
    english = plan_for([entry(1, 14)], language="en")
    assert english.title == "Invoice, service period 2026-10-14"


def test_generated_plan_ids_are_unique_uuid_hex() -> None:
    first = plan_for([entry(1, 1)])
    second = plan_for([entry(1, 1)])
    assert first.id != second.id
    assert len(first.id) == 32 and int(first.id, 16) >= 0
    assert first.marker == f"timebill:{first.id}"


def test_currency_from_client_or_option() -> None:
    assert plan_for([entry(1, 1, customer="k3")], client="c3").currency == "CHF"
    assert plan_for([entry(1, 1, customer="k2")], client="c2").currency == "EUR"
    assert plan_for([entry(1, 1)], currency="USD").currency == "USD"


def test_line_order_does_not_depend_on_input_order() -> None:
    entries = [
        entry(
            i,
            1 + i % 9,
            10 + i,
            service=("s1", "s2", "s9")[i % 3],
            user=("u1", "u2")[i % 2],
            hourly_rate=D("70"),
            note=f"n{i % 4}",
        )
        for i in range(40)
    ]
    expected = build_plan(entries, ASSIGN, PlanOptions(grouping="day"), client_id="c1", plan_id="x")
    shuffled = list(entries)
    random.Random(7).shuffle(shuffled)
    again = build_plan(shuffled, ASSIGN, PlanOptions(grouping="day"), client_id="c1", plan_id="x")
    assert again.plan == expected.plan


def test_mixing_trackers_in_one_plan_is_refused() -> None:
    with pytest.raises(PlanError, match="mite and clockodo"):
        plan_for([entry(1, 1), entry(2, 1, source="clockodo")])


# -- totals --------------------------------------------------------------------------------


def test_twenty_minutes_at_95_to_the_cent() -> None:
    plan = plan_for([entry(1, 1, 20)])
    (line,) = plan.lines
    # 20 min is 0.333333 h: 31.67, the tracker's 20 × 95 / 60 = 31.666… (0.33 h lost 32 cents).
    assert (line.quantity, line.total_net) == (D("0.333333"), D("31.67"))
    assert [(tax.net, tax.amount) for tax in plan.taxes] == [(D("31.67"), D("6.02"))]
    assert plan.total_gross == D("37.69")


def test_tax_is_computed_on_the_sum_of_lines_not_per_line() -> None:
    entries = [entry(1, 1, 20), entry(2, 2, 20), entry(3, 3, 20)]
    plan = plan_for(entries, grouping="entry")
    assert [line.total_net for line in plan.lines] == [D("31.67")] * 3
    # Per line 3 × 6.02 = 18.06; on the sum 95.01 × 19 % = 18.0519 -> 18.05 (billomat.md §6).
    assert [(tax.net, tax.amount) for tax in plan.taxes] == [(D("95.01"), D("18.05"))]
    assert plan.total_gross == D("113.06")


def test_mixed_19_and_7_percent() -> None:
    entries = [entry(1, 1, 20), entry(2, 2, 50, service="s3"), entry(3, 3, 35, service="s2")]
    plan = plan_for(entries)
    # 20 min -> 0.333333 h × 95; 35 min -> 0.583333 h × 110; 50 min -> 0.833333 h × 60 (7 %).
    assert [(line.title, line.quantity, line.total_net) for line in plan.lines] == [
        ("Beratung", D("0.333333"), D("31.67")),
        ("Entwicklung", D("0.583333"), D("64.17")),
        ("Lektorat", D("0.833333"), D("50.00")),
    ]
    assert [(tax.rate, tax.net, tax.amount) for tax in plan.taxes] == [
        (D("19"), D("95.84"), D("18.21")),
        (D("7"), D("50.00"), D("3.50")),
    ]
    assert plan.total_net == D("145.84")
    assert plan.total_gross == D("167.55")


def test_money_rules() -> None:
    assert cents(D("0.005")) == D("0.01")
    assert cents(D("2.675")) == D("2.68")
    # Billomat's documented example: 5.2 × 10 with a reduction of 10 is 42 net.
    assert line_net(D("5.2"), D("10"), "10") == D("42.00")
    assert line_net(D("5.2"), D("10"), "10%") == D("46.80")
    assert line_net(D("0.33"), D("95")) == D("31.35")
    assert str(plain(D("19.00"))) == "19" and str(plain(D("10"))) == "10"
    assert tax_totals([]) == ()
    assert totals([]).gross == D("0.00")


# -- editing -------------------------------------------------------------------------------


def test_edit_line_recomputes_line_and_totals() -> None:
    plan = plan_for([entry(1, 1, 20), entry(2, 1, 60, service="s3")], round_to=15)
    edited = edit_line(plan, 0, quantity="1,5", title="Beratung\x1b[1m vor Ort", description="A\nB")
    line = edited.lines[0]
    assert (line.title, line.description, line.quantity) == ("Beratung vor Ort", "A\nB", D("1.50"))
    assert (line.total_net, line.rounding_note) == (D("142.50"), "")
    assert edited.total_net == D("202.50")
    assert edited.total_gross == D("202.50") + D("27.08") + D("4.20")
    assert edited.lines[1] == plan.lines[1]
    assert (edited.id, edited.entry_ids) == (plan.id, plan.entry_ids)

    priced = edit_line(edited, 1, unit_price=D("59.999"))
    assert priced.lines[1].unit_price == D("59.999")
    assert priced.lines[1].total_net == D("60.00")
    assert priced.lines[1].rounding_note == plan.lines[1].rounding_note


@pytest.mark.parametrize(
    ("index", "changes", "message"),
    [
        (5, {"title": "x"}, "no line 6"),
        (0, {"quantity": "-1"}, "0 or more"),
        (0, {"unit_price": "zehn"}, "not a number"),
        (0, {"title": "\x1b[0m  "}, "needs a title"),
    ],
)
def test_edit_line_refuses_bad_input(index: int, changes: dict[str, Any], message: str) -> None:
    plan = plan_for([entry(1, 1)])
    with pytest.raises(PlanError, match=message):
        edit_line(plan, index, **changes)


# -- guards --------------------------------------------------------------------------------


def test_guards_exclude_and_report_entries() -> None:
    entries = [
        entry(1, 1),
        entry(2, 1, billed=True),
        entry(3, 1, running=True),
        entry(4, 1, billable=False),
        entry(5, 1),
        entry(6, 1, customer="k2"),
        replace(entry(7, 1, customer="k1"), customer_id="k8"),
        entry(1, 2),
        entry(8, 1, minutes=-5),
    ]
    result = build_plan(entries, ASSIGN, client_id="c1", in_progress={"5"})
    assert result.plan.entry_ids == ("1",)
    assert [(item.entry_id, item.reason) for item in result.skipped] == [
        ("2", "billed"),
        ("3", "running"),
        ("4", "not_billable"),
        ("5", "in_progress"),
        ("1", "duplicate"),
        ("8", "invalid"),
        ("6", "other_customer"),
        ("7", "unassigned"),
    ]
    assert result.skipped[0].message == "bereits abgerechnet"


def test_non_billable_entries_only_when_asked() -> None:
    entries = [entry(1, 1), entry(2, 2, billable=False)]
    assert plan_for(entries, include_non_billable=True).entry_ids == ("1", "2")
    # Billed stays out even when non-billable entries are included.
    billed = [entry(3, 1, billable=False, billed=True)]
    with pytest.raises(NothingToBillError):
        plan_for(billed, include_non_billable=True)


def test_restricting_to_one_tracker_customer() -> None:
    assign = ASSIGN.model_copy(update={"clients": {"k1": "c1", "k2": "c1"}})
    entries = [entry(1, 1), entry(2, 1, customer="k2")]
    both = build_plan(entries, assign, client_id="c1").plan
    assert both.entry_ids == ("1", "2")
    one = build_plan(entries, assign, client_id="c1", customer_ids={"k2"})
    assert one.plan.entry_ids == ("2",)
    assert [(item.entry_id, item.reason) for item in one.skipped] == [("1", "other_customer")]


def test_nothing_to_bill_says_why() -> None:
    entries = [entry(1, 1, billed=True), entry(2, 1, billed=True), entry(3, 1, running=True)]
    with pytest.raises(NothingToBillError) as caught:
        plan_for(entries)
    assert str(caught.value) == (
        "Keine abrechenbaren Einträge für Müller & Söhne GmbH (2 bereits abgerechnet, 1 Timer läuft noch)."
    )
    with pytest.raises(NothingToBillError, match="No billable entries"):
        plan_for([], language="en")


def test_open_entries_for_the_selection_screen() -> None:
    kept, skipped = open_entries(
        [entry(1, 1), entry(2, 1, billed=True), entry(3, 1)], in_progress={"3"}, language="en"
    )
    assert [item.id for item in kept] == ["1"]
    assert [(item.entry_id, item.message) for item in skipped] == [
        ("2", "already billed"),
        ("3", "belongs to an invoice that is not finished yet"),
    ]


# -- month-end run -------------------------------------------------------------------------


def test_month_end_one_plan_per_client() -> None:
    assign = ASSIGN.model_copy(
        update={"clients": {"k1": "c1", "k2": "c2"}, "billomat_clients": (MUELLER, SCHAEFER)}
    )
    entries = [
        entry(1, 1, customer="k1"),
        entry(2, 2, customer="k2"),
        entry(3, 3, customer="k2", billed=True),
        entry(4, 4, customer="k3"),
        entry(5, 5, customer="k3"),
        entry(6, 6, customer="k1", billable=False),
        entry(7, 7, customer="k1"),
    ]
    result = plans_by_client(
        entries,
        assign,
        PlanOptions(round_to=15),
        client_options={"c2": PlanOptions(rate_override=D("60"), include_non_billable=True)},
        in_progress={"7"},
        plan_ids={"c1": "plan-c1"},
    )
    assert [(r.plan.client_name, r.plan.entry_ids) for r in result.plans] == [
        ("Bäckerei Schäfer KG", ("2",)),
        ("Müller & Söhne GmbH", ("1",)),
    ]
    assert result.plans[0].plan.lines[0].unit_price == D("60.00")
    assert result.plans[1].plan.id == "plan-c1"
    assert [(u.customer_id, u.customer_name, u.entry_ids) for u in result.unassigned] == [
        ("k3", "Höfer Logistik AG", ("4", "5"))
    ]
    assert sorted((item.entry_id, item.reason) for item in result.skipped) == [
        ("3", "billed"),
        ("6", "not_billable"),
        ("7", "in_progress"),
    ]
    assert result.failed == ()


def test_month_end_failure_of_one_client_leaves_the_others() -> None:
    entries = [
        entry(1, 1, customer="k1"),
        entry(2, 1, customer="k2", service="s9"),
        entry(3, 1, customer="k3", billed=True),
    ]
    result = plans_by_client(entries, ASSIGN)
    assert [r.plan.client_id for r in result.plans] == ["c1"]
    assert [(f.client_id, f.client_name, type(f.error)) for f in result.failed] == [
        ("c2", "Bäckerei Schäfer KG", RateMissingError)
    ]
    assert [(item.entry_id, item.reason) for item in result.skipped] == [("3", "billed")]
