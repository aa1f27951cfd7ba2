"""`timebill entries`: the configured tracker's entries for a period, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from decimal import Decimal

from timebill.core.cli.table import render
from timebill.core.errors import AuthenticationError, NotFoundError, TimebillError, UsageError
from timebill.core.models import ENTRY_FIELDS, Customer, TimeEntry
from timebill.core.money import entry_amount, format_amount
from timebill.core.sources.base import TimeSource
from timebill.core.text import clean, counted

FIELDS = ENTRY_FIELDS
CENT = Decimal("0.01")


class UnknownCustomerError(UsageError):
    """--customer names no tracker customer, or several: bad usage (exit 2)."""


def entry_state(entry: TimeEntry) -> str:
    if entry.running:
        return "running"
    if entry.billed:
        return "billed"
    return "open" if entry.billable else "not billable"


def find_customer(customers: Sequence[Customer], wanted: str) -> Customer:
    """By id, then exact name (case-insensitive), then a unique substring of the name."""
    key = wanted.strip().casefold()
    for customer in customers:
        if customer.id == wanted.strip():
            return customer
    exact = [c for c in customers if c.name.casefold() == key]
    if len(exact) == 1:
        return exact[0]
    partial = [c for c in customers if key and key in c.name.casefold()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(clean(c.name) for c in partial[:6])
        raise UnknownCustomerError(f"customer {wanted!r} is ambiguous: it matches {names}.")
    known = ", ".join(clean(c.name) for c in customers[:8])
    raise UnknownCustomerError(
        f"unknown customer {wanted!r}."
        + (
            f" Known customers: {known}" + ("…" if len(customers) > 8 else "") + "."
            if known
            else ""
        )
    )


async def fetch(
    source: TimeSource, start: dt.date, end: dt.date, customer: str | None
) -> list[TimeEntry]:
    try:
        customer_id = None
        if customer:
            customer_id = find_customer(await source.customers(), customer).id
        entries = await source.entries(start, end, customer_id=customer_id)
    except (AuthenticationError, NotFoundError) as exc:
        # A list call's 401/404 says little (mite: "not found (/time_entries.json)" for an
        # unknown account); verify() tells an unknown account from a refused key.
        try:
            await source.verify()
        except TimebillError as specific:
            raise specific from None
        raise exc
    return sorted(entries, key=lambda e: (e.date, e.customer_name or "", e.id))


def as_json(entries: Sequence[TimeEntry]) -> str:
    # as_json: dates ISO, Decimal as strings (money never becomes a float).
    text = json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=2)
    return _NOT_ASCII.sub(_json_safe, text)


# Notes keep every character (JSON is for programs), but what a terminal would act on (DEL, C1
# controls such as CSI, bidi overrides, line separators) is written as a \u escape: json.dumps
# escapes only C0 controls, and the output is often just printed.
_NOT_ASCII = re.compile(r"[^\x20-\x7e\n]")


def _json_safe(match: re.Match[str]) -> str:
    ch = match.group()
    if ch.isprintable() or ch in "\u200d\u200c":  # ZWJ/ZWNJ join emoji and scripts
        return ch
    units = ch.encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) leaks
# data, =cmd|... runs programs); a leading quote makes it text, as OWASP advises for CSV export.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain negative number (a correction entry's -15 minutes, -12.50) is no formula: kept as is so
# the column stays numeric.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def csv_cell(value: object) -> str:
    """`value` as a CSV cell a spreadsheet shows as text: terminal controls removed (`clean`),
    a cell that could start a formula prefixed with a single quote."""
    # The same spelling as the JSON output: true/false, not Python's True/False.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    raw = str(value)
    text = clean(raw)
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    # `clean` turns a leading tab or CR into a space; spreadsheets skip leading blanks.
    if raw.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text


def as_csv(entries: Sequence[TimeEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for entry in entries:
        row = entry.as_json()
        writer.writerow([csv_cell(row[f]) for f in FIELDS])
    return out.getvalue()


def as_table(entries: Sequence[TimeEntry]) -> str:
    rows = []
    total_minutes = 0
    total_amount = Decimal("0")
    for e in entries:
        amount = entry_amount(e)
        total_minutes += e.minutes
        total_amount += amount or 0
        rows.append(
            (
                e.date.isoformat(),
                e.customer_name or "–",
                e.project_name or "–",
                e.service_name or "–",
                e.user_name or "–",
                f"{e.hours:.2f}",
                format_amount(amount, grouping=False),
                e.note,
                entry_state(e),
            )
        )
    table = render(
        ("date", "customer", "project", "service", "user", "hours", "amount", "note", "state"),
        rows,
        right={5, 6},
        max_widths={1: 24, 2: 18, 3: 16, 4: 14, 7: 40},
    )
    hours = Decimal(total_minutes) / 60
    total = format_amount(total_amount, grouping=False)
    return f"{table}\n{counted(len(entries), 'entry', 'entries')}, {hours:.2f} h, {total}"
