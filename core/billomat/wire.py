"""Billomat's JSON, read and written in one place (shared/api/billomat.md §1).

Billomat wraps objects in their singular name, turns a one-element list into an object, leaves
an empty list's inner key out (or empty), writes almost every scalar as a string and unset
values as "" (rarely null). Everything above this module sees lists, Decimals, ints, dates and
None instead.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict
from timebill.core.errors import ServerError
from timebill.core.models import (
    Article,
    BillomatClient,
    Invoice,
    InvoiceLine,
    InvoicePlan,
    NetGross,
    Tax,
    Unit,
)
from timebill.core.money import gross_unit_price

SERVICE = "billomat"


class InvoiceItem(BaseModel):
    """One item of a Billomat invoice as read back (GET /invoice-items, POST answers)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    invoice_id: str
    position: int
    title: str = ""
    description: str = ""
    quantity: Decimal = Decimal(0)
    unit: str = ""
    unit_price: Decimal = Decimal(0)
    tax_name: str = ""
    tax_rate: Decimal | None = None
    article_id: str | None = None
    reduction: str = ""
    total_net: Decimal = Decimal(0)
    total_gross: Decimal = Decimal(0)
    # A line's own marker (timebill.core.billing.transaction marks lines added to an existing draft).
    customfield: str = ""


# -- shapes -----------------------------------------------------------------------------------
def as_list(value: Any) -> list[dict[str, Any]]:
    """A collection's inner value as a list: an object is a one-element list, absent/""/{}
    is empty."""
    if isinstance(value, dict):
        return [value] if value else []
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict)]
    return []


def page_rows(body: Any, plural: str, singular: str) -> tuple[list[dict[str, Any]], int | None]:
    """The objects of one list page and the list's `@total` (None when absent)."""
    if not isinstance(body, dict) or plural not in body:
        raise ServerError(
            f"Billomat answered a {plural} list without its {plural!r} envelope; the address may "
            "not be a Billomat API (check base_url).",
            service=SERVICE,
        )
    inner = body[plural]
    if not isinstance(inner, dict):
        return [], 0  # an empty list may come as "" or null
    return as_list(inner.get(singular)), integer(inner.get("@total"))


def single(body: Any, singular: str) -> dict[str, Any]:
    """The object inside `{"<singular>": {...}}`."""
    value = body.get(singular) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise ServerError(
            f"Billomat answered without the expected {singular!r} object; the address may not "
            "be a Billomat API (check base_url).",
            service=SERVICE,
        )
    return value


# -- scalars ----------------------------------------------------------------------------------
def text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def optional(value: Any) -> str | None:
    """ "" and null mean unset."""
    result = text(value).strip()
    return result or None


def decimal(value: Any) -> Decimal | None:
    result = optional(value)
    if result is None:
        return None
    try:
        number = Decimal(result)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def integer(value: Any) -> int | None:
    number = decimal(value)
    return int(number) if number is not None and number == int(number) else None


def flag(value: Any) -> bool:
    return text(value).strip().lower() in ("1", "true")


def day(value: Any) -> dt.date | None:
    result = optional(value)
    if result is None:
        return None
    try:
        return dt.date.fromisoformat(result[:10])
    except ValueError:
        return None


