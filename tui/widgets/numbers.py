"""Hours and amounts as the user's language writes them (German: 1.234,50), through the one
formatter in timebill.core.money."""

from __future__ import annotations

from decimal import Decimal

from timebill.core.money import format_amount
from timebill.tui.i18n import language


def hours(minutes: int, *, grouping: bool = False) -> str:
    return format_amount(Decimal(minutes) / 60, language=language(), grouping=grouping)


def amount(value: Decimal | None, *, grouping: bool = False, exact: bool = False) -> str:
    """Money to the cent; `exact` for quantities (every decimal they have, at least two)."""
    return format_amount(value, language=language(), grouping=grouping, exact=exact)


def money(value: Decimal, currency: str = "") -> str:
    """An amount with its currency, thousands grouped: totals and drafts."""
    return format_amount(value, currency, language=language())


def count(value: int) -> str:
    return f"{value:,}".replace(",", ".") if language() == "de" else f"{value:,}"
