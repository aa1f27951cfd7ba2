"""The invoice's texts as templates: title, intro and closing note per client, line titles and
descriptions with {period}, {note} and the other placeholders; what a user reads on the draft."""

from __future__ import annotations

from typing import Any

import pytest
from invoice_data import ASSIGN, entry, lumpsum
from timebill.core.invoicing.builder import PlanError, PlanOptions, build_plan
from timebill.core.invoicing.texts import (
    DESCRIPTION_MAX,
    INVOICE_FIELDS,
    LINE_FIELDS,
    TITLE_MAX,
    TemplateError,
    check_templates,
)
from timebill.core.models import InvoicePlan, TimeEntry

# Two services on the 3rd and the 20th of October, and a day in between.
ENTRIES = [
    entry(1, 3, 60, service="s1", note="Kickoff {service}"),
    entry(2, 20, 30, service="s2", user="u2", note="Review"),
    entry(3, 9, 45, service="s1", note="Konzept"),
]


def plan_for(entries: list[TimeEntry], **options: Any) -> InvoicePlan:
    return build_plan(entries, ASSIGN, PlanOptions(**options), client_id="c1").plan


def test_line_templates_know_the_invoices_period_and_note() -> None:
    plan = plan_for(
        ENTRIES,
        grouping="service",
        title_template="{service} ({date}), Zeitraum {period}",
        description_template="{note} / {notes}",
        notes_separator=", ",
    )
    first, second = plan.lines
    # {date} is the line's own days, {period} the whole invoice's service period.
    assert first.title == "Beratung (03.10.2026 – 09.10.2026), Zeitraum 03.10.2026 – 20.10.2026"
    assert second.title == "Entwicklung (20.10.2026), Zeitraum 03.10.2026 – 20.10.2026"
    # {note} is {notes}; braces inside a note are text, not a field.
    assert first.description == "Kickoff {service}, Konzept / Kickoff {service}, Konzept"


def test_every_invoice_placeholder_works_in_lines_too() -> None:
    template = " | ".join("{" + name + "}" for name in sorted(INVOICE_FIELDS))
    (line,) = plan_for([entry(1, 3), entry(2, 20)], title_template=template).lines
    assert line.title == (
        "Müller & Söhne GmbH | Müller & Söhne GmbH | 03.10.2026 – 20.10.2026 | 20.10.2026 | "
        "03.10.2026 – 20.10.2026 | 03.10.2026"
    )


def test_english_dates_in_the_period() -> None:
    plan = plan_for(ENTRIES, language="en", title_template="{period}")
    assert {line.title for line in plan.lines} == {"2026-10-03 – 2026-10-20"}


def test_invoice_title_intro_and_closing_note_are_templates() -> None:
    plan = plan_for(
        ENTRIES,
        invoice_title_template="Rechnung {period} für {client}",
        intro="Sehr geehrte Damen und Herren,\n\nfür {customer} ({start} bis {end}):",
        note="Zahlbar bis [Invoice.due_date]. Zeitraum {date}; {{intern}}",
    )
    assert plan.title == "Rechnung 03.10.2026 – 20.10.2026 für Müller & Söhne GmbH"
    assert plan.intro == (
        "Sehr geehrte Damen und Herren,\n\nfür Müller & Söhne GmbH (03.10.2026 bis 20.10.2026):"
    )
    # Billomat's own placeholders in square brackets pass through for Billomat to fill in.
    assert plan.note == "Zahlbar bis [Invoice.due_date]. Zeitraum 03.10.2026 – 20.10.2026; {intern}"


def test_empty_texts_leave_the_defaults() -> None:
    plan = plan_for(ENTRIES, invoice_title_template="", intro="", note="  ")
    assert plan.title == "Rechnung Leistungszeitraum 03.10.2026 – 20.10.2026"
    # Empty: the draft gets the Billomat account's own intro and payment terms.
    assert (plan.intro, plan.note) == ("", "")


@pytest.mark.parametrize(
    ("option", "template", "field", "allowed"),
    [
        ("title_template", "{service} {kunde}", "kunde", LINE_FIELDS),
        ("description_template", "{notiz}", "notiz", LINE_FIELDS),
        ("invoice_title_template", "Rechnung {service}", "service", INVOICE_FIELDS),
        ("intro", "Hallo {name}", "name", INVOICE_FIELDS),
        ("note", "{0}", "0", INVOICE_FIELDS),
    ],
)
def test_an_unknown_placeholder_is_named_with_the_allowed_ones(
    option: str, template: str, field: str, allowed: frozenset[str]
) -> None:
    with pytest.raises(TemplateError) as raised:
        plan_for(ENTRIES, **{option: template})
    error = raised.value
    assert isinstance(error, PlanError)
    assert (error.field, error.allowed) == (field, allowed)
    message = str(error)
    assert "{" + field + "}" in message
    assert all("{" + name + "}" in message for name in allowed)


@pytest.mark.parametrize("template", ["Danke {", "Danke }", "{period!r}", "{period:>30}"])
def test_unpaired_braces_and_formats_are_refused(template: str) -> None:
    with pytest.raises(TemplateError, match="closing note") as raised:
        check_templates({"note": template})
    assert raised.value.field is None


def test_a_bad_template_fails_even_when_nothing_is_left_to_bill() -> None:
    billed = entry(1, 3, billed=True)
    with pytest.raises(TemplateError):
        plan_for([billed], intro="{nope}")


def test_texts_are_cleaned_and_cut_to_the_limits() -> None:
    long_note = "Aufgabe " + "x" * 5000
    plan = plan_for(
        [entry(1, 3, note=long_note)],
        title_template="{note}",
        invoice_title_template="{client} " + "T" * 300,
        intro="\x1b[31mrot\x1b[0m {client}\x07\n\n\n\nzweiter Absatz",
        note="N" * 5000,
    )
    (line,) = plan.lines
    assert len(line.title) == TITLE_MAX and line.title.endswith("…")
    assert len(line.description) == DESCRIPTION_MAX and line.description.endswith("…")
    assert len(plan.title) == TITLE_MAX and plan.title.endswith("…")
    assert len(plan.note) == DESCRIPTION_MAX and plan.note.endswith("…")
    assert plan.intro == "rot Müller & Söhne GmbH\n\nzweiter Absatz"


def test_lump_sums_know_the_period_too() -> None:
    plan = build_plan(
        [lumpsum(1, 5, "120.00", note="Hosting"), entry(2, 25, source="clockodo")],
        ASSIGN,
        PlanOptions(lumpsum_title_template="{note} {period}"),
        client_id="c1",
    ).plan
    assert plan.lines[-1].title == "Hosting 05.10.2026 – 25.10.2026"
