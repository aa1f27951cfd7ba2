"""An invoice plan as plain text, for the headless commands (the app has its own preview)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from timebill.core.cli.table import render
from timebill.core.invoicing import plausibility, taxrule
from timebill.core.invoicing.builder import SkippedEntry
from timebill.core.invoicing.texts import SKIP_MESSAGES
from timebill.core.models import InvoicePlan
from timebill.core.money import Totals, format_amount
from timebill.core.text import counted, one_line


def signed(amount: Decimal, currency: str = "") -> str:
    return ("+" if amount > 0 else "") + format_amount(amount, currency)


def tax_line(plan: InvoicePlan) -> str:
    """Which VAT rule applied and why (the CLI speaks English)."""
    rule = taxrule.describe(
        plan.tax_treatment, plan.tax_reason, plan.tax_country, "en", plan.tax_vat_id
    )
    prices = "gross (sent with VAT included)" if plan.net_gross == "GROSS" else "net"
    return f"VAT: {rule}; prices {prices}, in {plan.currency}"


def rounding_line(plan: InvoicePlan) -> str:
    """What rounding changed against the tracker's exact minutes; "" if nothing."""
    if plan.exact_net is None or not any(line.rounding_note for line in plan.lines):
        return ""
    difference = plan.total_net - plan.exact_net
    if not difference:
        return ""
    return (
        f"Rounding: {signed(difference, plan.currency)} net against the tracker's exact "
        f"minutes ({format_amount(plan.exact_net, plan.currency)})"
    )


def implausible_lines(plan: InvoicePlan) -> list[str]:
    return [f"  implausible: {text}" for text in plausibility.summary(plan.implausible, "en")]


def draft_total_line(number: str, before: Totals, after: Totals, currency: str) -> str:
    return (
        f"Draft {number}: net {format_amount(before.net, currency)} now, "
        f"{format_amount(after.net, currency)} with these lines "
        f"(gross {format_amount(after.gross, currency)})"
    )


# How much of the invoice's title, intro and closing note the plan shows (on one line each).
TEXT_WIDTH = 100


def render_plan(plan: InvoicePlan, skipped: Sequence[SkippedEntry] = ()) -> str:
    cur = plan.currency
    rows = [
        (
            str(number),
            line.title,
            f"{line.quantity:f}",
            line.unit,
            format_amount(line.unit_price),
            f"{line.tax_rate.normalize():f} %",
            format_amount(line.total_net),
        )
        for number, line in enumerate(plan.lines, start=1)
    ]
    table = render(
        ("#", "line", "qty", "unit", "price", "VAT", "net"),
        rows,
        right={0, 2, 4, 5, 6},
        max_widths={1: 34},
    )
    out = [
        f"Draft for {one_line(plan.client_name or plan.client_id)} (Billomat client {plan.client_id})",
        f"Service period: {plan.service_start:%d.%m.%Y} – {plan.service_end:%d.%m.%Y}, "
        f"{counted(len(plan.entry_ids), 'entry', 'entries')}, {counted(len(plan.lines), 'line', 'lines')}",
        # The client's texts (empty intro/note: the Billomat account's own texts apply).
        *(
            f"{label}: {one_line(value, TEXT_WIDTH)}"
            for label, value in (
                ("Title", plan.title),
                ("Intro", plan.intro),
                ("Closing note", plan.note),
            )
            if value
        ),
        "",
        table,
        "",
        f"{'Net':>12}  {format_amount(plan.total_net, cur)}",
    ]
    for tax in plan.taxes:
        out.append(
            f"{one_line(tax.name)} {tax.rate.normalize():f} %".rjust(12)
            + f"  {format_amount(tax.amount, cur)}"
        )
    out.append(f"{'Gross':>12}  {format_amount(plan.total_gross, cur)}")
    out.append("")
    out.append(tax_line(plan))
    if plan.tax_note:
        out.append(f"Note added to the draft: {one_line(plan.tax_note)}")
    if rounding := rounding_line(plan):
        out.append(rounding)
    if plan.implausible:
        out.append("")
        out.append(f"{len(plan.implausible)} implausible:")
        out.extend(implausible_lines(plan))
    if skipped:
        # The CLI speaks English; the skip messages follow the invoice's language.
        counts = Counter(SKIP_MESSAGES["en"].get(item.reason, item.message) for item in skipped)
        out.append("")
        out.append("Not billed: " + ", ".join(f"{n} {why}" for why, n in counts.most_common()))
    return "\n".join(out)
