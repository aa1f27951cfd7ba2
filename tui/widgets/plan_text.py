"""An invoice plan as short texts for the screens: money, VAT rates, the service period, the
totals line, the chosen options and why entries were left out."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from rich.text import Text
from timebill.core.invoicing import plausibility, taxrule
from timebill.core.invoicing.builder import PlanOptions, SkippedEntry
from timebill.core.models import InvoicePlan
from timebill.core.money import Totals
from timebill.core.text import one_line
from timebill.tui.i18n import language, register, t
from timebill.tui.widgets import numbers
from timebill.tui.widgets.numbers import money

STRINGS = {
    "plan.net": {"en": "Net", "de": "Netto"},
    "plan.gross": {"en": "Gross", "de": "Brutto"},
    "plan.period": {
        "en": "service period {start} – {end}",
        "de": "Leistungszeitraum {start} – {end}",
    },
    "plan.grouping": {"en": "Grouping", "de": "Gruppierung"},
    "plan.rounding": {"en": "Rounding", "de": "Rundung"},
    "plan.target": {"en": "Into", "de": "In"},
    "plan.group.entry": {"en": "per entry", "de": "je Eintrag"},
    "plan.group.day": {"en": "per day", "de": "je Tag"},
    "plan.group.service": {"en": "per service", "de": "je Leistung"},
    "plan.group.project": {"en": "per project", "de": "je Projekt"},
    "plan.group.project_service": {"en": "project & service", "de": "Projekt & Leistung"},
    "plan.group.user": {"en": "per person", "de": "je Person"},
    "plan.round.none": {"en": "none", "de": "keine"},
    "plan.round.minutes": {"en": "{minutes} min per {per}", "de": "{minutes} Min. je {per}"},
    "plan.round.per.entry": {"en": "entry", "de": "Eintrag"},
    "plan.round.per.line": {"en": "line", "de": "Position"},
    "plan.new_draft": {"en": "new draft", "de": "neuen Entwurf"},
    "plan.existing_draft": {"en": "draft {draft}", "de": "Entwurf {draft}"},
    "plan.skipped": {"en": "Not billed: {reasons}", "de": "Nicht abgerechnet: {reasons}"},
    "plan.vat": {"en": "VAT", "de": "USt."},
    "plan.prices.NET": {"en": "net prices", "de": "Nettopreise"},
    "plan.prices.GROSS": {
        "en": "gross prices (sent with VAT)",
        "de": "Bruttopreise (mit USt. übertragen)",
    },
    "plan.rounding_changed": {
        "en": "Rounding {difference} against the tracker's exact minutes ({exact})",
        "de": "Rundung {difference} gegenüber den genauen Minuten ({exact})",
    },
    "plan.draft_total": {
        "en": "Draft {draft}: net {before} now, {after} with these lines (gross {gross})",
        "de": "Entwurf {draft}: jetzt netto {before}, mit diesen Positionen {after} "
        "(brutto {gross})",
    },
    "plan.implausible": {
        "en": "{n} implausible, check before creating:",
        "de": "{n} unplausibel, vor dem Anlegen prüfen:",
    },
    "plan.skip.duplicate": {"en": "{n} twice in the selection", "de": "{n} doppelt gewählt"},
    "plan.skip.billed": {"en": "{n} already billed", "de": "{n} schon abgerechnet"},
    "plan.skip.running": {"en": "{n} timer running", "de": "{n} mit laufender Stoppuhr"},
    "plan.skip.in_progress": {
        "en": "{n} on another invoice in progress",
        "de": "{n} auf einer anderen Rechnung in Arbeit",
    },
    "plan.skip.not_billable": {"en": "{n} not billable", "de": "{n} nicht abrechenbar"},
    "plan.skip.invalid": {"en": "{n} with a negative duration", "de": "{n} mit negativer Dauer"},
    "plan.skip.no_customer": {"en": "{n} without customer", "de": "{n} ohne Kunde"},
    "plan.skip.unassigned": {"en": "{n} without Billomat client", "de": "{n} ohne Billomat-Kunde"},
    "plan.skip.other_customer": {"en": "{n} of another client", "de": "{n} eines anderen Kunden"},
}
register(STRINGS)


def percent(rate: Decimal) -> str:
    text = f"{rate.normalize():f}"
    return (text.replace(".", ",") if language() == "de" else text) + " %"


def date_text(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def period_text(plan: InvoicePlan) -> str:
    return t("plan.period", start=date_text(plan.service_start), end=date_text(plan.service_end))


def totals_text(plan: InvoicePlan) -> Text:
    """Net, each tax and gross on one line (the currency once, at the end)."""
    text = Text()
    text.append(f"{t('plan.net')} ", style="dim")
    text.append(numbers.money(plan.total_net))
    for tax in plan.taxes:
        text.append(f" · {one_line(tax.name)} {percent(tax.rate)} ", style="dim")
        text.append(numbers.money(tax.amount))
    text.append(f" · {t('plan.gross')} ", style="dim")
    text.append(numbers.money(plan.total_gross, plan.currency), style="bold")
    return text


def rounding_label(options: PlanOptions) -> str:
    if not options.round_to:
        return t("plan.round.none")
    per = t(f"plan.round.per.{options.round_per}")
    return t("plan.round.minutes", minutes=options.round_to, per=per)


def options_text(options: PlanOptions, into_draft: str | None, draft_label: str) -> Text:
    text = Text()
    for label, value, key in (
        (t("plan.grouping"), t(f"plan.group.{options.grouping}"), "g"),
        (t("plan.rounding"), rounding_label(options), "r"),
        (
            t("plan.target"),
            t("plan.existing_draft", draft=one_line(draft_label or into_draft, 36))
            if into_draft
            else t("plan.new_draft"),
            "d",
        ),
    ):
        if text:
            text.append("  ")
        text.append(f"{label} ", style="dim")
        text.append(value, style="bold")
        text.append(f" [{key}]", style="dim")
    return text


def skipped_text(skipped: Sequence[SkippedEntry]) -> Text:
    counts = Counter(item.reason for item in skipped)
    if not counts:
        return Text()
    reasons = ", ".join(t(f"plan.skip.{reason}", n=n) for reason, n in counts.most_common())
    return Text(t("plan.skipped", reasons=reasons), style="dim")


def _language() -> str:
    return "de" if language() == "de" else "en"


def tax_text(plan: InvoicePlan) -> Text:
    """Which VAT rule applied and why, how prices are sent, the currency."""
    lang = _language()
    rule = taxrule.describe(
        plan.tax_treatment,
        plan.tax_reason,
        plan.tax_country,
        lang,  # type: ignore[arg-type]
        plan.tax_vat_id,
    )
    text = Text()
    text.append(f"{t('plan.vat')} ", style="dim")
    text.append(rule)
    text.append(f" · {t(f'plan.prices.{plan.net_gross}')} · {plan.currency}", style="dim")
    text.append(" [t]", style="dim")
    return text


def rounding_text(plan: InvoicePlan) -> str:
    """What rounding changed against the tracker's exact minutes; "" when nothing."""
    if plan.exact_net is None or not any(line.rounding_note for line in plan.lines):
        return ""
    difference = plan.total_net - plan.exact_net
    if not difference:
        return ""
    sign = "+" if difference > 0 else ""
    return t(
        "plan.rounding_changed",
        difference=sign + money(difference, plan.currency),
        exact=money(plan.exact_net, plan.currency),
    )


def draft_total_text(label: str, before: Totals, after: Totals, currency: str) -> str:
    return t(
        "plan.draft_total",
        draft=one_line(label, 24),
        before=money(before.net),
        after=money(after.net),
        gross=money(after.gross, currency),
    )


def implausible_text(plan: InvoicePlan) -> Text:
    if not plan.implausible:
        return Text()
    text = Text(t("plan.implausible", n=len(plan.implausible)), style="bold")
    for line in plausibility.summary(plan.implausible, _language()):  # type: ignore[arg-type]
        text.append(f"\n  {line}")
    return text
