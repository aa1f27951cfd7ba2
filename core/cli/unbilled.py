"""`timebill unbilled [--months N] [--format table|json]`: per customer the open (billable, not
billed) hours and amount of the last N months and the age of the oldest open entry, for scripts.

Exit 0 with data, 3 when nothing is unbilled (the README's "nothing to bill")."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the parser is built for every command: no models at import time
    from timebill.core.billing.unbilled import Overview

from timebill.core.cli.exit_codes import EXIT_NOTHING, EXIT_OK

MAX_MONTHS = 24
CENT = Decimal("0.01")
# Not strftime("%b"): that follows the process locale, and scripts parse this header.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def add_command(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "unbilled",
        parents=[common],
        help="open (billable, not billed) hours and amount per customer over the last months",
    )
    parser.add_argument(
        "--months",
        type=_months,
        default=3,
        metavar="N",
        help="this month and the N-1 before it (default 3, at most 24)",
    )
    parser.add_argument(
        "--as-of",
        dest="as_of",
        type=_date,
        metavar="DATE",
        help="count months and ages as of DATE (default: today), for reproducible reports",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")


def _months(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of months") from None
    if not 1 <= value <= MAX_MONTHS:
        raise argparse.ArgumentTypeError(f"--months must be 1 to {MAX_MONTHS}, not {value}")
    return value


def _date(text: str) -> dt.date:
    from timebill.core.periods import PeriodError, parse_date

    try:
        return parse_date(text, "--as-of")
    except PeriodError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def run(settings: Any, args: argparse.Namespace) -> int:
    today = args.as_of or dt.date.today()
    overview = asyncio.run(load(settings, args.months, today))
    text = as_json(overview) if args.format == "json" else as_table(overview)
    sys.stdout.write(text.rstrip("\n") + "\n")
    return EXIT_OK if overview.customers else EXIT_NOTHING


async def load(settings: Any, months: int, today: dt.date) -> Overview:
    from timebill.core.billing.unbilled import unbilled, window
    from timebill.core.connect import open_journal, open_source, tracker_account

    start, end = window(today, months)
    async with open_source(settings) as source:
        entries = await source.entries(start, end, billable=True, billed=False)
    with open_journal(settings) as journal:
        held = journal.in_progress(tracker_account(settings))
    return unbilled(entries, today, months, held=held)


def _hours(minutes: int) -> str:
    return f"{(Decimal(minutes) / 60).quantize(CENT, ROUND_HALF_UP)}"


def _month(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def as_json(overview: Overview) -> str:
    data = {
        "today": overview.today.isoformat(),
        "from": overview.start.isoformat(),
        "to": overview.end.isoformat(),
        "months": [_month(m) for m in overview.months],
        "total": {
            "hours": _hours(overview.minutes),
            "amount": f"{overview.amount:.2f}",
            "entries": overview.entries,
        },
        "customers": [
            {
                "customer_id": c.customer_id or None,
                "customer": c.name,
                "entries": c.entries,
                "unpriced_entries": c.unpriced,
                "hours": _hours(c.minutes),
                "amount": f"{c.amount:.2f}",
                "oldest": c.oldest.isoformat() if c.oldest else None,
                "age_days": c.age_days(overview.today),
                "by_month": {
                    _month(m): {
                        "hours": _hours(c.minutes_by_month.get(m, 0)),
                        "amount": f"{c.by_month.get(m, 0):.2f}",
                    }
                    for m in overview.months
                },
            }
            for c in overview.customers
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_table(overview: Overview) -> str:
    from timebill.core.cli.table import render

    period = f"{overview.start.isoformat()} – {overview.end.isoformat()}"
    if not overview.customers:
        return f"Nothing unbilled in {period}."
    months = [MONTHS[m.month - 1] for m in overview.months]
    rows = []
    for c in overview.customers:
        rows.append(
            (
                c.name or "(no customer)",
                _hours(c.minutes),
                f"{c.amount:.2f}" + ("*" if c.unpriced else ""),
                *(f"{c.by_month[m]:.2f}" if m in c.by_month else "–" for m in overview.months),
                str(c.oldest) if c.oldest else "",
                f"{c.age_days(overview.today)} d",
            )
        )
    numeric = set(range(1, 3 + len(months))) | {len(months) + 4}
    table = render(
        ("customer", "hours", "amount", *months, "oldest", "age"),
        rows,
        right=numeric,
        max_widths={0: 24},
    )
    footer = (
        f"{len(overview.customers)} customers, {overview.entries} open entries, "
        f"{_hours(overview.minutes)} h, {overview.amount:.2f} ({period})"
    )
    if any(c.unpriced for c in overview.customers):
        footer += "\n* some entries have no rate: their hours are counted, not their amount"
    return f"{table}\n{footer}"
