"""`timebill invoice --title/--intro/--closing-note/--line-title/--line-text`: the texts land on
the Billomat draft as the sandbox's API returns it, are remembered for the client so the next
run without flags writes them again, and a template with an unknown placeholder is a usage
error before anything is created."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from billing_env import ALPENBLICK, MUELLER, OCTOBER, BillingEnv, billing_env
from sandbox_support import billomat_draft
from timebill.core.connect import tracker_account
from timebill.core.invoicing import taxrule
from timebill.core.invoicing.texts import format_date, format_range
from timebill.core.models import InvoicePlan
from timebill.core.sandbox.billomat_invoices import DEFAULT_INTRO, DEFAULT_NOTE
from timebill.core.settings.model import load_settings

FIRST_HALF = ("--from", "2026-10-01", "--to", "2026-10-15")
SECOND_HALF = ("--from", "2026-10-16", "--to", "2026-10-31")
TEXTS = (
    "--title", "Rechnung {period} – {client}",
    "--intro", "Hallo {customer},\nwie besprochen ({start} bis {end}):",
    "--closing-note", "Zahlbar bis [Invoice.due_date]. {{Danke}}",
    "--line-title", "{service} im Zeitraum {period}",
    "--line-text", "{user}: {note}",
)  # fmt: skip


def drafted(env: BillingEnv, plan_ids: set[str]) -> list[tuple[InvoicePlan, str]]:
    return [(r.plan, r.invoice_id or "") for r in env.plans("done") if r.id not in plan_ids]


def test_texts_given_once_are_on_this_draft_and_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        first = env.run("invoice", "--customer", "müller", *FIRST_HALF, *TEXTS, "--yes")
        assert first.code == 0, first.err
        # The rest of the month without flags: the texts come back from the journal.
        second = env.run("invoice", "--customer", "müller", *SECOND_HALF, "--yes")
        assert second.code == 0, second.err

        drafts = sorted(drafted(env, set()), key=lambda found: found[0].service_start)
        assert len(drafts) == 2
        for plan, invoice_id in drafts:
            invoice, items = billomat_draft(env.server, invoice_id)
            period = format_range(plan.service_start, plan.service_end, "de")
            start, end = (format_date(day, "de") for day in (plan.service_start, plan.service_end))
            assert invoice["title"] == f"Rechnung {period} – Müller & Söhne GmbH"
            assert invoice["intro"] == (
                f"Hallo Müller & Söhne GmbH,\nwie besprochen ({start} bis {end}):"
            )
            # Billomat's own placeholder stays for Billomat; doubled braces are one brace.
            assert invoice["note"] == "Zahlbar bis [Invoice.due_date]. {Danke}"
            assert [item["title"] for item in items] == [line.title for line in plan.lines]
            assert [item["description"] for item in items] == [
                line.description for line in plan.lines
            ]
            for line in plan.lines:
                assert line.title.endswith(f" im Zeitraum {period}")
                user, _, notes = line.description.partition(": ")
                assert user and notes, line.description

        # Not the same period: the second draft's texts were rendered for its own entries.
        assert drafts[0][0].service_end < drafts[1][0].service_start
        with env.journal() as journal:
            stored = journal.client_settings(tracker_account(load_settings()), MUELLER)
        assert stored["intro"] == "Hallo {customer},\nwie besprochen ({start} bis {end}):"
        assert stored["title_template"] == "{service} im Zeitraum {period}"

        # Empty flags give the texts back to their defaults: Billomat's intro and payment terms.
        late = env.add_entry(dt.date(2026, 10, 30), like=drafts[1][0].entry_ids[0])
        third = env.run(
            "invoice", "--customer", "müller", *OCTOBER, "--intro", "", "--closing-note", "",
            "--title", "", "--line-title", "", "--yes",
        )  # fmt: skip
        assert third.code == 0, third.err
        [(plan, invoice_id)] = [d for d in drafted(env, set()) if d[0].entry_ids == (late,)]
        invoice, items = billomat_draft(env.server, invoice_id)
        assert (invoice["intro"], invoice["note"]) == (DEFAULT_INTRO, DEFAULT_NOTE)
        assert invoice["title"] == "Rechnung Leistungszeitraum 30.10.2026"
        assert items[0]["title"] == plan.lines[0].title and "Zeitraum" not in plan.lines[0].title
        assert items[0]["description"].endswith(": added after the preview")


def test_the_tax_note_follows_the_closing_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Swiss client: the "not taxable in Germany" note is added after the user's closing
    note, as it is after the account's payment terms."""
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        run = env.run(
            "invoice", "--customer", "Brückner", *OCTOBER, "--client", ALPENBLICK,
            "--closing-note", "Danke für {period}.", "--yes",
        )  # fmt: skip
        assert run.code == 0, run.err
        [(plan, invoice_id)] = drafted(env, set())
        invoice, _ = billomat_draft(env.server, invoice_id)
        period = format_range(plan.service_start, plan.service_end, "de")
        assert invoice["note"] == f"Danke für {period}.\n\n{taxrule.NOTES['de']['outside_eu']}"


@pytest.mark.parametrize(
    ("flag", "template", "shown"),
    [
        ("--line-title", "{service} für {kunde}", "{kunde}"),
        ("--intro", "Hallo {service}", "{service}"),
        ("--closing-note", "Danke {", "not valid"),
        ("--title", "{period:>20}", "{period:>20}"),
    ],
)
def test_a_bad_template_is_a_usage_error_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str, template: str, shown: str
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        before = env.invoices()
        run = env.run("invoice", "--customer", "müller", *OCTOBER, flag, template, "--yes")
        assert run.code == 2
        [line] = run.err.strip().splitlines()
        assert flag in line and shown in line
        assert env.invoices() == before
        assert env.plans() == []
        with env.journal() as journal:
            stored = journal.client_settings(tracker_account(load_settings()), MUELLER)
        assert "intro" not in stored and "title_template" not in stored