def wire_number(value: Decimal) -> str:
    """Decimals go out as strings ("Requests may send numbers as numbers or strings", §1):
    exact, without float rounding, without trailing zeros."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


# -- objects ----------------------------------------------------------------------------------
def net_gross(value: Any) -> NetGross | None:
    """NET or GROSS; None for SETTINGS, "" or anything else (the account's setting applies)."""
    word = text(value).strip().upper()
    return "GROSS" if word == "GROSS" else "NET" if word == "NET" else None


def to_client(obj: dict[str, Any], account_net_gross: NetGross = "NET") -> BillomatClient:
    """`account_net_gross` is the account's price setting (GET /settings), which a client's
    `net_gross` of SETTINGS (the default) defers to."""
    own = net_gross(obj.get("net_gross"))
    rule = text(obj.get("tax_rule")).strip().upper()
    return BillomatClient(
        id=text(obj.get("id")),
        name=text(obj.get("name"))
        or " ".join(filter(None, (text(obj.get("first_name")), text(obj.get("last_name"))))),
        client_number=optional(obj.get("client_number")),
        # "" means the account's default currency.
        currency_code=optional(obj.get("currency_code")),
        archived=flag(obj.get("archived")),
        net_gross=own or account_net_gross,
        net_gross_from="client" if own else "account",
        # COUNTRY is Billomat's default.
        tax_rule="TAX" if rule == "TAX" else "NO_TAX" if rule == "NO_TAX" else "COUNTRY",
        country_code=optional(obj.get("country_code")),
        vat_number=optional(obj.get("vat_number")),
    )


def to_tax(obj: dict[str, Any]) -> Tax:
    return Tax(
        id=text(obj.get("id")),
        name=text(obj.get("name")),
        rate=decimal(obj.get("rate")) or Decimal(0),
        is_default=flag(obj.get("is_default")),
    )


def to_unit(obj: dict[str, Any]) -> Unit:
    return Unit(id=text(obj.get("id")), name=text(obj.get("name")))


def to_article(obj: dict[str, Any], units: dict[str, Unit], taxes: dict[str, Tax]) -> Article:
    """`unit_id` and `tax_id` are ids (§3 Articles): resolved to the unit's name and the rate."""
    unit_id = optional(obj.get("unit_id"))
    tax_id = optional(obj.get("tax_id"))
    unit = units.get(unit_id) if unit_id else None
    tax = taxes.get(tax_id) if tax_id else None
    return Article(
        id=text(obj.get("id")),
        title=text(obj.get("title")),
        article_number=optional(obj.get("article_number")),
        description=text(obj.get("description")),
        sales_price=decimal(obj.get("sales_price")),
        currency_code=optional(obj.get("currency_code")),
        unit_id=unit_id,
        unit_name=unit.name if unit else None,
        tax_id=tax_id,
        tax_rate=tax.rate if tax else None,
        archived=flag(obj.get("archived")),
    )


def to_invoice(obj: dict[str, Any], item_count: int | None = None) -> Invoice:
    return Invoice(
        id=text(obj.get("id")),
        client_id=text(obj.get("client_id")),
        # Finality comes from `status`: drafts already carry a provisional invoice_number (§5).
        status=text(obj.get("status")).upper(),
        invoice_number=text(obj.get("invoice_number")),
        title=text(obj.get("title")),
        label=text(obj.get("label")),
        date=day(obj.get("date")),
        supply_date=text(obj.get("supply_date")),
        currency_code=text(obj.get("currency_code")),
        total_net=decimal(obj.get("total_net")) or Decimal(0),
        total_gross=decimal(obj.get("total_gross")) or Decimal(0),
        customfield=text(obj.get("customfield")),
        item_count=item_count,
        net_gross=net_gross(obj.get("net_gross")) or "NET",
        note=text(obj.get("note")),
    )


def to_item(obj: dict[str, Any]) -> InvoiceItem:
    return InvoiceItem(
        id=text(obj.get("id")),
        invoice_id=text(obj.get("invoice_id")),
        position=integer(obj.get("position")) or 0,
        title=text(obj.get("title")),
        description=text(obj.get("description")),
        quantity=decimal(obj.get("quantity")) or Decimal(0),
        unit=text(obj.get("unit")),
        unit_price=decimal(obj.get("unit_price")) or Decimal(0),
        tax_name=text(obj.get("tax_name")),
        tax_rate=decimal(obj.get("tax_rate")),
        article_id=optional(obj.get("article_id")),
        reduction=text(obj.get("reduction")),
        total_net=decimal(obj.get("total_net")) or Decimal(0),
        total_gross=decimal(obj.get("total_gross")) or Decimal(0),
        customfield=text(obj.get("customfield")),
    )


# -- writing ----------------------------------------------------------------------------------
def line_body(line: InvoiceLine, prices: NetGross = "NET") -> dict[str, Any]:
    """An invoice item, every value explicit: with `article_id` Billomat copies the article's
    values only into fields we leave out, and the plan's values are the ones the user saw.
    On a GROSS invoice (`prices`) the unit price sent includes the tax (timebill.core.money)."""
    price = line.unit_price if prices == "NET" else gross_unit_price(line.unit_price, line.tax_rate)
    body: dict[str, Any] = {
        "title": line.title,
        "description": line.description,
        "quantity": wire_number(line.quantity),
        "unit": line.unit,
        "unit_price": wire_number(price),
        "tax_name": line.tax_name,
        "tax_rate": wire_number(line.tax_rate),
    }
    if line.article_id:
        body["article_id"] = line.article_id
    return body


def service_period(start: dt.date, end: dt.date) -> tuple[str, str]:
    """(supply_date, supply_date_type). One day is a date; a range is free text, which Billomat
    prints as given (SUPPLY_TEXT): the Leistungszeitraum German invoices must state."""
    if start == end:
        return start.isoformat(), "SUPPLY_DATE"
    return f"{start:%d.%m.%Y} – {end:%d.%m.%Y}", "SUPPLY_TEXT"


_GERMAN_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def read_period(supply_date: str) -> tuple[dt.date, dt.date] | None:
    """The period a draft states in `supply_date`: an ISO date, or a text with one or two dates
    (`03.11.2026 – 30.11.2026`, as `service_period` writes it); None when it names none."""
    found: list[dt.date] = []
    try:
        found += [dt.date(int(y), int(m), int(d)) for d, m, y in _GERMAN_DAY.findall(supply_date)]
        found += [dt.date(int(y), int(m), int(d)) for y, m, d in _ISO_DAY.findall(supply_date)]
    except ValueError:
        return None
    return (min(found), max(found)) if found else None


def widened_period(supply_date: str, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The draft's period widened to cover `start`..`end` (lines being added)."""
    current = read_period(supply_date)
    if current is None:
        return start, end
    return min(current[0], start), max(current[1], end)


def with_note(existing: str, note: str) -> str:
    """`note` added after the invoice's existing text (the payment terms stay), once."""
    if not note or note in existing:
        return existing
    return f"{existing.rstrip()}\n\n{note}" if existing.strip() else note


def plan_body(plan: InvoicePlan) -> dict[str, Any]:
    """POST /invoices: the draft with all items nested, the marker in `customfield`."""
    supply_date, supply_type = service_period(plan.service_start, plan.service_end)
    invoice: dict[str, Any] = {
        "client_id": plan.client_id,
        "currency_code": plan.currency,
        # Always explicit: left out, Billomat applies the account's or client's setting.
        "net_gross": plan.net_gross,
        "supply_date": supply_date,
        "supply_date_type": supply_type,
        "customfield": plan.marker,
    }
    # Empty texts are left out, so the account's own defaults (with placeholders) apply; the
    # tax note joins the user's note here, or the account's default after the create.
    note = with_note(plan.note, plan.tax_note) if plan.note else ""
    for field, value in (("title", plan.title), ("intro", plan.intro), ("note", note)):
        if value:
            invoice[field] = value
    items = [line_body(line, plan.net_gross) for line in plan.lines]
    invoice["invoice-items"] = {"invoice-item": items}
    return {"invoice": invoice}
