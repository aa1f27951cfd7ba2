"""Hours and amounts as the user's language writes them (German: 1.234,50)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from timebill.tui.i18n import language

CENT = Decimal("0.01")
_GERMAN = str.maketrans(",.", ".,")


def _localize(text: str) -> str:
    if language() == "de":
        return text.translate(_GERMAN)
    return text


def hours(minutes: int, *, grouping: bool = False) -> str:
    value = (Decimal(minutes) / 60).quantize(CENT, ROUND_HALF_UP)
    return _localize(f"{value:,.2f}" if grouping else f"{value:.2f}")


def amount(value: Decimal | None, *, grouping: bool = False) -> str:
    if value is None:
        return ""
    value = value.quantize(CENT, ROUND_HALF_UP)
    return _localize(f"{value:,.2f}" if grouping else f"{value:.2f}")


def count(value: int) -> str:
    return _localize(f"{value:,}")
