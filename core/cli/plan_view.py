"""An invoice plan as plain text, for the headless commands (the app has its own preview)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from timebill.core.cli.table import render
from timebill.core.invoicing.builder import SkippedEntry
from timebill.core.invoicing.texts import SKIP_MESSAGES
from timebill.core.models import InvoicePlan
from timebill.core.money import format_amount
from timebill.core.text import one_line


def render_plan(plan: InvoicePlan, skipped: Sequence[SkippedEntry] = ()) -> str:
    cur = plan.currency
    rows = [
        (
            str(number),
            line.title,
            f"{line.quantity}",
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
        f"{len(plan.entry_ids)} entries, {len(plan.lines)} lines",
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
    if skipped:
        # The CLI speaks English; the skip messages follow the invoice's language.
        counts = Counter(SKIP_MESSAGES["en"].get(item.reason, item.message) for item in skipped)
        out.append("")
        out.append("Not billed: " + ", ".join(f"{n} {why}" for why, n in counts.most_common()))
    return "\n".join(out)
