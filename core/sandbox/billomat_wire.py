"""Billomat's JSON conventions as the emulator writes them (shared/api/billomat.md §1), and the
totals rule of §6. Everything stored is already in wire form: strings, "" for unset.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from timebill.core.sandbox.server import Request

CENT = Decimal("0.01")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000


class ApiError(Exception):
    """Answered as `{"errors":{"error": message}}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def num(value: Decimal | int) -> str:
    """A number as Billomat writes it: a string without trailing zeros ("19", "4615.5")."""
    number = Decimal(value)
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def scalar(value: Any) -> str:
    """Any JSON scalar a client sends, stored as Billomat answers it: booleans as 1/0, numbers
    without trailing zeros, null as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return num(Decimal(str(value)))
    if isinstance(value, dict | list):
        raise ApiError(400, "Invalid value: expected text or a number, got an object")
    return str(value)


def decimal(value: Any, field: str, default: Decimal | None = None) -> Decimal:
    """A number sent as a number or a string (both are accepted, §1)."""
    if value is None or value == "":
        if default is None:
            raise ApiError(400, f"Field {field} is required")
        return default
    if isinstance(value, bool) or isinstance(value, dict | list):
        raise ApiError(400, f"Field {field} must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ApiError(400, f"Field {field} must be a number, got '{value}'") from None
    if not number.is_finite():
        raise ApiError(400, f"Field {field} must be a number, got '{value}'")
    return number


def iso_date(value: Any, field: str) -> str:
    text = scalar(value)
    if text == "":
        return ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ApiError(400, f"Field {field} must be a date (YYYY-MM-DD), got '{text}'") from None


def json_body(request: Request) -> Any:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON") from None


def wrapped(body: Any, singular: str) -> dict[str, Any]:
    """The object inside `{"<singular>": {...}}`: writes use the same wrapper as reads."""
    if not isinstance(body, dict) or not isinstance(body.get(singular), dict):
        raise ApiError(400, f'Request body must be a JSON object {{"{singular}": {{...}}}}')
    return body[singular]


def collection(singular: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A nested collection: one element is an object, not a list; none leaves the key out."""
    if not rows:
        return {}
    return {singular: rows[0] if len(rows) == 1 else rows}


def page_of(request: Request) -> tuple[int, int]:
    try:
        page = int(request.arg("page") or 1)
        per_page = int(request.arg("per_page") or DEFAULT_PER_PAGE)
    except ValueError:
        raise ApiError(400, "page and per_page must be whole numbers") from None
    return max(1, page), min(MAX_PER_PAGE, max(1, per_page))


def list_body(
    request: Request, plural: str, singular: str, rows: list[dict[str, Any]]
) -> tuple[dict[str, Any], int]:
    """The list envelope for one page of `rows`, and the total count (for X-Total-Count)."""
    page, per_page = page_of(request)
    chosen = rows[(page - 1) * per_page : page * per_page]
    inner = collection(singular, chosen)
    inner.update({"@page": str(page), "@per_page": str(per_page), "@total": str(len(rows))})
    return {plural: inner}, len(rows)


def ordered(rows: list[dict[str, Any]], order_by: str | None) -> list[dict[str, Any]]:
    """`order_by=date+DESC,invoice_number+ASC` (the `+` arrives as a space). Default: by id."""
    result = sorted(rows, key=lambda row: _sort_key(row.get("id", "")))
    if not order_by:
        return result
    keys = [part.split() for part in order_by.split(",") if part.strip()]
    for words in reversed(keys):
        field = words[0]
        descending = len(words) > 1 and words[1].upper() == "DESC"
        result.sort(key=_field_key(field), reverse=descending)
    return result


def _field_key(field: str) -> Callable[[dict[str, Any]], tuple[int, Decimal, str]]:
    return lambda row: _sort_key(row.get(field, ""))


def _sort_key(value: Any) -> tuple[int, Decimal, str]:
    text = str(value)
    try:
        return (0, Decimal(text), "")
    except InvalidOperation:
        return (1, Decimal(0), text.lower())


def contains(value: str, needle: str) -> bool:
    """Text filters match substrings and ignore case (§1)."""
    return needle.casefold() in value.casefold()


def one_of(value: str, csv: str) -> bool:
    """`status=DRAFT,OPEN`: a comma-separated list combined with OR."""
    return value.upper() in {part.strip().upper() for part in csv.split(",") if part.strip()}


# -- totals (§6) ------------------------------------------------------------------------------

_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


def reduction_amount(reduction: str, unreduced: Decimal) -> Decimal:
    """Billomat's `reduction`: "10" is an absolute amount, "10%" a percentage."""
    if not reduction:
        return Decimal(0)
    match = _PERCENT.match(reduction)
    if match:
        return unreduced * Decimal(match.group(1)) / 100
    return decimal(reduction, "reduction")


def validate_reduction(value: Any) -> str:
    text = scalar(value).strip()
    if text:
        reduction_amount(text, Decimal(0))
    return text


def item_totals(
    quantity: Decimal, unit_price: Decimal, reduction: str, rate: Decimal, net_gross: str = "NET"
) -> dict[str, str]:
    """One item's computed fields. NET: the line net is rounded to cents once, half up; gross
    per line is for display only (the invoice's tax is computed on the sum of nets). GROSS: the
    unit price includes the tax; the line gross is rounded once and the net derived from it."""
    unreduced = cents(quantity * unit_price)
    amount = cents(quantity * unit_price - reduction_amount(reduction, quantity * unit_price))
    factor = 1 + rate / 100
    if net_gross == "GROSS":
        return {
            "total_net": num(cents(amount / factor)),
            "total_gross": num(amount),
            "total_net_unreduced": num(cents(unreduced / factor)),
            "total_gross_unreduced": num(unreduced),
        }
    return {
        "total_net": num(amount),
        "total_gross": num(cents(amount * factor)),
        "total_net_unreduced": num(unreduced),
        "total_gross_unreduced": num(cents(unreduced * factor)),
    }


def _net_and_tax(amount: Decimal, rate: Decimal, net_gross: str) -> tuple[Decimal, Decimal]:
    """(net, tax) of a tax group whose lines sum to `amount` (their nets, or on GROSS their
    grosses)."""
    if net_gross == "GROSS":
        net = cents(amount * 100 / (100 + rate))
        return net, amount - net
    return amount, cents(amount * rate / 100)


def invoice_totals(items: Iterable[dict[str, Any]], net_gross: str = "NET") -> dict[str, Any]:
    """Invoice totals from its items: taxes grouped by (name, rate) on the sum of the group's
    line nets (GROSS: grosses, the net derived once per group), each rounded to cents; gross =
    net + taxes. One place, like the invoice builder (§6; Billomat's exact rule is UNCERTAIN)."""
    side = "total_gross" if net_gross == "GROSS" else "total_net"
    groups: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for item in items:
        key = (item["tax_name"], Decimal(item["tax_rate"] or 0))
        summed, unreduced = groups.get(key, (Decimal(0), Decimal(0)))
        groups[key] = (
            summed + Decimal(item[side]),
            unreduced + Decimal(item[side + "_unreduced"]),
        )
    taxes = []
    total_net = total_tax = unreduced_net = unreduced_tax = Decimal(0)
    for (name, rate), (summed, unreduced_sum) in groups.items():
        net, amount = _net_and_tax(summed, rate, net_gross)
        unreduced, unreduced_amount = _net_and_tax(unreduced_sum, rate, net_gross)
        plain = net * rate / 100 if net_gross == "NET" else amount
        total_net += net
        total_tax += amount
        unreduced_net += unreduced
        unreduced_tax += unreduced_amount
        taxes.append(
            {
                "name": name,
                "rate": num(rate),
                "amount": num(amount),
                "amount_net": num(net),
                "amount_gross": num(net + amount),
                "amount_plain": num(plain),
                "amount_rounded": num(amount),
                "amount_net_plain": num(net),
                "amount_net_rounded": num(net),
                "amount_gross_plain": num(net + plain),
                "amount_gross_rounded": num(net + amount),
            }
        )
    return {
        "total_net": num(total_net),
        "total_gross": num(total_net + total_tax),
        "total_net_unreduced": num(unreduced_net),
        "total_gross_unreduced": num(unreduced_net + unreduced_tax),
        "total_reduction": num(unreduced_net - total_net),
        "taxes": collection("tax", taxes),
    }
