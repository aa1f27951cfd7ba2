"""Cent rounding, invoice totals and how an amount is written: the one rule the preview and the
Billomat emulator share, and the one formatter every screen and command uses.

shared/api/billomat.md §6: a line's net is quantity × unit_price (minus its reduction), rounded to
cents half up, once per line; the tax of each (name, rate) is computed on the sum of its lines'
nets and rounded to cents; gross = net + taxes.

GROSS invoices (`net_gross` GROSS: a unit price includes the tax; Billomat's maths is UNCERTAIN,
digest UNCERTAIN 7): a line's gross is quantity × gross unit price, rounded to cents once; per
(name, rate) the gross of its lines is summed, its net is that gross / (1 + rate), rounded to
cents, and the tax is the difference. timebill keeps its prices net and sends
`gross_unit_price` on a GROSS invoice, so the tracker's rate is what the client pays net. Billomat's own rule is UNCERTAIN (its responses
carry `*_plain` and `*_rounded` variants); keeping the rule here, in one place, means the preview
equals the draft the sandbox computes to the cent, and a correction lands everywhere at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Protocol

from timebill.core.entry import NetGross, TimeEntry

if TYPE_CHECKING:
    from timebill.core.models import TaxTotal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Quantity places where minutes / 60 is not a whole number of hundredths (7 min = 0.116667 h):
# at 6 places the quantity's error stays below 0.5 cent per line for rates under 10,000 an hour.
QUANTITY = Decimal("0.000001")


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


def hours(minutes: int) -> Decimal:
    """Minutes as an invoice quantity in hours: two places where that is exact (90 -> 1.50),
    else six (7 -> 0.116667), so a line's net is the tracker's value to the cent whatever the
    grouping (two places lost up to 0.3 minutes per line)."""
    exact = Decimal(minutes) / 60
    two = cents(exact)
    return two if two == exact else exact.quantize(QUANTITY, rounding=ROUND_HALF_UP)


def gross_unit_price(unit_price: Decimal, tax_rate: Decimal) -> Decimal:
    """The unit price a GROSS invoice carries for a net `unit_price`: exact, no rounding
    (a price in cents times (100 + rate) / 100 has at most four places at whole rates)."""
    return plain(unit_price * (HUNDRED + Decimal(tax_rate)) / HUNDRED)


def net_of_gross(gross: Decimal, tax_rate: Decimal) -> Decimal:
    return cents(gross * HUNDRED / (HUNDRED + Decimal(tax_rate)))


def line_total_net(
    quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, net_gross: NetGross = "NET"
) -> Decimal:
    """A line's net as the invoice shows it: see the module docstring for GROSS."""
    if net_gross == "NET":
        return line_net(quantity, unit_price)
    return net_of_gross(line_gross(quantity, unit_price, tax_rate), tax_rate)


def line_gross(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> Decimal:
    """A GROSS line's gross: quantity × the gross unit price, rounded to cents once."""
    return cents(quantity * gross_unit_price(unit_price, tax_rate))


class TaxedLine(Protocol):
    """What the totals need of a line; InvoiceLine fits it."""

    @property
    def tax_name(self) -> str: ...

    @property
    def tax_rate(self) -> Decimal: ...

    @property
    def total_net(self) -> Decimal: ...

    @property
    def quantity(self) -> Decimal: ...

    @property
    def unit_price(self) -> Decimal: ...


@dataclass(frozen=True)
class Totals:
    net: Decimal
    taxes: tuple[TaxTotal, ...]
    gross: Decimal


# (tax name, rate, the line's rounded amount: its net on a NET invoice, its gross on a GROSS one)
Amount = tuple[str, Decimal, Decimal]


def line_amount(line: TaxedLine, net_gross: NetGross) -> Amount:
    rate = plain(Decimal(line.tax_rate))
    if net_gross == "NET":
        return line.tax_name, rate, line.total_net
    return line.tax_name, rate, line_gross(line.quantity, line.unit_price, rate)


def amount_totals(amounts: Iterable[Amount], net_gross: NetGross = "NET") -> Totals:
    """Totals of line amounts (see `line_amount`): one TaxTotal per (name, rate), ordered by
    rate descending, then name, so 19 % comes before 7 % as on a German invoice. Lines read
    back from Billomat enter here too (their `total_net` or `total_gross`), so a draft's total
    with lines added is computed by the same rule."""
    # Imported here: the entry list formats amounts with this module before pydantic (which
    # the invoice models need) has loaded, so the app's first screen does not wait for it.
    from timebill.core.models import TaxTotal

    sums: dict[tuple[str, Decimal], Decimal] = {}
    for name, rate, amount in amounts:
        key = (name, plain(Decimal(rate)))
        sums[key] = sums.get(key, Decimal("0")) + amount
    ordered = sorted(sums.items(), key=lambda item: (-item[0][1], item[0][0]))
    taxes: list[TaxTotal] = []
    for (name, rate), amount in ordered:
        if net_gross == "NET":
            net = cents(amount)
            taxes.append(
                TaxTotal(name=name, rate=rate, net=net, amount=cents(net * rate / HUNDRED))
            )
        else:
            net = net_of_gross(amount, rate)
            taxes.append(TaxTotal(name=name, rate=rate, net=net, amount=cents(amount) - net))
    net = sum((tax.net for tax in taxes), Decimal("0"))
    gross = net + sum((tax.amount for tax in taxes), Decimal("0"))
    return Totals(net=cents(net), taxes=tuple(taxes), gross=cents(gross))


def tax_totals(lines: Iterable[TaxedLine], net_gross: NetGross = "NET") -> tuple[TaxTotal, ...]:
    return totals(lines, net_gross).taxes


def totals(lines: Iterable[TaxedLine], net_gross: NetGross = "NET") -> Totals:
    """Net, taxes and gross of a set of lines, by the rule in this module's docstring."""
    return amount_totals((line_amount(line, net_gross) for line in lines), net_gross)


def with_lines(
    existing: Iterable[Amount], lines: Iterable[TaxedLine], net_gross: NetGross
) -> tuple[Totals, Totals]:
    """A draft's totals from its items' amounts, before and after `lines` are added to it."""
    before = list(existing)
    added = [line_amount(line, net_gross) for line in lines]
    return amount_totals(before, net_gross), amount_totals(before + added, net_gross)


def entry_amount(entry: TimeEntry) -> Decimal | None:
    """What the entry is worth as the tracker sees it (for display; invoices compute their own)."""
    if entry.kind == "lumpsum":
        return entry.lumpsum_amount
    if entry.revenue is not None:
        return entry.revenue
    if entry.hourly_rate is not None:
        return cents(entry.hours * entry.hourly_rate)
    return None
