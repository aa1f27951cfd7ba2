"""Cent rounding, invoice totals and how an amount is written: the one rule the preview and the
Billomat emulator share, and the one formatter every screen and command uses.

shared/api/billomat.md §6: a line's net is quantity × unit_price (minus its reduction), rounded to
cents half up, once per line; the tax of each (name, rate) is computed on the sum of its lines'
nets and rounded to cents; gross = net + taxes. Billomat's own rule is UNCERTAIN (its responses
carry `*_plain` and `*_rounded` variants); keeping the rule here, in one place, means the preview
equals the draft the sandbox computes to the cent, and a correction lands everywhere at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from timebill.core.models import TaxTotal, TimeEntry

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    """Round to cents, half up (kaufmännisches Runden), as invoices do."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


_GERMAN = str.maketrans(",.", ".,")


def format_amount(
    value: Decimal | None,
    currency: str = "",
    *,
    language: str = "en",
    grouping: bool = True,
    exact: bool = False,
) -> str:
    """An amount as the user reads it: rounded to cents half up (as invoices are), thousands
    grouped unless `grouping` is off, German separators for "de" (1.234,50), the currency (if
    any) after it. None is "". `exact` (quantities): every decimal the value has, at least
    two, so 10.7333 h is shown as it is billed."""
    if value is None:
        return ""
    places = 2
    if exact:
        exponent = value.normalize().as_tuple().exponent
        places = max(2, -exponent) if isinstance(exponent, int) else 2
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}" if grouping else f"{rounded:.{places}f}"
    if language == "de":
        text = text.translate(_GERMAN)
    return f"{text} {currency}".strip()


def plain(number: Decimal) -> Decimal:
    """The number without trailing zeros and never in exponent form: 19.00 -> 19, 10 -> 10."""
    normalized = number.normalize()
    exponent = normalized.as_tuple().exponent
    return (
        normalized.quantize(Decimal(1))
        if isinstance(exponent, int) and exponent > 0
        else normalized
    )


def line_net(
    quantity: Decimal, unit_price: Decimal, reduction: Decimal | str | None = None
) -> Decimal:
    """A line's net in cents: quantity × unit_price minus the reduction, rounded once.

    `reduction` follows Billomat's item field: an absolute amount ("10") or a percentage ("10%").
    timebill never sets one; the emulator uses it for items created by other clients."""
    unreduced = quantity * unit_price
    if reduction is None or reduction == "":
        return cents(unreduced)
    if isinstance(reduction, str) and reduction.strip().endswith("%"):
        percent = Decimal(reduction.strip()[:-1].strip())
        return cents(unreduced - unreduced * percent / HUNDRED)
    return cents(unreduced - Decimal(reduction))


class TaxedLine(Protocol):
    """What the totals need of a line; InvoiceLine fits it."""

    @property
    def tax_name(self) -> str: ...

    @property
    def tax_rate(self) -> Decimal: ...

    @property
    def total_net(self) -> Decimal: ...


@dataclass(frozen=True)
class Totals:
    net: Decimal
    taxes: tuple[TaxTotal, ...]
    gross: Decimal


def tax_totals(lines: Iterable[TaxedLine]) -> tuple[TaxTotal, ...]:
    """One TaxTotal per (name, rate), on the sum of its lines' (already rounded) nets.

    Ordered by rate descending, then name, so 19 % comes before 7 % as on a German invoice."""
    nets: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line.tax_name, plain(Decimal(line.tax_rate)))
        nets[key] = nets.get(key, Decimal("0")) + line.total_net
    ordered = sorted(nets.items(), key=lambda item: (-item[0][1], item[0][0]))
    return tuple(
        TaxTotal(name=name, rate=rate, net=cents(net), amount=cents(net * rate / HUNDRED))
        for (name, rate), net in ordered
    )


def totals(lines: Iterable[TaxedLine]) -> Totals:
    """Net, taxes and gross of a set of lines, by the rule in this module's docstring."""
    materialized = list(lines)
    net = cents(sum((line.total_net for line in materialized), Decimal("0")))
    taxes = tax_totals(materialized)
    gross = net + sum((tax.amount for tax in taxes), Decimal("0"))
    return Totals(net=net, taxes=taxes, gross=cents(gross))


def entry_amount(entry: TimeEntry) -> Decimal | None:
    """What the entry is worth as the tracker sees it (for display; invoices compute their own)."""
    if entry.kind == "lumpsum":
        return entry.lumpsum_amount
    if entry.revenue is not None:
        return entry.revenue
    if entry.hourly_rate is not None:
        return cents(entry.hours * entry.hourly_rate)
    return None
