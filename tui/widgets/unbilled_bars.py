"""The unbilled overview's bars as Rich text: one stacked bar per customer, a segment per month,
scaled to the largest customer's amount. Each month has its own glyph (oldest solid, newest
light), so the chart reads without colour (NO_COLOR, SSH); months before last month are drawn in
the theme's warning colour, as what has waited longest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from rich.text import Text
from timebill.core.billing.unbilled import CustomerOpen
from timebill.tui.i18n import language

# At most six months: beyond that, glyphs would repeat and segments could not be told apart.
GLYPHS = {1: "█", 2: "█░", 3: "█▓░", 4: "█▓▒░", 5: "█▓▒░▞", 6: "█▓▒░▞▖"}
EMPTY = "·"
MONTHS_DE = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def glyphs(count: int) -> str:
    if count not in GLYPHS:
        raise ValueError(f"the chart shows 1 to {len(GLYPHS)} months, not {count}")
    return GLYPHS[count]


def month_name(day: dt.date) -> str:
    return (MONTHS_DE if language() == "de" else MONTHS_EN)[day.month - 1]


def segments(
    row: CustomerOpen, months: Sequence[dt.date], scale: Decimal, width: int
) -> list[tuple[int, int]]:
    """(month index, cells) per month with an amount. Cumulative rounding: the segments add up
    to the bar the total deserves, and a month with any amount gets at least one cell."""
    if scale <= 0:
        return []
    out: list[tuple[int, int]] = []
    done = 0
    running = Decimal(0)
    for index, month in enumerate(months):
        amount = row.by_month.get(month, Decimal(0))
        if amount <= 0:
            continue
        running += amount
        end = int((running / scale * width).to_integral_value())
        cells = max(1, end - done)
        cells = min(cells, width - done)
        if cells > 0:
            out.append((index, cells))
            done += cells
    return out


def bar(
    row: CustomerOpen,
    months: Sequence[dt.date],
    scale: Decimal,
    width: int,
    styles: Sequence[str],
) -> Text:
    """The stacked bar, padded to `width` with a faint dot line (the rest of the scale)."""
    marks = glyphs(len(months))
    text = Text(no_wrap=True, overflow="crop")
    used = 0
    for index, cells in segments(row, months, scale, width):
        text.append(marks[index] * cells, style=styles[index])
        used += cells
    if used == 0 and row.minutes:
        text.append("▏", style="dim")  # hours without a price: no money to draw
        used = 1
    text.append(EMPTY * (width - used), style="dim")
    return text


def legend(months: Sequence[dt.date], styles: Sequence[str]) -> Text:
    marks = glyphs(len(months))
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, month in enumerate(months):
        if index:
            text.append(" ")
        text.append(marks[index] * 2, style=styles[index])
        text.append(f" {month_name(month)}")
    return text
