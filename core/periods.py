"""Billing periods: the presets users pick (this month, last month, this quarter) and date parsing."""

from __future__ import annotations

import datetime as dt

from timebill.core.errors import UsageError


class PeriodError(UsageError):
    """A date or period the user typed is not valid."""


def month_range(day: dt.date, months_back: int = 0) -> tuple[dt.date, dt.date]:
    index = day.year * 12 + day.month - 1 - months_back
    start = dt.date(index // 12, index % 12 + 1, 1)
    nxt = dt.date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def quarter_range(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = dt.date(day.year, first_month, 1)
    end = month_range(dt.date(day.year, first_month + 2, 1))[1]
    return start, end


PRESETS = {
    "this-month": lambda today: month_range(today),
    "last-month": lambda today: month_range(today, 1),
    "this-quarter": quarter_range,
    "last-quarter": lambda today: quarter_range(month_range(today, 3)[0]),
}


def parse_date(text: str, what: str = "date") -> dt.date:
    """ISO `YYYY-MM-DD`, or German `DD.MM.YYYY` / `DD.MM.YY` (a two-digit year is 20YY, as a
    German user writing `01.11.26` means 2026); anything else is refused with an example.

    A year of three digits, or of one, is refused rather than read as the year 26 or 2: that
    pulled in entries of the wrong century without a word."""
    value = text.strip()
    try:
        if "." in value:
            day, month, year = (part.strip() for part in value.split("."))
            if not (day.isdigit() and month.isdigit() and year.isdigit()):
                raise ValueError(value)
            if len(year) == 2:
                return dt.date(2000 + int(year), int(month), int(day))
            if len(year) != 4:
                raise ValueError(value)
            return dt.date(int(year), int(month), int(day))
        return dt.date.fromisoformat(value) if len(value) == 10 else _refuse()
    except ValueError:
        raise PeriodError(
            f"{what} {text!r} is not a valid date: use YYYY-MM-DD (e.g. 2026-10-31), DD.MM.YYYY "
            "or DD.MM.YY (e.g. 31.10.26)."
        ) from None


def _refuse() -> dt.date:
    raise ValueError("not a date")


def period_text(start: dt.date, end: dt.date) -> str:
    """The resolved period as printed by the commands: `01.11.2026 – 30.11.2026`."""
    return f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"


def resolve(
    start: str | None, end: str | None, preset: str | None = None, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The period from --from/--to or a preset; last month when nothing is given."""
    today = today or dt.date.today()
    if preset:
        if preset not in PRESETS:
            raise PeriodError(f"unknown period {preset!r}: use one of {', '.join(PRESETS)}.")
        default_start, default_end = PRESETS[preset](today)
    else:
        default_start, default_end = month_range(today, 1)
    first = parse_date(start, "--from") if start else default_start
    last = parse_date(end, "--to") if end else default_end
    if last < first:
        raise PeriodError(f"the period is backwards: --from {first} is after --to {last}.")
    return first, last
