"""The Billomat adapter: account check, clients, articles, taxes, units, and invoice drafts
(shared/api/billomat.md). Wire quirks are normalised in `timebill.core.billomat.wire`; every request goes
through `timebill.core.http.ServiceClient`, which honours X-Rate-Limit-Remaining/-Reset (300 requests per
15 minutes without a registered app, §2).

Creating a draft is one request with all items nested. A POST is never retried once it went out
(NetworkError.outcome_unknown): the draft carries the plan's marker in `customfield`, and
`find_by_marker` finds it again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from timebill.core.billing.markers import marker_of
from timebill.core.billomat import wire as wire
from timebill.core.billomat.wire import InvoiceItem
from timebill.core.errors import (
    ConfigError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    UnknownAccountError,
    ValidationError,
)
from timebill.core.http import RetryPolicy, ServiceClient, json_error_text
from timebill.core.models import (
    Account,
    Article,
    BillomatClient,
    Invoice,
    InvoiceLine,
    InvoicePlan,
    NetGross,
    Tax,
    Unit,
)
from timebill.core.money import Amount, Totals, with_lines
from timebill.core.secrets import reveal

__all__ = ["Billomat", "InvoiceItem", "check_billomat_id"]

MAX_PER_PAGE = 1000  # Billomat's maximum page size (§1)
DEFAULT_MAX_RATE_LIMIT_WAIT = 900.0  # one whole quarter-hour window (§2)
_BARE_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_XML_ERROR = re.compile(r"<error>(.*?)</error>", re.S)


def check_billomat_id(billomat_id: str) -> str:
    """The bare Billomat ID (the subdomain), or ConfigError saying what to enter instead."""
    value = (billomat_id or "").strip()
    example = "e.g. 'nordlicht' for https://nordlicht.billomat.net"
    if not value:
        raise ConfigError(
            "The Billomat ID is missing: enter the first part of your Billomat address, "
            f"{example}.",
            service="billomat",
        )
    if not _BARE_ID.match(value):
        host = re.sub(r"^[a-z]+://", "", value, flags=re.I).split("/")[0]
        hint = host.split(".")[0] if host.lower().endswith(".billomat.net") else ""
        if hint and _BARE_ID.match(hint):
            example = f"here {hint!r}"
        raise ConfigError(
            f"The Billomat ID {value!r} is not a bare ID: enter only the first part of your "
            f"Billomat address, {example} (no https://, dots or slashes).",
            service="billomat",
        )
    return value


def _line_key(title: str, quantity: Any, unit_price: Any) -> tuple[str, Decimal, Decimal]:
    return (title.strip(), Decimal(str(quantity)).normalize(), Decimal(str(unit_price)).normalize())


def invoice_order(invoice: Invoice) -> tuple[int, str]:
    """Billomat ids grow with creation: the smaller id is the older invoice."""
    return (len(invoice.id), invoice.id)


def _error_text(response: httpx.Response) -> str | None:
    """`{"errors":{"error":"msg"}}` (error may be a list), or the XML equivalent."""
    found = json_error_text(response, ("errors", "error"), ("error",), ("message",))
    if found:
        return found
    if "xml" in response.headers.get("Content-Type", ""):
        messages = _XML_ERROR.findall(response.text)
        return "; ".join(m.strip() for m in messages) or None
    return None


class Billomat:
    """Async context manager: `async with Billomat(id, key) as billomat: ...`."""

    service = "billomat"

    def __init__(
        self,
        billomat_id: str,
        api_key: Any,
        *,
        base_url: str | None = None,
        app_id: str | None = None,
        app_secret: Any = None,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PER_PAGE,
        max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
    ) -> None:
        self.billomat_id = check_billomat_id(billomat_id)
        key = reveal(api_key).strip()
        if not key:
            raise ConfigError(
                "The Billomat API key is missing: create one in Billomat under Einstellungen > "
                "Administration > Benutzer and enter it in the setup.",
                service="billomat",
            )
        secret = reveal(app_secret).strip() if app_secret is not None else ""
        app = (app_id or "").strip()
        if bool(app) != bool(secret):
            raise ConfigError(
                "Billomat: set both app_id and app_secret (a registered app) or neither.",
                service="billomat",
            )
        headers = {"X-BillomatApiKey": key}
        if app:
            headers.update({"X-AppId": app, "X-AppSecret": secret})
        # A base_url may name the account with "{billomat_id}" (the sandbox's /billomat/{id}).
        url = (base_url or "https://{billomat_id}.billomat.net").replace(
            "{billomat_id}", self.billomat_id
        )
        self.page_size = max(1, min(MAX_PER_PAGE, page_size))
        # Paths whose 404 carried Billomat's own JSON error body (see `invoice_gone`).
        self._json_404: set[str] = set()
        self.http = ServiceClient(
            "billomat",
            url,
            headers=headers,
            secrets=[key, secret],
            error_message=self._error_text,
            retry=retry,
            # Windows are fixed quarter hours shared with every other integration (§2): the
            # next one is up to 15 minutes away, and waiting for it beats ending the run.
            max_rate_limit_wait=max_rate_limit_wait,
            wait_setting="billomat.max_rate_limit_wait",
        )

    def _error_text(self, response: httpx.Response) -> str | None:
        text = _error_text(response)
        if (
            response.status_code == 404
            and text
            and "json" in response.headers.get("Content-Type", "")
        ):
            self._json_404.add(response.request.url.path)
        return text

    @property
    def account_key(self) -> str:
        """Which Billomat account this is, as the journal records it for each plan: the ID and
        the host (not the port: a local sandbox comes back on another one)."""
        host = urlsplit(self.http.base_url).hostname or ""
        return f"{self.billomat_id.lower()}@{host.lower()}"

    def __repr__(self) -> str:
        return f"<Billomat {self.billomat_id} at {self.http.base_url}>"

    async def __aenter__(self) -> Billomat:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def requests_sent(self) -> int:
        return self.http.requests_sent

    # -- account and master data ----------------------------------------------------------
    async def verify(self) -> Account:
        """Who the key belongs to (GET /clients/myself: the account's own data)."""
        me = wire.single(await self._get("/api/clients/myself"), "client")
        return Account(
            service="billomat",
            name=wire.text(me.get("name")) or self.billomat_id,
            id=self.billomat_id,
            currency=wire.optional(me.get("currency_code")) or "EUR",
        )

    async def account_prices(self) -> NetGross:
        """The account's price setting (GET /settings `net_gross`): how an invoice's unit prices
        are read when neither the invoice nor its client says otherwise."""
        try:
            settings = wire.single(await self._get("/api/settings"), "settings")
        except (PermissionDeniedError, NotFoundError) as exc:
            if isinstance(exc, UnknownAccountError):
                raise
            # A user without the right to read the settings: NET is still billed right, as
            # every invoice says `net_gross` and sends prices that match it; only a GROSS
            # account's habit of showing gross prices is not followed.
            return "NET"
        return wire.net_gross(settings.get("net_gross")) or "NET"

    async def clients(self) -> list[BillomatClient]:
        """Clients with the price setting that applies to them resolved (a client's SETTINGS
        defers to the account's)."""
        rows = await self._all("/api/clients", "clients", "client")
        # After the list, not beside it: the lists' requests go out together as before, and a
        # refused key ends the run on the first of them.
        prices = await self.account_prices()
        return [wire.to_client(row, prices) for row in rows]

    async def create_client(self, name: str, *, note: str = "") -> BillomatClient:
        """A new client named like the tracker's customer (neither tracker keeps an address, so
        Billomat's defaults apply: the account's country, tax rule COUNTRY, net/gross SETTINGS).
        The name is sent as typed; Billomat numbers the client itself."""
        name = name.strip()
        if not name:
            raise ValueError("a Billomat client needs a name")
        body: dict[str, object] = {"name": name}
        if note:
            body["note"] = note
        created = await self._send("POST", "/api/clients", {"client": body})
        return wire.to_client(wire.single(created, "client"))

    async def taxes(self) -> list[Tax]:
        return [wire.to_tax(row) for row in await self._all("/api/taxes", "taxes", "tax")]

    async def units(self) -> list[Unit]:
        return [wire.to_unit(row) for row in await self._all("/api/units", "units", "unit")]

    async def articles(self) -> list[Article]:
        """Articles with their unit's name and tax rate resolved (the API gives only ids)."""
        rows, units, taxes = await asyncio.gather(
            self._all("/api/articles", "articles", "article"), self.units(), self.taxes()
        )
        by_unit = {unit.id: unit for unit in units}
        by_tax = {tax.id: tax for tax in taxes}
        return [wire.to_article(row, by_unit, by_tax) for row in rows]

    # -- invoices ---------------------------------------------------------------------------
    async def create_draft(self, plan: InvoicePlan, customfield: str | None = None) -> Invoice:
        """One POST creates the draft with all its items; `customfield` (default: the plan's
        marker; timebill.core.billing.markers) is set again with PUT /{id}/customfield if the
        create did not take it (digest UNCERTAIN 6). `item_count` is read back, so a caller can
        see every line landed."""
        if not plan.lines:
            raise ValueError("an invoice plan needs at least one line")
        tag = customfield or plan.marker
        body = wire.plan_body(plan)
        body["invoice"]["customfield"] = tag
        created = wire.single(await self._send("POST", "/api/invoices", body), "invoice")
        invoice_id = wire.text(created.get("id"))
        if wire.text(created.get("customfield")) != tag:
            try:
                await self._send(
                    "PUT",
                    f"/api/invoices/{invoice_id}/customfield",
                    {"invoice": {"customfield": tag}},
                )
            except ServiceError as exc:
                number = wire.text(created.get("invoice_number")) or invoice_id
                exc.message = (
                    f"Billomat created draft {number} (id {invoice_id}) but did not store its "
                    f"marker: {exc.message} Delete that draft in Billomat before trying again, "
                    "or it cannot be recognised as this invoice."
                )
                exc.args = (exc.message,)
                raise
            created = {**created, "customfield": tag}
        created = await self._add_tax_note(created, plan)
        # Whether the POST answer nests the items is UNCERTAIN (5): count them with one small
        # read. The draft exists and carries its marker by now, so a failed count must not turn
        # the create into an error (a retry would find the draft, but the user would see a failure).
        total: int | None = None
        try:
            _, total = await self._page(
                "/api/invoice-items",
                "invoice-items",
                "invoice-item",
                {"invoice_id": invoice_id},
                page=1,
                per_page=1,
            )
        except ServiceError:
            total = None
        return wire.to_invoice(created, item_count=total)

    async def _add_tax_note(self, created: dict[str, Any], plan: InvoicePlan) -> dict[str, Any]:
        """The tax note (reverse charge, not taxable in Germany) added to the draft's note, after
        the account's default text (the payment terms), which the create left in place."""
        existing = wire.text(created.get("note"))
        note = wire.with_note(existing, plan.tax_note)
        if note == existing:
            return created
        invoice_id = wire.text(created.get("id"))
        await self._send("PUT", f"/api/invoices/{invoice_id}", {"invoice": {"note": note}})
        return {**created, "note": note}

    async def add_items(
        self,
        invoice_id: str,
        lines: Iterable[InvoiceLine],
        *,
        markers: Sequence[str] | None = None,
        before_each: Callable[[int], None] | None = None,
        period: tuple[dt.date, dt.date] | None = None,
        note: str = "",
    ) -> list[InvoiceItem]:
        """Append `lines` to a draft, one POST each (Billomat has no batch endpoint); they land
        after the existing items. `markers` (one per line) go into each item's `customfield`,
        so a crashed run can tell which lines already arrived. `before_each(index)` is called
        right before each line's request goes out (the journal records what is in flight).
        Prices follow the draft's `net_gross`. Then one PUT widens the draft's service period
        to cover `period` and adds `note` (a tax note) to its note, where either changes
        anything."""
        lines = list(lines)
        if markers is not None and len(markers) != len(lines):
            raise ValueError("add_items needs exactly one marker per line")
        if not lines:
            return []
        current = await self.invoice(invoice_id)
        if current.status != "DRAFT":
            raise ConflictError(
                f"Billomat invoice {current.invoice_number or invoice_id} is {current.status}, not "
                "a draft: items can only be added to drafts. Create a new draft instead.",
                service="billomat",
            )
        added = []
        for index, line in enumerate(lines):
            marker = markers[index] if markers else ""
            fields = {"invoice_id": invoice_id, **wire.line_body(line, current.net_gross)}
            if marker:
                fields["customfield"] = marker
            if before_each is not None:
                before_each(index)
            answer = await self._send("POST", "/api/invoice-items", {"invoice-item": fields})
            item = wire.to_item(wire.single(answer, "invoice-item"))
            if marker and item.customfield != marker:
                # As for invoices, the create body may not take customfield (UNCERTAIN 6).
                await self._send(
                    "PUT",
                    f"/api/invoice-items/{item.id}/customfield",
                    {"invoice-item": {"customfield": marker}},
                )
                item = item.model_copy(update={"customfield": marker})
            added.append(item)
        await self._update_draft(current, period, note)
        return added

    async def _update_draft(
        self, current: Invoice, period: tuple[dt.date, dt.date] | None, note: str
    ) -> None:
        changes: dict[str, Any] = {}
        if period is not None:
            supply_date, supply_type = wire.service_period(
                *wire.widened_period(current.supply_date, *period)
            )
            if supply_date != current.supply_date:
                changes.update({"supply_date": supply_date, "supply_date_type": supply_type})
        if wire.with_note(current.note, note) != current.note:
            changes["note"] = wire.with_note(current.note, note)
        if changes:
            await self._send("PUT", f"/api/invoices/{current.id}", {"invoice": changes})

    async def draft_amounts(self, invoice_id: str) -> tuple[Invoice, list[Amount]]:
        """A draft and its items' amounts as Billomat computed them (their gross on a GROSS
        draft), for timebill.core.money.amount_totals: what a draft totals with lines added."""
        invoice, items = await asyncio.gather(
            self.invoice(invoice_id), self.invoice_items(invoice_id)
        )
        gross = invoice.net_gross == "GROSS"
        amounts = [
            (
                item.tax_name,
                item.tax_rate or Decimal(0),
                item.total_gross if gross else item.total_net,
            )
            for item in items
        ]
        return invoice, amounts

    async def draft_totals(
        self, invoice_id: str, lines: Iterable[InvoiceLine]
    ) -> tuple[Invoice, Totals, Totals]:
        """A draft, its totals now and with `lines` added (priced as the draft's `net_gross`
        reads them)."""
        invoice, amounts = await self.draft_amounts(invoice_id)
        return invoice, *with_lines(amounts, lines, invoice.net_gross)

    async def drafts(self, client_id: str | None = None) -> list[Invoice]:
        params = {"status": "DRAFT"} | ({"client_id": client_id} if client_id else {})
        rows = await self._all("/api/invoices", "invoices", "invoice", params)
        invoices = [wire.to_invoice(row) for row in rows]
        return [
            i
            for i in invoices
            if i.status == "DRAFT" and (not client_id or i.client_id == client_id)
        ]

    async def find_by_marker(self, marker: str, client_id: str | None = None) -> Invoice | None:
        """The oldest invoice (any status) carrying the plan's `marker`."""
        found = await self.find_all_by_marker(marker, client_id)
        return found[0] if found else None

    async def find_all_by_marker(self, marker: str, client_id: str | None = None) -> list[Invoice]:
        """Every invoice (any status) carrying the plan's `marker` (alone, or as the first part
        of timebill's tag), oldest first. Billomat's filter may match substrings, or (UNCERTAIN)
        only whole values, which would miss a tag: when it finds nothing, the client's drafts
        are read and compared here too."""
        if not marker:
            raise ValueError("find_by_marker needs a non-empty marker")
        scope = {"client_id": client_id} if client_id else {}
        rows = await self._all(
            "/api/invoices", "invoices", "invoice", {"customfield": marker} | scope
        )
        found = self._carrying(rows, marker, client_id)
        if not found:
            rows = await self._all(
                "/api/invoices", "invoices", "invoice", {"status": "DRAFT"} | scope
            )
            found = self._carrying(rows, marker, client_id)
        return sorted(found, key=invoice_order)

    @staticmethod
    def _carrying(rows: list[dict[str, Any]], marker: str, client_id: str | None) -> list[Invoice]:
        return [
            wire.to_invoice(row)
            for row in rows
            if marker_of(wire.text(row.get("customfield"))) == marker
            and (not client_id or wire.text(row.get("client_id")) == client_id)
        ]

    async def find_untagged_copies(self, plan: InvoicePlan) -> list[Invoice]:
        """Drafts of the plan's client without any customfield whose lines are exactly the
        plan's, oldest first: a create that landed after its answer was lost, where Billomat
        did not take the customfield from the create body (UNCERTAIN 6) and the PUT that sets
        it never came. Items are read only for drafts whose net total matches."""
        rows = await self._all(
            "/api/invoices", "invoices", "invoice", {"status": "DRAFT", "client_id": plan.client_id}
        )
        return await self.untagged_copies(plan, [wire.to_invoice(row) for row in rows])

    async def untagged_copies(self, plan: InvoicePlan, drafts: Iterable[Invoice]) -> list[Invoice]:
        """Of `drafts`, the untagged copies of `plan` (see `find_untagged_copies`)."""
        found = []
        for draft in drafts:
            if (
                draft.customfield
                or draft.status != "DRAFT"
                or draft.client_id != plan.client_id
                or draft.total_net != plan.total_net
            ):
                continue
            try:
                items = await self.invoice_items(draft.id)
            except NotFoundError:
                continue  # deleted meanwhile
            if any(i.customfield for i in items):
                continue  # lines someone marked: a draft timebill filled, not a lost create
            if [_line_key(i.title, i.quantity, i.unit_price) for i in items] == [
                _line_key(line.title, line.quantity, line.unit_price) for line in plan.lines
            ]:
                found.append(draft)
        return sorted(found, key=invoice_order)

    async def set_customfield(self, invoice_id: str, value: str) -> None:
        await self._send(
            "PUT", f"/api/invoices/{invoice_id}/customfield", {"invoice": {"customfield": value}}
        )

    async def invoice_gone(self, invoice_id: str) -> bool:
        """True only when Billomat itself says the invoice does not exist: a 404 with its JSON
        error body, on an account that answers. False when it exists. Anything else (an HTML
        404 from a proxy, "account not found", a timeout) raises: it proves nothing."""
        path = f"/api/invoices/{invoice_id}"
        self._json_404 = {p for p in self._json_404 if not p.endswith(path)}
        try:
            await self.invoice(invoice_id)
        except UnknownAccountError:
            raise
        except NotFoundError as exc:
            if not any(p.endswith(path) for p in self._json_404):
                raise NotFoundError(
                    f"Billomat answered GET {path} with a 404 that is not Billomat's own error "
                    "(a proxy's page?): that does not prove the invoice is gone.",
                    service="billomat",
                    status=exc.status,
                ) from None
            return True
        return False

    async def invoice(self, invoice_id: str) -> Invoice:
        """One invoice (without items: GET /invoices/{id} does not include them)."""
        return wire.to_invoice(
            wire.single(await self._get(f"/api/invoices/{invoice_id}"), "invoice")
        )

    async def invoice_items(self, invoice_id: str) -> list[InvoiceItem]:
        rows = await self._all(
            "/api/invoice-items", "invoice-items", "invoice-item", {"invoice_id": invoice_id}
        )
        return sorted((wire.to_item(row) for row in rows), key=lambda item: item.position)

    async def delete_invoice(self, invoice_id: str) -> None:
        """Delete a draft. Billomat refuses other statuses (with 400 or 422: UNCERTAIN, digest
        §4), which is a ConflictError here: the invoice's state, not the request, is the problem."""
        await self._delete(
            f"/api/invoices/{invoice_id}", f"invoice {invoice_id}", "only drafts can be deleted"
        )

    async def delete_item(self, item_id: str) -> None:
        """Delete one item of a draft. Billomat refuses items of a completed invoice (a
        ConflictError here, as for `delete_invoice`)."""
        await self._delete(
            f"/api/invoice-items/{item_id}",
            f"invoice item {item_id}",
            "only items of drafts can be deleted",
        )

    async def _delete(self, path: str, what: str, rule: str) -> None:
        try:
            await self._send("DELETE", path, None)
        except ValidationError as exc:
            detail = exc.message.split(": ", 1)[-1].rstrip(".")
            raise ConflictError(
                f"Billomat refused to delete {what} ({detail}); {rule}.",
                service="billomat",
                status=exc.status,
            ) from None

    # -- plumbing ---------------------------------------------------------------------------
    async def _all(
        self, path: str, plural: str, singular: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every page of a list, deduplicated by id (a list that changes while we page could
        repeat an object)."""
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        page = 1
        while True:
            chunk, total = await self._page(
                path, plural, singular, params, page=page, per_page=self.page_size
            )
            for row in chunk:
                key = wire.text(row.get("id"))
                if key not in seen or not key:
                    seen.add(key)
                    rows.append(row)
            fetched = (page - 1) * self.page_size + len(chunk)
            if len(chunk) < self.page_size or (total is not None and fetched >= total):
                return rows
            page += 1

    async def _page(
        self,
        path: str,
        plural: str,
        singular: str,
        params: Mapping[str, Any] | None,
        *,
        page: int,
        per_page: int,
    ) -> tuple[list[dict[str, Any]], int | None]:
        body = await self._get(path, {**(params or {}), "page": page, "per_page": per_page})
        return wire.page_rows(body, plural, singular)

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return await self.http.get_json(path, params)
        except NotFoundError as exc:
            raise self._account_error(exc) from None

    async def _send(self, method: str, path: str, body: Any) -> Any:
        try:
            return await self.http.send_json(method, path, body)
        except NotFoundError as exc:
            raise self._account_error(exc) from None

    def _account_error(self, exc: NotFoundError) -> NotFoundError:
        """An unknown Billomat ID answers 404 "account not found" on every path (§4)."""
        if "account not found" not in exc.message.lower():
            return exc
        return UnknownAccountError(
            f"Billomat ID '{self.billomat_id}' does not exist (Billomat answered "
            "'account not found'). Check the ID: it is the first part of your Billomat address, "
            "e.g. 'nordlicht' for https://nordlicht.billomat.net.",
            service="billomat",
            status=404,
        )
