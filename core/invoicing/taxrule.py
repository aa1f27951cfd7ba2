"""Which VAT a client's invoice carries: the Billomat client's `tax_rule`, `country_code` and
`vat_number`, or the user's per-client override. Pure, no I/O.

A German bookkeeper's reading of Billomat's rules (how Billomat itself treats a line that carries
its own `tax_rate` is UNCERTAIN, so timebill decides the rate and always sends it):

- TAX: domestic VAT (the article's or the default rate), whatever the country.
- NO_TAX: 0 % and no note (the client is exempt; the reason is the user's business).
- COUNTRY (Billomat's default): a German client (or no country) pays domestic VAT; an EU business
  client with a VAT id gets 0 % and the reverse-charge note (§ 13b UStG); an EU client without a
  VAT id is a consumer and pays German VAT; a client outside the EU gets 0 % and the note that
  the service is not taxable in Germany (§ 3a UStG).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from timebill.core.invoicing.texts import REVERSE_CHARGE_NOTE, Language
from timebill.core.models import BillomatClient

Treatment = Literal["domestic", "reverse_charge", "outside_eu", "no_tax"]
Override = Literal["auto", "domestic", "reverse_charge", "outside_eu", "no_tax"]
OVERRIDES: tuple[Override, ...] = ("auto", "domestic", "reverse_charge", "outside_eu", "no_tax")
HOME = "DE"
# EU member states (ISO 3166 alpha-2); Greece's VAT ids start with EL but its country code is GR.
EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)

NOTES: Mapping[Language, Mapping[Treatment, str]] = {
    "de": {
        "domestic": "",
        "reverse_charge": REVERSE_CHARGE_NOTE["de"],
        "outside_eu": "Nicht im Inland steuerbare Leistung (Leistungsort außerhalb Deutschlands, "
        "§ 3a UStG).",
        "no_tax": "",
    },
    "en": {
        "domestic": "",
        "reverse_charge": REVERSE_CHARGE_NOTE["en"],
        "outside_eu": "Not taxable in Germany: the place of supply is outside Germany "
        "(nicht im Inland steuerbar, § 3a UStG).",
        "no_tax": "",
    },
}

TREATMENTS: Mapping[Language, Mapping[Treatment, str]] = {
    "de": {
        "domestic": "Inland, USt.",
        "reverse_charge": "Reverse Charge, 0 %",
        "outside_eu": "nicht im Inland steuerbar, 0 %",
        "no_tax": "steuerfrei, 0 %",
    },
    "en": {
        "domestic": "domestic VAT",
        "reverse_charge": "reverse charge, 0 %",
        "outside_eu": "not taxable in Germany, 0 %",
        "no_tax": "no VAT, 0 %",
    },
}

REASONS: Mapping[Language, Mapping[str, str]] = {
    "de": {
        "override": "für diesen Kunden so eingestellt",
        "zero_vat": "USt. 0 % für diesen Kunden eingestellt",
        "tax": "Steuerregel des Kunden: TAX",
        "no_tax": "Steuerregel des Kunden: NO_TAX",
        "home": "Kunde in {country}",
        "eu_business": "EU-Unternehmen in {country} mit USt-IdNr. {vat}",
        "eu_consumer": "Kunde in {country} (EU) ohne USt-IdNr.",
        "outside_eu": "Kunde in {country}, außerhalb der EU",
        "unknown": "Kunde nicht in Billomat geladen",
    },
    "en": {
        "override": "set for this client",
        "zero_vat": "VAT 0 % set for this client",
        "tax": "the client's tax rule is TAX",
        "no_tax": "the client's tax rule is NO_TAX",
        "home": "client in {country}",
        "eu_business": "EU business in {country} with VAT id {vat}",
        "eu_consumer": "client in {country} (EU) without a VAT id",
        "outside_eu": "client in {country}, outside the EU",
        "unknown": "client not loaded from Billomat",
    },
}


@dataclass(frozen=True)
class TaxDecision:
    treatment: Treatment
    reason: str
    country: str = ""
    vat_number: str = ""

    @property
    def zero(self) -> bool:
        return self.treatment != "domestic"

    def note(self, language: Language) -> str:
        return NOTES[language][self.treatment]


def by_rule(client: BillomatClient | None) -> TaxDecision:
    """What the client's own settings say."""
    if client is None:
        return TaxDecision("domestic", "unknown")
    country = (client.country_code or HOME).strip().upper() or HOME
    vat = (client.vat_number or "").strip()
    if client.tax_rule == "TAX":
        return TaxDecision("domestic", "tax", country)
    if client.tax_rule == "NO_TAX":
        return TaxDecision("no_tax", "no_tax", country)
    if country == HOME:
        return TaxDecision("domestic", "home", country)
    if country in EU:
        if vat:
            return TaxDecision("reverse_charge", "eu_business", country, vat)
        return TaxDecision("domestic", "eu_consumer", country)
    return TaxDecision("outside_eu", "outside_eu", country)


def decide(client: BillomatClient | None, override: Override, zero_vat: bool) -> TaxDecision:
    """The client's rule unless the user chose otherwise for this client. `zero_vat` is the old
    `--vat 0` (reverse charge): it keeps a rule that already gives 0 % (a Swiss client keeps its
    "not taxable in Germany" note) and turns domestic VAT into the reverse charge."""
    ruled = by_rule(client)
    if override != "auto":
        return TaxDecision(override, "override", ruled.country, ruled.vat_number)
    if zero_vat and not ruled.zero:
        return TaxDecision("reverse_charge", "zero_vat", ruled.country, ruled.vat_number)
    return ruled


def describe(treatment: str, reason: str, country: str, language: Language, vat: str = "") -> str:
    """`reverse charge, 0 % (EU business in AT with VAT id ATU1234)` in `language`."""
    what = TREATMENTS[language].get(treatment, treatment)  # type: ignore[call-overload]
    why = REASONS[language].get(reason, reason).format(country=country or HOME, vat=vat or "-")
    return f"{what} ({why})" if reason else what
