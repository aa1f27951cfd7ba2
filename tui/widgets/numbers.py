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


def amount(value: Decimal | None, *, grouping: bool = False, places: int | None = 2) -> str:
    """Money to the cent; with `places=None` (quantities) every decimal the value has, at
    least two, so a quantity of 10.7333 h is shown as it is billed."""
    if value is None:
        return ""
    if places is None:
        exponent = value.normalize().as_tuple().exponent
        decimals = max(2, -exponent) if isinstance(exponent, int) else 2
        value = value.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
        spec = f",.{decimals}f" if grouping else f".{decimals}f"
        return _localize(format(value, spec))
    value = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return _localize(format(value, f",.{places}f" if grouping else f".{places}f"))


def count(value: int) -> str:
    return _localize(f"{value:,}")
