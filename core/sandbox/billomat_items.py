"""Billomat invoice items: building one from what a client sends (shared/api/billomat.md §3
"Invoice items"): `article_id` copies the article's values in, the account's default tax applies
where none is given, and the computed totals follow billomat_wire.item_totals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from timebill.core.sandbox.billomat_wire import (
    ApiError,
    decimal,
    item_totals,
    num,
    scalar,
    validate_reduction,
)
from timebill.core.sandbox.store import Store

S = "billomat"
ITEM_TYPES = ("", "PRODUCT", "SERVICE")
ITEM_TEXT_FIELDS = ("title", "description", "unit", "tax_name", "customfield")


def new_item(item_id: str, invoice_id: str, position: int, created: str) -> dict[str, Any]:
    return {
        "id": item_id, "created": created, "article_id": "", "invoice_id": invoice_id,
        "position": str(position), "unit": "", "quantity": "0", "unit_price": "0",
        "tax_name": "", "tax_rate": "", "tax_changed_manually": "0", "title": "",
        "description": "", "reduction": "", "type": "", "customfield": "",
    }  # fmt: skip


def build_item(
    store: Store,
    data: dict[str, Any],
    base: dict[str, Any],
    *,
    created: bool = False,
    net_gross: str = "NET",
) -> dict[str, Any]:
    """`base` changed by `data` (a partial update unless `created`), totals recomputed as the
    invoice's `net_gross` reads the unit price."""
    if not isinstance(data, dict):
        raise ApiError(400, "Each invoice-item must be an object")
    item = dict(base)
    if created:
        item.update(article_values(store, data))
        if "tax_name" not in data and "tax_rate" not in data and not item["tax_name"]:
            default = default_tax(store)
            item["tax_name"], item["tax_rate"] = default["name"], default["rate"]
    for field in ITEM_TEXT_FIELDS:
        if field in data:
            item[field] = scalar(data[field])
    for field in ("quantity", "unit_price", "tax_rate"):
        if field in data:
            item[field] = num(decimal(data[field], field, Decimal(0)))
    if "tax_rate" in data and not item["tax_name"]:
        item["tax_name"] = default_tax(store)["name"]
    if "tax_name" in data and not item["tax_rate"]:
        item["tax_rate"] = default_tax(store)["rate"]
    if "tax_changed_manually" in data:
        item["tax_changed_manually"] = scalar(data["tax_changed_manually"])
    if "reduction" in data:
        item["reduction"] = validate_reduction(data["reduction"])
    if "type" in data:
        kind = scalar(data["type"]).upper()
        if kind not in ITEM_TYPES:
            raise ApiError(400, "Field type must be PRODUCT or SERVICE")
        item["type"] = kind
    item.update(
        item_totals(
            Decimal(item["quantity"]),
            Decimal(item["unit_price"]),
            item["reduction"],
            Decimal(item["tax_rate"] or 0),
            net_gross,
        )
    )
    return item


def article_values(store: Store, data: dict[str, Any]) -> dict[str, str]:
    """`article_id` copies the article's values in at creation, for the fields not sent."""
    article_id = scalar(data.get("article_id"))
    if not article_id:
        return {}
    article = store.get(S, "articles", article_id)
    if article is None:
        raise ApiError(400, f"Article {article_id} not found")
    values = {
        "title": article["title"],
        "description": article["description"],
        "unit_price": article["sales_price"] or "0",
        "type": article["type"],
    }
    unit = store.get(S, "units", article["unit_id"]) if article["unit_id"] else None
    if unit is not None:
        values["unit"] = unit["name"]
    tax = store.get(S, "taxes", article["tax_id"]) if article["tax_id"] else None
    if tax is not None:
        values["tax_name"], values["tax_rate"] = tax["name"], tax["rate"]
    copied = {name: value for name, value in values.items() if name not in data}
    return {"article_id": article["id"], **copied}


def default_tax(store: Store) -> dict[str, Any]:
    taxes = store.collection(S, "taxes").values()
    return next((t for t in taxes if t["is_default"] == "1"), {"name": "", "rate": "0"})
