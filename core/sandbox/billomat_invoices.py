"""Billomat invoices and invoice items (shared/api/billomat.md §3 "Invoices", "Invoice items").

Items live in their own collection with `invoice_id` and `position`; an invoice's totals are
recomputed from its items on every change (billomat_wire.invoice_totals).

Behaviours the public docs leave open, and what the sandbox chose (never kinder than Billomat):

- `customfield` is written with `PUT /invoices/{id}/customfield` (and `/invoice-items/{id}/
  customfield`) as the docs show; whether the create body takes it is UNCERTAIN, so by default
  the sandbox ignores it there (`customfield_on_create = False`) and a client must take the
  documented path. Reading it back: `GET ?customfield=` matches a substring (the stricter case),
  so a client compares the value exactly.
- Dates of drafts: real drafts carry an empty `date` and `due_date` until they are completed
  (the docs' "date defaults to today" applies on completion). A draft created without `date`
  keeps both empty (only `due_days` is stored); one created or edited with a `date` keeps it and
  gets its `due_date`. `PUT /{id}/complete` sets an empty date to today and the due date from
  `due_days`. `?from=/to=` filters by date, so undated drafts never match them.

Prices (`net_gross`): an invoice created without `net_gross` (or with SETTINGS) takes its
client's setting, and a client's SETTINGS the account's (GET /api/settings); GROSS unit prices
include the tax. Billomat's GROSS maths is UNCERTAIN (digest UNCERTAIN 7); chosen: a line's gross
is quantity × unit_price, rounded to cents; per (name, rate) the gross is summed, the net is
gross / (1 + rate) rounded to cents, the tax the difference (billomat_wire.invoice_totals).
Changing `net_gross` of a draft re-reads its unit prices (totals recomputed), as the docs leave
open what else would happen.

A client's `tax_rule` (TAX, NO_TAX, COUNTRY with `country_code`/`vat_number`) is stored and served
but not applied to items: how Billomat applies it to an item that names no tax is undocumented
(UNCERTAIN), so the sandbox gives such an item the account's default tax whatever the rule. That
is never kinder than Billomat: a client that relied on the rule instead of sending the rate would
bill a Swiss client 19 % here and be caught by a test.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from timebill.core.sandbox.billomat_items import build_item, new_item
from timebill.core.sandbox.billomat_wire import (
    ApiError,
    contains,
    decimal,
    invoice_totals,
    iso_date,
    json_body,
    list_body,
    num,
    one_of,
    ordered,
    scalar,
    validate_reduction,
    wrapped,
)
from timebill.core.sandbox.server import Request, Response, json_response
from timebill.core.sandbox.store import Store

S = "billomat"
BERLIN = ZoneInfo("Europe/Berlin")
NUMBER_PRE = "RE"
FIRST_NUMBER = 198
DEFAULT_INTRO = "Vielen Dank für Ihren Auftrag. Wir berechnen Ihnen folgende Leistungen:"
DEFAULT_NOTE = "Bitte überweisen Sie den Betrag bis zum [Invoice.due_date] ohne Abzug."
SUPPLY_TYPES = ("SUPPLY_DATE", "DELIVERY_DATE", "SUPPLY_TEXT", "DELIVERY_TEXT")

# Fields a client may set on create and (while DRAFT) change with PUT /invoices/{id}.
# `customfield` in the normal body is UNCERTAIN (digest UNCERTAIN 6): the sandbox accepts it.
INVOICE_TEXT_FIELDS = (
    "contact_id", "address", "number_pre", "number_length", "title", "label", "intro", "note",
    "supply_date", "discount_rate", "discount_days", "discount_date", "quote", "payment_types",
    "invoice_id", "offer_id", "recurring_id", "free_text_id", "template_id", "customfield",
)  # fmt: skip

Persist = Callable[[str, str, dict[str, Any]], None]


class InvoiceBook:
    """The invoice and invoice-item endpoints over the shared store (caller holds store.lock)."""

    def __init__(self, store: Store, today: dt.date) -> None:
        self.store = store
        self.today = today
        # Digest UNCERTAIN 6: whether the normal POST body sets `customfield` (of invoices and
        # items). False (the default, module doc) ignores it there: a client must PUT
        # /{id}/customfield, the documented path real accounts take.
        self.customfield_on_create = False

    # -- reading ----------------------------------------------------------------------------
    def invoice(self, invoice_id: str) -> dict[str, Any]:
        found = self.store.get(S, "invoices", invoice_id)
        if found is None:
            raise ApiError(404, f"Invoice {invoice_id} not found")
        return found

    def items_of(self, invoice_id: str) -> list[dict[str, Any]]:
        rows = [
            i
            for i in self.store.collection(S, "invoice-items").values()
            if i["invoice_id"] == invoice_id
        ]
        return sorted(rows, key=lambda item: int(item["position"]))

    def all_with_items(self) -> list[dict[str, Any]]:
        invoices = ordered(list(self.store.collection(S, "invoices").values()), None)
        return [copy.deepcopy({**inv, "items": self.items_of(inv["id"])}) for inv in invoices]

    # -- routing ----------------------------------------------------------------------------
    def invoices(self, request: Request, rest: list[str]) -> Response:
        method = request.method
        if not rest:
            if method in ("GET", "HEAD"):
                return self._list(request, "invoices", "invoice", self._filtered(request))
            if method == "POST":
                created = self.create(wrapped(json_body(request), "invoice"), self.store.put)
                return json_response({"invoice": created}, 201)
            raise ApiError(405, f"Method {method} not allowed on /api/invoices")
        invoice = self.invoice(rest[0])
        action = rest[1] if len(rest) > 1 else ""
        if len(rest) > 2:
            raise ApiError(404, "Unknown path")
        if action == "" and method == "GET":
            return json_response({"invoice": invoice})
        if action == "" and method == "PUT":
            self._require_draft(invoice, "Only draft invoices can be edited")
            changed = dict(invoice)
            self._apply(changed, wrapped(json_body(request), "invoice"))
            if changed["net_gross"] != invoice["net_gross"]:
                self._reprice(changed)
            changed.update(_totals(changed, self.items_of(changed["id"])))
            changed["updated"] = self._now()
            self.store.put(S, "invoices", changed)
            return json_response({"invoice": changed})
        if action == "" and method == "DELETE":
            # Digest UNCERTAIN 2: one SDK maps a refused delete of a non-draft to 422.
            self._require_draft(invoice, "Only draft invoices can be deleted", status=422)
            for item in self.items_of(invoice["id"]):
                self.store.delete(S, "invoice-items", item["id"])
            self.store.delete(S, "invoices", invoice["id"])
            return _empty()
        if action == "complete" and method == "PUT":
            return self._complete(invoice)
        if action in ("cancel", "uncancel") and method == "PUT":
            return self._cancel(invoice, action == "cancel")
        if action == "customfield" and method in ("GET", "PUT"):
            if method == "PUT":
                value = wrapped(json_body(request), "invoice").get("customfield")
                invoice = {**invoice, "customfield": scalar(value), "updated": self._now()}
                self.store.put(S, "invoices", invoice)
            return json_response({"invoice": {"customfield": invoice["customfield"]}})
        raise ApiError(404, "Unknown path")

    def items(self, request: Request, rest: list[str]) -> Response:
        method = request.method
        if not rest:
            if method in ("GET", "HEAD"):
                invoice_id = request.arg("invoice_id")
                if not invoice_id:
                    raise ApiError(400, "Parameter invoice_id is required")
                # UNCERTAIN: an unknown invoice may also answer an empty list; 404 is clearer.
                self.invoice(invoice_id)
                return self._list(
                    request, "invoice-items", "invoice-item", self.items_of(invoice_id)
                )
            if method == "POST":
                data = wrapped(json_body(request), "invoice-item")
                invoice = self.invoice(scalar(data.get("invoice_id")) or "-")
                self._require_draft(invoice, "Items can only be added to draft invoices")
                position = len(self.items_of(invoice["id"])) + 1
                item = self._new_item(data, invoice["id"], position, None, invoice["net_gross"])
                self.store.put(S, "invoice-items", item)
                self._recompute(invoice)
                return json_response({"invoice-item": item}, 201)
            raise ApiError(405, f"Method {method} not allowed on /api/invoice-items")
        if len(rest) > 2 or (len(rest) == 2 and rest[1] != "customfield"):
            raise ApiError(404, "Unknown path")
        found = self.store.get(S, "invoice-items", rest[0])
        if found is None:
            raise ApiError(404, f"Invoice item {rest[0]} not found")
        item = found
        if len(rest) == 2:
            # GET/PUT /{id}/customfield, as on every resource (§3 "External reference").
            if method not in ("GET", "PUT"):
                raise ApiError(405, f"Method {method} not allowed on customfield")
            if method == "PUT":
                value = wrapped(json_body(request), "invoice-item").get("customfield")
                item = {**item, "customfield": scalar(value)}
                self.store.put(S, "invoice-items", item)
            return json_response({"invoice-item": {"customfield": item["customfield"]}})
        if method == "GET":
            return json_response({"invoice-item": item})
        invoice = self.invoice(item["invoice_id"])
        self._require_draft(invoice, "Items of a completed invoice cannot be changed")
        if method == "PUT":
            changed = build_item(
                self.store,
                wrapped(json_body(request), "invoice-item"),
                item,
                net_gross=invoice["net_gross"],
            )
            self.store.put(S, "invoice-items", changed)
            self._recompute(invoice)
            return json_response({"invoice-item": changed})
        if method == "DELETE":
            self.store.delete(S, "invoice-items", item["id"])
            for position, other in enumerate(self.items_of(invoice["id"]), start=1):
                if other["position"] != str(position):
                    self.store.put(S, "invoice-items", {**other, "position": str(position)})
            self._recompute(invoice)
            return _empty()
        raise ApiError(405, f"Method {method} not allowed on /api/invoice-items/{{id}}")

    # -- creating and changing --------------------------------------------------------------
    def create(self, data: dict[str, Any], persist: Persist) -> dict[str, Any]:
        """A new DRAFT with its nested items; `persist` is store.put (API) or store.seed (seed)."""
        client = self.store.get(S, "clients", scalar(data.get("client_id")) or "-")
        if client is None:
            raise ApiError(400, "Field client_id is required and must name an existing client")
        raw_items = _nested_items(data.get("invoice-items"))
        invoice_id = self._new_id("invoices", 7563701, persist)
        now = self._now()
        invoice: dict[str, Any] = {
            "id": invoice_id, "created": now, "updated": now, "client_id": client["id"],
            "contact_id": "", "address": _address(client), "number_pre": NUMBER_PRE, "number": "",
            "number_length": "0", "invoice_number": NUMBER_PRE + str(self._next_number()),
            "title": "", "label": "", "intro": DEFAULT_INTRO, "note": DEFAULT_NOTE,
            "date": "", "supply_date": "", "supply_date_type": "",
            "due_date": "", "due_days": "14", "discount_rate": "", "discount_days": "",
            "discount_date": "", "discount_amount": "0", "status": "DRAFT", "reduction": "",
            "currency_code": client["currency_code"] or "EUR", "quote": "1",
            "net_gross": self.prices_for(client),
            "payment_types": "", "invoice_id": "", "offer_id": "", "recurring_id": "",
            "free_text_id": "", "template_id": "",
            "customerportal_url": f"https://nordlicht.billomat.net/customerportal/invoices/{invoice_id}",
            "paid_amount": "0", "open_amount": "0", "total_net": "0", "total_gross": "0",
            "total_net_unreduced": "0", "total_gross_unreduced": "0", "total_reduction": "0",
            "taxes": {}, "customfield": "",
        }  # fmt: skip
        if not self.customfield_on_create:
            data = {k: v for k, v in data.items() if k != "customfield"}
        self._apply(invoice, data)
        items = [
            self._new_item(raw, invoice_id, position, persist, invoice["net_gross"])
            for position, raw in enumerate(raw_items, start=1)
        ]
        for item in items:
            persist(S, "invoice-items", item)
        invoice.update(_totals(invoice, items))
        persist(S, "invoices", invoice)
        return invoice

    def _apply(self, invoice: dict[str, Any], data: dict[str, Any]) -> None:
        if "client_id" in data and scalar(data["client_id"]) != invoice["client_id"]:
            client = self.store.get(S, "clients", scalar(data["client_id"]) or "-")
            if client is None:
                raise ApiError(400, f"Client {scalar(data['client_id'])} not found")
            invoice["client_id"] = client["id"]
        for field in INVOICE_TEXT_FIELDS:
            if field in data:
                invoice[field] = scalar(data[field])
        if "reduction" in data:
            # Stored and echoed; the sandbox computes totals from item reductions only.
            invoice["reduction"] = validate_reduction(data["reduction"])
        if "currency_code" in data:
            code = scalar(data["currency_code"]).upper()
            if code and (len(code) != 3 or not code.isalpha()):
                raise ApiError(400, f"Field currency_code must be an ISO 4217 code, got '{code}'")
            invoice["currency_code"] = code or "EUR"
        if "net_gross" in data:
            mode = scalar(data["net_gross"]).upper() or "SETTINGS"
            if mode not in ("NET", "GROSS", "SETTINGS"):
                raise ApiError(400, f"Field net_gross must be NET, GROSS or SETTINGS, got '{mode}'")
            if mode == "SETTINGS":
                client = self.store.get(S, "clients", invoice["client_id"])
                mode = self.prices_for(client) if client else self.account_prices()
            invoice["net_gross"] = mode
        if "date" in data:
            invoice["date"] = iso_date(data["date"], "date")
        if "supply_date_type" in data:
            kind = scalar(data["supply_date_type"]).upper()
            if kind and kind not in SUPPLY_TYPES:
                raise ApiError(
                    400, f"Field supply_date_type must be one of {', '.join(SUPPLY_TYPES)}"
                )
            invoice["supply_date_type"] = kind
        if invoice["supply_date"] and not invoice["supply_date_type"]:
            invoice["supply_date_type"] = (
                "SUPPLY_DATE" if _is_date(invoice["supply_date"]) else "SUPPLY_TEXT"
            )
        if invoice["supply_date_type"].endswith("_DATE") and invoice["supply_date"]:
            iso_date(invoice["supply_date"], "supply_date")
        if "due_days" in data:
            invoice["due_days"] = num(int(decimal(data["due_days"], "due_days")))
        if "due_date" in data and scalar(data["due_date"]):
            invoice["due_date"] = iso_date(data["due_date"], "due_date")
        elif not invoice["date"]:
            invoice["due_date"] = ""  # an undated draft has no due date yet (module doc)
        elif "due_date" in data or "due_days" in data or "date" in data or not invoice["due_date"]:
            invoice["due_date"] = _due(invoice)

    def account_prices(self) -> str:
        settings = self.store.get(S, "settings", "account")
        return settings["net_gross"] if settings and settings["net_gross"] == "GROSS" else "NET"

    def prices_for(self, client: dict[str, Any]) -> str:
        own = client.get("net_gross", "")
        return own if own in ("NET", "GROSS") else self.account_prices()

    def _new_item(
        self,
        data: Any,
        invoice_id: str,
        position: int,
        persist: Persist | None,
        net_gross: str,
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ApiError(400, "Each invoice-item must be an object")
        if not self.customfield_on_create:
            data = {k: v for k, v in data.items() if k != "customfield"}
        fresh = new_item(
            self._new_id("invoice-items", 20641, persist), invoice_id, position, self._now()
        )
        return build_item(self.store, data, fresh, created=True, net_gross=net_gross)

    def _new_id(self, name: str, start: int, persist: Persist | None) -> str:
        """A fresh id that stays fresh across restarts: the store's counter only knows the ids
        still present, so the last id handed out is logged too (a deleted draft's id is never
        reused for another invoice, which a journal holding the old id could mistake)."""
        value = self.store.next_id(S, name, start)
        last = self.store.get(S, "counters", name)
        if last is not None and int(last["last"]) >= value:
            value = int(last["last"]) + 1
        if persist != self.store.seed:
            self.store.put(S, "counters", {"id": name, "last": value})
        return str(value)

    def _reprice(self, invoice: dict[str, Any]) -> None:
        """The items' totals read again under the invoice's new `net_gross`."""
        for item in self.items_of(invoice["id"]):
            self.store.put(
                S, "invoice-items", build_item(self.store, {}, item, net_gross=invoice["net_gross"])
            )

    def _recompute(self, invoice: dict[str, Any]) -> None:
        changed = {
            **invoice,
            **_totals(invoice, self.items_of(invoice["id"])),
            "updated": self._now(),
        }
        self.store.put(S, "invoices", changed)

    def _complete(self, invoice: dict[str, Any]) -> Response:
        self._require_draft(invoice, "Only draft invoices can be completed")
        number = self._next_number()
        length = int(invoice["number_length"] or 0)
        if not invoice["date"]:  # completing dates the invoice (module doc)
            invoice = {**invoice, "date": self.today.isoformat()}
        if not invoice["due_date"]:
            invoice = {**invoice, "due_date": _due(invoice)}
        due = invoice["due_date"]
        status = "OVERDUE" if due and dt.date.fromisoformat(due) < self.today else "OPEN"
        if Decimal(invoice["total_gross"]) == 0:
            status = "PAID"
        self.store.put(
            S,
            "invoices",
            {
                **invoice,
                "status": status,
                "number": str(number),
                "invoice_number": invoice["number_pre"] + str(number).zfill(length),
                "updated": self._now(),
            },
        )
        # Digest UNCERTAIN 3: the body of PUT complete is probably empty.
        return _empty()

    def _cancel(self, invoice: dict[str, Any], cancel: bool) -> Response:
        if cancel and invoice["status"] in ("DRAFT", "CANCELED"):
            raise ApiError(400, "Only completed invoices can be canceled")
        if not cancel and invoice["status"] != "CANCELED":
            raise ApiError(400, "Only canceled invoices can be uncanceled")
        status = "CANCELED" if cancel else "OPEN"
        self.store.put(S, "invoices", {**invoice, "status": status, "updated": self._now()})
        return _empty()

    def _require_draft(self, invoice: dict[str, Any], message: str, status: int = 400) -> None:
        if invoice["status"] != "DRAFT":
            raise ApiError(status, f"{message} (invoice {invoice['id']} is {invoice['status']})")

    def _next_number(self) -> int:
        numbers = [
            int(i["number"])
            for i in self.store.collection(S, "invoices").values()
            if i["number"].isdigit()
        ]
        return max(numbers, default=FIRST_NUMBER - 1) + 1

    def _now(self) -> str:
        clock = dt.datetime.now(BERLIN).time().replace(microsecond=0)
        return dt.datetime.combine(self.today, clock, BERLIN).isoformat()

    # -- lists ------------------------------------------------------------------------------
    def _filtered(self, request: Request) -> list[dict[str, Any]]:
        rows = list(self.store.collection(S, "invoices").values())
        exact = ("client_id", "contact_id")
        # UNCERTAIN whether customfield matches exactly; a substring match is the stricter test
        # of a client, which must compare the value itself.
        substring = {
            name: name for name in ("invoice_number", "label", "intro", "note", "customfield")
        }
        substring["payment_type"] = "payment_types"
        for name in exact:
            if value := request.arg(name):
                rows = [r for r in rows if r[name] == value]
        for name, field in substring.items():
            if value := request.arg(name):
                rows = [r for r in rows if contains(r[field], value)]
        if value := request.arg("status"):
            rows = [r for r in rows if one_of(r["status"], value)]
        if value := request.arg("from"):
            start = iso_date(value, "from")
            rows = [r for r in rows if r["date"] and r["date"] >= start]
        if value := request.arg("to"):
            end = iso_date(value, "to")
            rows = [r for r in rows if r["date"] and r["date"] <= end]
        if value := request.arg("article_id"):
            with_article = {
                i["invoice_id"]
                for i in self.store.collection(S, "invoice-items").values()
                if i["article_id"] == value
            }
            rows = [r for r in rows if r["id"] in with_article]
        # `group_by` (totals instead of invoices) and `tags` are not emulated.
        return ordered(rows, request.arg("order_by"))

    def _list(
        self, request: Request, plural: str, singular: str, rows: list[dict[str, Any]]
    ) -> Response:
        body, total = list_body(request, plural, singular, rows)
        response = json_response(body, headers={"X-Total-Count": str(total)})
        if request.method == "HEAD":
            response.body = b""
        return response


def _totals(invoice: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    totals = invoice_totals(items, invoice["net_gross"])
    paid = Decimal(invoice.get("paid_amount") or 0)
    totals["open_amount"] = num(Decimal(totals["total_gross"]) - paid)
    return totals


def _nested_items(value: Any) -> list[dict[str, Any]]:
    """`"invoice-items":{"invoice-item":[...]}`, or a single object instead of the list."""
    if value in (None, "", {}):
        return []
    if not isinstance(value, dict) or "invoice-item" not in value:
        raise ApiError(400, 'invoice-items must be {"invoice-item": [...]}')
    inner = value["invoice-item"]
    rows = inner if isinstance(inner, list) else [inner]
    if not all(isinstance(row, dict) for row in rows):
        raise ApiError(400, "Each invoice-item must be an object")
    return rows


def _address(client: dict[str, Any]) -> str:
    lines = [client["name"], client["street"], f"{client['zip']} {client['city']}".strip()]
    if client["country_code"] not in ("", "DE"):
        lines.append(client["country_code"])
    return "\n".join(line for line in lines if line)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _empty() -> Response:
    return Response(200, b"")


def _due(invoice: dict[str, Any]) -> str:
    days = int(invoice["due_days"] or 0)
    return (dt.date.fromisoformat(invoice["date"]) + dt.timedelta(days=days)).isoformat()
