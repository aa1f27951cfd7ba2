"""Billomat emulator (shared/api/billomat.md), served under /billomat in place of
`https://{billomat_id}.billomat.net`: `/billomat/api/clients`, or with the account named in the
first segment, `/billomat/nordlicht/api/clients` (any other id answers 404 "account not found",
as an unknown Billomat subdomain does).

Billomat answers XML unless asked for JSON; the sandbox always answers JSON (timebill always
asks for JSON), with Billomat's JSON quirks: singular wrappers, a one-element list as an object,
an empty list without its inner key, every scalar a string.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from timebill.core.sandbox.billomat_invoices import InvoiceBook
from timebill.core.sandbox.billomat_seed import API_KEY, BILLOMAT_ID, MYSELF, seed_account
from timebill.core.sandbox.billomat_wire import (
    ApiError,
    contains,
    decimal,
    json_body,
    list_body,
    num,
    ordered,
    scalar,
    wrapped,
)
from timebill.core.sandbox.seed import World
from timebill.core.sandbox.server import Request, Response, json_response
from timebill.core.sandbox.store import Store

S = "billomat"
WINDOW = 15 * 60
# The real limit is 300 per 15 minutes (§2); a test suite would exhaust that, so the sandbox is
# generous unless told otherwise (`emulator.quota = 300`, or the environment variable).
DEFAULT_QUOTA = 100_000
QUOTA_ENV = "TIMEBILL_SANDBOX_BILLOMAT_QUOTA"
# "1": the create body's customfield is taken too (the other reading of digest UNCERTAIN 6).
CUSTOMFIELD_ON_CREATE_ENV = "TIMEBILL_SANDBOX_BILLOMAT_CUSTOMFIELD_ON_CREATE"


@dataclass(frozen=True)
class Kind:
    """A plain resource: list with filters, read, create, partial update, delete."""

    plural: str
    singular: str
    start_id: int
    substring: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ("id", "created")
    # Field built from number_pre + number (client_number, article_number).
    number_field: str | None = None
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


KINDS = {
    "clients": Kind(
        "clients", "client", 812310,
        substring=("name", "client_number", "email", "first_name", "last_name", "note",
                   "customfield"),
        exact=("country_code",),
        read_only=("id", "created", "client_number", "address"),
        number_field="client_number",
        choices={"tax_rule": ("TAX", "NO_TAX", "COUNTRY"),
                 "net_gross": ("NET", "GROSS", "SETTINGS")},
    ),
    "articles": Kind(
        "articles", "article", 910,
        substring=("article_number", "title", "description", "customfield"),
        exact=("currency_code", "unit_id", "supplier_id"),
        numbers=("sales_price", "sales_price2", "sales_price3", "sales_price4", "sales_price5",
                 "purchase_price"),
        read_only=("id", "created", "article_number"),
        number_field="article_number",
        choices={"type": ("", "PRODUCT", "SERVICE")},
    ),
    "units": Kind("units", "unit", 40, substring=("name",), required=("name",)),
    "taxes": Kind("taxes", "tax", 60, substring=("name",), numbers=("rate",),
                  required=("name", "rate", "is_default")),
}  # fmt: skip

TEMPLATES: dict[str, dict[str, str]] = {
    "units": {"name": "", "customfield": ""},
    "taxes": {"name": "", "rate": "0", "is_default": "0", "customfield": ""},
}


class BillomatEmulator:
    name = "billomat"

    def __init__(self, store: Store, world: World) -> None:
        self.store = store
        self.world = world
        self.billomat_id = BILLOMAT_ID
        self.api_key = API_KEY
        # Requests per 15-minute window: unregistered integrations share `quota`; each
        # registered app (X-AppId + X-AppSecret) has its own `app_quota`.
        self.quota = int(os.environ.get(QUOTA_ENV) or DEFAULT_QUOTA)
        self.app_quota = self.quota
        self.clock: Callable[[], float] = time.time
        self._used: dict[tuple[str, int], int] = {}
        self._rate_lock = threading.Lock()
        self.book = InvoiceBook(store, world.today)
        self.book.customfield_on_create = os.environ.get(CUSTOMFIELD_ON_CREATE_ENV) == "1"
        with store.lock:
            seed_account(store, world, self.book)

    # -- the Emulator protocol ------------------------------------------------------------
    def credentials(self, base_url: str) -> dict[str, str]:
        return {"base_url": base_url, "billomat_id": self.billomat_id, "api_key": self.api_key}

    def error(self, status: int, message: str) -> Response:
        response = json_response({"errors": {"error": message}}, status)
        response.headers.update(self._rate_headers("", consume=False)[1])
        return response

    def handle(self, request: Request) -> Response:
        segments = [part for part in request.path.split("/") if part]
        if segments and segments[0] != "api":
            if segments[0].lower() != self.billomat_id:
                return self.error(404, "account not found")
            segments = segments[1:]
        if not segments or segments[0] != "api":
            return self.error(404, "Unknown path")
        key = request.header("X-BillomatApiKey") or request.arg("api_key")
        if key != self.api_key:
            return self.error(401, "Unauthorized: the API key is missing or not valid")
        app = (request.header("X-AppId") or "") if request.header("X-AppSecret") else ""
        allowed, headers = self._rate_headers(app, consume=True)
        if not allowed:
            quota = self.app_quota if app else self.quota
            wait = int(headers["X-Rate-Limit-Reset"]) - int(self.clock())
            response = self.error(
                429,
                f"Maximum number of requests ({quota} per 15 minutes) reached. "
                f"Try again in {wait} seconds.",
            )
        else:
            try:
                with self.store.lock:
                    response = self._route(request, segments[1:])
            except ApiError as exc:
                response = self.error(exc.status, exc.message)
        response.headers.update(headers)
        return response

    # -- helpers for tests and the demo ---------------------------------------------------
    def invoices(self) -> list[dict[str, Any]]:
        """Every stored invoice (wire form) with its `items`, by id."""
        with self.store.lock:
            return self.book.all_with_items()

    def reset_quota(self) -> None:
        with self._rate_lock:
            self._used.clear()

    # -- rate limit -----------------------------------------------------------------------
    def _rate_headers(self, app: str, *, consume: bool) -> tuple[bool, dict[str, str]]:
        """Fixed 15-minute windows (xx:00, :15, :30, :45); unused calls do not carry over."""
        now = self.clock()
        start = int(now // WINDOW) * WINDOW
        quota = self.app_quota if app else self.quota
        with self._rate_lock:
            used = self._used.get((app, start), 0) + (1 if consume else 0)
            if consume:
                self._used = {k: v for k, v in self._used.items() if k[1] == start}
                self._used[(app, start)] = used
        headers = {
            "X-Rate-Limit-Remaining": str(max(0, quota - used)),
            "X-Rate-Limit-Reset": str(start + WINDOW),
        }
        return used <= quota, headers

    # -- routing --------------------------------------------------------------------------
    def _route(self, request: Request, rest: list[str]) -> Response:
        resource, tail = (rest[0], rest[1:]) if rest else ("", [])
        if resource == "invoices":
            return self.book.invoices(request, tail)
        if resource == "invoice-items":
            return self.book.items(request, tail)
        if resource == "clients" and tail == ["myself"] and request.method == "GET":
            return json_response({"client": MYSELF})
        if resource == "settings" and not tail:
            return self._settings(request)
        kind = KINDS.get(resource)
        if kind is None:
            raise ApiError(404, "Unknown path")
        if not tail:
            if request.method in ("GET", "HEAD"):
                return self._list(kind, request)
            if request.method == "POST":
                return json_response({kind.singular: self._create(kind, request)}, 201)
            raise ApiError(405, f"Method {request.method} not allowed on /api/{resource}")
        if len(tail) > 1:
            raise ApiError(404, "Unknown path")
        obj = self.store.get(S, kind.plural, tail[0])
        if obj is None:
            raise ApiError(404, f"{kind.singular.capitalize()} {tail[0]} not found")
        if request.method == "GET":
            return json_response({kind.singular: obj})
        if request.method == "PUT":
            changed = self._write(kind, dict(obj), wrapped(json_body(request), kind.singular))
            self.store.put(S, kind.plural, changed)
            return json_response({kind.singular: changed})
        if request.method == "DELETE":
            self._check_delete(kind, obj)
            self.store.delete(S, kind.plural, obj["id"])
            return Response(200, b"")
        raise ApiError(405, f"Method {request.method} not allowed on /api/{resource}/{{id}}")

    def _settings(self, request: Request) -> Response:
        """GET/PUT /api/settings: the account's settings; the sandbox keeps the fields timebill
        reads (`net_gross`: NET or GROSS, how unit prices are meant where an invoice and its
        client leave it to the account) and a few for show."""
        settings = dict(self.store.get(S, "settings", "account") or {})
        if request.method == "PUT":
            data = wrapped(json_body(request), "settings")
            if "net_gross" in data:
                mode = scalar(data["net_gross"]).upper()
                if mode not in ("NET", "GROSS"):
                    raise ApiError(400, "Field net_gross must be NET or GROSS")
                settings["net_gross"] = mode
            self.store.put(S, "settings", settings)
        elif request.method != "GET":
            raise ApiError(405, f"Method {request.method} not allowed on /api/settings")
        return json_response({"settings": {k: v for k, v in settings.items() if k != "id"}})

    def _list(self, kind: Kind, request: Request) -> Response:
        rows = list(self.store.collection(S, kind.plural).values())
        for name in kind.substring:
            if value := request.arg(name):
                rows = [row for row in rows if contains(row.get(name, ""), value)]
        for name in kind.exact:
            if value := request.arg(name):
                rows = [row for row in rows if row.get(name, "").casefold() == value.casefold()]
        body, total = list_body(
            request, kind.plural, kind.singular, ordered(rows, request.arg("order_by"))
        )
        response = json_response(body, headers={"X-Total-Count": str(total)})
        if request.method == "HEAD":
            response.body = b""
        return response

    def _create(self, kind: Kind, request: Request) -> dict[str, Any]:
        data = wrapped(json_body(request), kind.singular)
        missing = [name for name in kind.required if scalar(data.get(name)) == ""]
        if missing:
            raise ApiError(400, f"Field {missing[0]} is required")
        obj = dict(self._template(kind))
        obj["id"] = str(self.store.next_id(S, kind.plural, kind.start_id))
        obj["created"] = self.book._now()
        if kind.number_field and scalar(data.get("number")) == "":
            taken = [
                int(o["number"])
                for o in self.store.collection(S, kind.plural).values()
                if o["number"].isdigit()
            ]
            obj["number"] = str(max(taken, default=0) + 1)
        obj = self._write(kind, obj, data)
        self.store.put(S, kind.plural, obj)
        return obj

    def _template(self, kind: Kind) -> dict[str, str]:
        if kind.plural in TEMPLATES:
            return TEMPLATES[kind.plural]
        # Clients and articles: the field set of the seeded objects, all unset.
        sample = next(iter(self.store.collection(S, kind.plural).values()))
        defaults = {"archived": "0", "number_pre": sample["number_pre"], "number_length": "0"}
        if kind.plural == "clients":
            defaults |= {"country_code": "DE", "tax_rule": "COUNTRY", "net_gross": "SETTINGS"}
        return {name: "" for name in sample} | defaults

    def _write(self, kind: Kind, obj: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        for name, value in data.items():
            if name in kind.read_only or name not in obj:
                continue  # unknown and read-only fields are ignored, as PUT is partial
            text = scalar(value)
            if name in kind.numbers and text != "":
                text = num(decimal(text, name))
            if name in kind.choices and text.upper() not in kind.choices[name]:
                raise ApiError(
                    400,
                    f"Field {name} must be one of {', '.join(c for c in kind.choices[name] if c)}",
                )
            if name in kind.choices:
                text = text.upper()
            obj[name] = text
        if "currency_code" in obj:
            code = obj["currency_code"] = obj["currency_code"].upper()
            if code and (len(code) != 3 or not code.isalpha()):
                raise ApiError(400, f"Field currency_code must be an ISO 4217 code, got '{code}'")
        for ref, collection in (("unit_id", "units"), ("tax_id", "taxes")):
            if obj.get(ref) and self.store.get(S, collection, obj[ref]) is None:
                raise ApiError(400, f"Field {ref}: no {collection[:-1]} with id {obj[ref]}")
        if kind.number_field:
            obj[kind.number_field] = obj["number_pre"] + obj["number"]
        if kind.plural == "taxes":
            if obj["is_default"] not in ("0", "1"):
                raise ApiError(400, "Field is_default must be 0 or 1")
            if obj["is_default"] == "1":
                for other in list(self.store.collection(S, "taxes").values()):
                    if other["id"] != obj["id"] and other["is_default"] == "1":
                        self.store.put(S, "taxes", {**other, "is_default": "0"})
        return obj

    def _check_delete(self, kind: Kind, obj: dict[str, Any]) -> None:
        if kind.plural == "clients":
            if any(
                i["client_id"] == obj["id"] for i in self.store.collection(S, "invoices").values()
            ):
                raise ApiError(400, "A client with documents cannot be deleted")
        if kind.plural == "units":
            if any(
                a["unit_id"] == obj["id"] for a in self.store.collection(S, "articles").values()
            ):
                raise ApiError(400, "A unit used by an article cannot be deleted")
