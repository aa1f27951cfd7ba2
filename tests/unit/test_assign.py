"""Assignment resolution (core/assign.py): explicit choice > remembered in the journal > exact
(case-insensitive) name match, which is then remembered; anything else only a suggestion."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from timebill.core.billing import assign
from timebill.core.billing.journal import Journal
from timebill.core.invoicing.builder import PlanOptions
from timebill.core.models import Article, BillomatClient, Tax

ACCOUNT = "mite:nordlicht"
CLIENTS = [
    BillomatClient(id="1", name="Müller & Söhne GmbH"),
    BillomatClient(id="2", name="Hoefer Logistik AG"),
    BillomatClient(id="3", name="Höfer Spedition KG"),
    BillomatClient(id="4", name="Alpenblick Tourismus AG", currency_code="CHF"),
    BillomatClient(id="5", name="Weiß & Partner Steuerberatung"),
]
ARTICLES = [
    Article(id="901", title="Softwareentwicklung", sales_price=Decimal("95")),
    Article(id="902", title="Beratung", sales_price=Decimal("120")),
    Article(id="903", title="Konzeption & Design", sales_price=Decimal("90")),
]
TAXES = [Tax(id="55", name="MwSt", rate=Decimal("19"), is_default=True)]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as journal:
        yield journal


def resolve(journal: Journal, **options: object) -> assign.Resolution:
    values: dict[str, object] = {
        "customers": {"c1": "Müller & Söhne GmbH"},
        "services": {"s1": "Beratung"},
        "clients": CLIENTS,
        "articles": ARTICLES,
        "taxes": TAXES,
    }
    values.update(options)
    return assign.resolve(journal, ACCOUNT, **values)  # type: ignore[arg-type]


# -- name matching ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "Müller & Söhne GmbH",
        "müller & söhne gmbh",
        "MÜLLER & SÖHNE GMBH",
        "  Müller   &  Söhne GmbH ",
        unicodedata.normalize("NFD", "Müller & Söhne GmbH"),  # ü as u + combining diaeresis
        "Müller\t& Söhne GmbH",
    ],
)
def test_exact_match_ignores_case_spacing_and_composition(name: str) -> None:
    assert assign.exact_match(name, CLIENTS, "name") == CLIENTS[0]


@pytest.mark.parametrize("name", ["Müller", "Mueller & Soehne GmbH", "Müller & Söhne", "", None])
def test_exact_match_takes_nothing_less_than_the_name(name: str | None) -> None:
    assert assign.exact_match(name, CLIENTS, "name") is None


def test_exact_match_refuses_an_ambiguous_name() -> None:
    twins = [*CLIENTS, BillomatClient(id="9", name="müller & söhne gmbh")]
    assert assign.exact_match("Müller & Söhne GmbH", twins, "name") is None


def test_suggestions_rank_the_closest_names_first() -> None:
    found = assign.suggestions("Höfer Logistik AG", CLIENTS, "name")
    assert [c.id for c in found][:2] == ["2", "3"]
    assert CLIENTS[0] not in found and CLIENTS[4] not in found


def test_suggestions_rank_contained_names_high_and_respect_the_limit() -> None:
    found = assign.suggestions("Weiß & Partner", CLIENTS, "name")
    assert found[0] == CLIENTS[4]
    assert len(assign.suggestions("AG", CLIENTS, "name", limit=1)) <= 1


def test_suggestions_leave_out_unrelated_names() -> None:
    assert assign.suggestions("Brückner Maschinenbau GmbH", CLIENTS, "name") == []
    assert assign.suggestions("", CLIENTS, "name") == []


# -- resolution order ----------------------------------------------------------------------
def test_name_match_is_used_and_remembered(journal: Journal) -> None:
    resolution = resolve(journal)
    assert resolution.assignments.clients == {"c1": "1"}
    assert resolution.assignments.articles == {"s1": "902"}
    assert any("same name, remembered" in note for note in resolution.notes)
    assert journal.assignments(ACCOUNT, "customer") == {"c1": "1"}
    assert journal.assignments(ACCOUNT, "service") == {"s1": "902"}
    # Remembered now: no note the second time.
    assert resolve(journal).notes == []


def test_dry_run_does_not_remember(journal: Journal) -> None:
    resolution = resolve(journal, remember=False)
    assert resolution.assignments.clients == {"c1": "1"}
    assert all("remembered" not in note for note in resolution.notes)
    assert journal.assignments(ACCOUNT, "customer") == {}


def test_remembered_assignment_beats_the_name_match(journal: Journal) -> None:
    journal.assign(ACCOUNT, "customer", "c1", "4", "Alpenblick Tourismus AG")
    journal.assign(ACCOUNT, "service", "s1", "903", "Konzeption & Design")
    resolution = resolve(journal)
    assert resolution.assignments.clients == {"c1": "4"}
    assert resolution.assignments.articles == {"s1": "903"}
    assert resolution.notes == []


def test_explicit_choice_beats_remembered_and_name_and_is_remembered(journal: Journal) -> None:
    journal.assign(ACCOUNT, "customer", "c1", "4", "Alpenblick Tourismus AG")
    resolution = resolve(journal, client_choice={"c1": "5"}, article_choice={"s1": "901"})
    assert resolution.assignments.clients == {"c1": "5"}
    assert resolution.assignments.articles == {"s1": "901"}
    assert any("as given" in note for note in resolution.notes)
    assert journal.assignments(ACCOUNT, "customer") == {"c1": "5"}
    assert journal.assignments(ACCOUNT, "service") == {"s1": "901"}


def test_a_remembered_client_deleted_in_billomat_falls_back_to_the_name(journal: Journal) -> None:
    journal.assign(ACCOUNT, "customer", "c1", "777", "gone")
    assert resolve(journal).assignments.clients == {"c1": "1"}


def test_assignments_belong_to_one_tracker_account(journal: Journal) -> None:
    journal.assign("clockodo:anna@example.org", "customer", "c1", "4")
    assert resolve(journal).assignments.clients == {"c1": "1"}


def test_no_match_leaves_the_customer_unassigned_and_the_service_free_text(
    journal: Journal,
) -> None:
    resolution = resolve(
        journal,
        customers={"c8": "Brückner Maschinenbau GmbH", "c4": "Höfer Logistik AG"},
        services={"s4": "Projektmanagement"},
    )
    assert resolution.assignments.clients == {}
    assert resolution.unassigned_customers == {
        "c8": "Brückner Maschinenbau GmbH",
        "c4": "Höfer Logistik AG",
    }
    assert resolution.free_text_services == {"s4": "Projektmanagement"}
    assert journal.assignments(ACCOUNT, "customer") == {}


# -- per-client settings -------------------------------------------------------------------
def test_client_options_layer_defaults_remembered_and_flags(journal: Journal) -> None:
    base = PlanOptions(default_vat=Decimal(19))
    alpen = CLIENTS[3]
    fresh = assign.client_options(journal, ACCOUNT, alpen, base)
    assert fresh.grouping == "service" and fresh.currency == "CHF"

    chosen = assign.client_options(
        journal, ACCOUNT, alpen, base, {"grouping": "day", "round_to": 15, "rate_override": "110"}
    )
    assign.remember_client_options(journal, ACCOUNT, alpen.id, chosen)
    again = assign.client_options(journal, ACCOUNT, alpen, base)
    assert (again.grouping, again.round_to, again.rate_override) == ("day", 15, Decimal("110"))

    # A flag given now wins over the remembered value; None means "not given".
    now = assign.client_options(
        journal, ACCOUNT, alpen, base, {"grouping": "user", "round_to": None}
    )
    assert (now.grouping, now.round_to) == ("user", 15)


def test_reverse_charge_means_zero_vat(journal: Journal) -> None:
    base = PlanOptions(default_vat=Decimal(19))
    options = assign.client_options(
        journal, ACCOUNT, CLIENTS[0], base, {"reverse_charge": True, "default_vat": Decimal(19)}
    )
    assert options.reverse_charge and options.default_vat == 0
    assert options.currency == "EUR"
