"""The clockodo adapter (shared/api/clockodo.md): entries from /api/v2/entries, marking billed
with billable=2 per entry, or for a whole scope through /api/v2/entrygroups where that provably
touches only the entries asked for.

clockodo limits each user to 900 requests a minute, 2,250 per 15 minutes, 4,500 an hour and
20,000 a day (§5). Every request waits for the adapter's `Pacer` so a run stays below all four,
and a plan's entries are marked per customer with one entrygroups change (`mark_in_bulk`): 5,000
entries one PUT each would need more than an hour of the budget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ServiceError,
    ValidationError,
)
from timebill.core.http import RetryPolicy, ServiceClient
from timebill.core.models import (
    Account,
    Customer,
    MarkResult,
    Project,
    Service,
    SourceName,
    TimeEntry,
    User,
)
from timebill.core.ratelimit import CLOCKODO_LIMITS, Pacer, Window
from timebill.core.secrets import reveal
from timebill.core.sources.clockodo_wire import (
    APP_HEADER,
    APP_HEADER_MAX,
    BILLABLE,
    BILLED,
    DEFAULT_APP_HEADER,
    DEFAULT_BASE_URL,
    EntryReader,
    billable_filter,
    decimal,
    error_text,
    filter_params,
    lumpsum_service,
    timezone,
    utc_window,
    wire_filters,
)

log = logging.getLogger("timebill.clockodo")

ENTRIES = "/api/v2/entries"
ENTRYGROUPS = "/api/v2/entrygroups"
PAGE_MAX = 1000  # the digest: items_per_page 1-1000 on entries
# Entries normalized between two turns of the event loop while loading: small enough that the
# next pages' requests go out at once and the app keeps drawing, big enough to cost nothing.
YIELD_EVERY = 100
# A bulk change costs a dry run, a confirm and two listings: below this, one PUT each is cheaper.
BULK_MIN = 6


@dataclass(frozen=True)
class BulkScope:
    """Where the entries to mark lie, as clockodo can select them: local days start..end and at
    most one id per filter. `mark_billed(..., bulk=scope)` uses it only when the scope holds
    exactly the entries to mark."""

    start: dt.date
    end: dt.date
    customer_id: str | None = None
    project_id: str | None = None
    service_id: str | None = None
    user_id: str | None = None

    def filters(self) -> dict[str, str | None]:
        return {
            "customer_id": self.customer_id,
            "project_id": self.project_id,
            "service_id": self.service_id,
            "user_id": self.user_id,
        }


class ClockodoSource:
    name: SourceName = "clockodo"
    supports_bulk_mark = True
    has_lumpsums = True

    def __init__(
        self,
        email: str,
        api_key: Any,
        *,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = PAGE_MAX,
        app_header: str = DEFAULT_APP_HEADER,
        max_concurrency: int = 8,
        limits: tuple[Window, ...] | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        """`limits`: the per-user request limits to stay below (clockodo's own by default;
        scaled down in tests with `timebill.core.ratelimit.scaled`); `pacer` replaces the
        pacer built from them (tests inject one with a fake clock)."""
        key = reveal(api_key)
        self.email = (email or "").strip()
        if not self.email or not key:
            raise ConfigError(
                "clockodo needs the login e-mail and that user's API key.", service="clockodo"
            )
        if not app_header.strip() or len(app_header) > APP_HEADER_MAX:
            raise ConfigError(
                f"clockodo: the {APP_HEADER} value must be 1-{APP_HEADER_MAX} characters "
                "('application name;contact e-mail').",
                service="clockodo",
            )
        if not 1 <= page_size <= PAGE_MAX:
            raise ConfigError(f"clockodo: page_size must be 1-{PAGE_MAX}.", service="clockodo")
        self.page_size = page_size
        self._client = ServiceClient(
            "clockodo",
            base_url or DEFAULT_BASE_URL,
            headers={
                "X-ClockodoApiUser": self.email,
                "X-ClockodoApiKey": key,
                APP_HEADER: app_header,
            },
            secrets=[key],
            error_message=error_text,
            retry=retry,
            max_concurrency=max_concurrency,
            pacer=pacer or Pacer(limits or CLOCKODO_LIMITS, service="clockodo", title="clockodo"),
        )
        self._me: dict[str, Any] | None = None
        # Entries this adapter has read, by id: `mark_in_bulk` groups a plan's entries by their
        # customer and days without listing them again (its checks ask clockodo itself).
        self._seen: dict[str, TimeEntry] = {}
        self._lumpsum_prices: dict[str, tuple[str | None, Decimal | None]] | None = None

    def __repr__(self) -> str:
        return f"<ClockodoSource {self.email} at {self._client.base_url}>"

    @property
    def requests_sent(self) -> int:
        return self._client.requests_sent

    async def __aenter__(self) -> ClockodoSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    # -- requests --------------------------------------------------------------------------
    async def _send(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        try:
            if method == "GET":
                answer = await self._client.get_json(path, params)
            else:
                answer = await self._client.send_json(method, path, body, params)
        except AuthenticationError as exc:
            # The stock 401 text speaks of the key only; clockodo checks the pair.
            raise AuthenticationError(
                f"clockodo did not accept the login e-mail {self.email!r} with this API key "
                "(401). Check that the e-mail is the one you log in to clockodo with and that "
                "the key is that user's API key (clockodo: personal settings).",
                service="clockodo",
                status=exc.status,
            ) from None
        if not isinstance(answer, dict):
            raise ServerError(
                f"clockodo answered {method} {path} with something that is not a JSON object.",
                service="clockodo",
            )
        return answer

    async def _pages(self, path: str, key: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every item of a paged list, deduplicated by id (an entry added meanwhile shifts the
        pages)."""
        items: dict[str, dict[str, Any]] = {}

        async def take(page_items: list[dict[str, Any]]) -> None:
            for item in page_items:
                items.setdefault(str(item["id"]), item)

        await self._each_page(path, key, params, take)
        return list(items.values())

    async def _each_page(
        self,
        path: str,
        key: str,
        params: Mapping[str, Any],
        take: Callable[[list[dict[str, Any]]], Awaitable[None]],
    ) -> None:
        """Hand every page's items to `take`, in page order: page 1, then pages 2..count_pages
        all requested at once (bounded by the client's concurrency). `take` works on a page
        while the later ones are still on their way."""
        query = {**params, "items_per_page": self.page_size}
        first = await self._send("GET", path, params={**query, "page": 1})
        count = int((first.get("paging") or {}).get("count_pages") or 1)
        if count <= 1:
            await take(self._page_items(first, path, key))
            return
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(self._send("GET", path, params={**query, "page": page}))
                    for page in range(2, count + 1)
                ]
                await take(self._page_items(first, path, key))
                for task in tasks:
                    await take(self._page_items(await task, path, key))
        except* ServiceError as failed:
            raise failed.exceptions[0] from None

    @staticmethod
    def _page_items(answer: dict[str, Any], path: str, key: str) -> list[dict[str, Any]]:
        items = answer.get(key)
        if not isinstance(items, list):
            raise ServerError(
                f"clockodo answered {path} without its {key!r} list.", service="clockodo"
            )
        return items

    # -- account and master data -----------------------------------------------------------
    async def verify(self) -> Account:
        me = (await self._send("GET", "/api/v4/users/me")).get("data")
        if not isinstance(me, dict):
            raise ServerError("clockodo answered users/me without the user.", service="clockodo")
        self._me = me
        return Account(
            service="clockodo",
            name=str(me.get("name") or self.email),
            id=None if me.get("id") is None else str(me["id"]),
            user_name=me.get("name"),
            user_id=None if me.get("id") is None else str(me["id"]),
            role=me.get("role"),
            timezone=me.get("timezone"),
        )

    async def _timezone(self) -> ZoneInfo:
        if self._me is None:
            await self.verify()
        return timezone((self._me or {}).get("timezone"))

    async def customers(self) -> list[Customer]:
        return [
            Customer(
                id=str(c["id"]),
                name=c["name"],
                archived=c.get("active") is False,
                number=c.get("number"),
            )
            for c in await self._pages("/api/v3/customers", "data", {})
        ]

    async def projects(self) -> list[Project]:
        customers, projects = await asyncio.gather(
            self.customers(), self._pages("/api/v4/projects", "data", {})
        )
        names = {c.id: c.name for c in customers}
        return [
            Project(
                id=str(p["id"]),
                name=p["name"],
                customer_id=None if p.get("customers_id") is None else str(p["customers_id"]),
                customer_name=names.get(str(p.get("customers_id"))),
                archived=p.get("active") is False,
            )
            for p in projects
        ]

    async def services(self) -> list[Service]:
        """Services, then lump-sum services (ids prefixed "lumpsum-"), so both can be assigned."""
        services = [
            Service(id=str(s["id"]), name=s["name"], archived=s.get("active") is False)
            for s in await self._pages("/api/v4/services", "data", {})
        ]
        return services + [lumpsum_service(raw) for raw in await self._lumpsum_services()]

    async def _lumpsum_services(self) -> list[dict[str, Any]]:
        # The SDK's endpoint, not in the digest: where it is missing, lump sums still work from
        # the entries' revenue, only without the service's name.
        try:
            raws = await self._pages("/api/v4/lumpSumServices", "data", {})
        except (NotFoundError, PermissionDeniedError) as exc:
            log.info("clockodo: no lump-sum services (%s)", exc)
            raws = []
        self._lumpsum_prices = {
            str(r["id"]): (r.get("name"), decimal(r.get("price"))) for r in raws
        }
        return raws

    async def users(self) -> list[User]:
        return [
            User(
                id=str(u["id"]),
                name=u["name"],
                email=u.get("email"),
                role=u.get("role"),
                archived=u.get("active") is False,
            )
            for u in await self._pages("/api/v3/users", "data", {})
        ]

    # -- entries ---------------------------------------------------------------------------
    async def entries(
        self,
        start: dt.date,
        end: dt.date,
        *,
        customer_id: str | None = None,
        project_id: str | None = None,
        service_id: str | None = None,
        user_id: str | None = None,
        billable: bool | None = None,
        billed: bool | None = None,
    ) -> list[TimeEntry]:
        """All entries of the local days start..end (in the user's clockodo time zone)."""
        wanted = {
            "customer_id": customer_id,
            "project_id": project_id,
            "service_id": service_id,
            "user_id": user_id,
        }
        code, possible = billable_filter(billable, billed)
        filters = wire_filters(wanted)
        if end < start or not possible or filters is None:
            return []
        if code is not None:
            filters["billable"] = code
        tz = await self._timezone()
        params = {**utc_window(start, end, tz), **filter_params(filters), "enhanced_list": "true"}
        reader = EntryReader(tz, self._lumpsum_prices)
        # Checked again here: whether clockodo selects by start or by overlap is UNCERTAIN
        # (digest), and whether filter[billable]=1 includes billed entries too.
        checks: list[tuple[str, object]] = [(k, v) for k, v in wanted.items() if v is not None]
        if billable is not None:
            checks.append(("billable", billable))
        if billed is not None:
            checks.append(("billed", billed))
        seen: set[str] = set()
        result: list[TimeEntry] = []

        async def take(raws: list[dict[str, Any]]) -> None:
            if self._lumpsum_prices is None and any(raw.get("type") == 3 for raw in raws):
                await self._lumpsum_services()
                reader.lumpsum_prices = self._lumpsum_prices or {}
            for first in range(0, len(raws), YIELD_EVERY):
                for raw in raws[first : first + YIELD_EVERY]:
                    try:
                        entry = reader(raw)
                    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                        raise ServerError(
                            "clockodo sent an entry timebill cannot read "
                            f"(id {raw.get('id')}: {exc!r}).",
                            service="clockodo",
                        ) from None
                    # An entry added meanwhile shifts the pages: the same one can come twice.
                    if entry.id in seen:
                        continue
                    seen.add(entry.id)
                    self._seen[entry.id] = entry
                    if start <= entry.date <= end and (
                        not checks or all(getattr(entry, k) == v for k, v in checks)
                    ):
                        result.append(entry)
                # Lets the other pages' requests go out, and the app redraw, meanwhile.
                await asyncio.sleep(0)

        await self._each_page(ENTRIES, "entries", params, take)
        return result

    async def entry(self, entry_id: str) -> TimeEntry | None:
        """One entry read by id (None when clockodo says it does not exist)."""
        if not str(entry_id).isdigit():
            return None
        try:
            raw = (await self._send("GET", f"{ENTRIES}/{entry_id}")).get("entry")
        except NotFoundError:
            return None
        if not isinstance(raw, dict):
            raise ServerError(f"clockodo answered entry {entry_id} without it.", service="clockodo")
        if raw.get("type") == 3 and self._lumpsum_prices is None:
            await self._lumpsum_services()
        return EntryReader(await self._timezone(), self._lumpsum_prices)(raw)

    # -- marking ---------------------------------------------------------------------------
    async def mark_billed(
        self, entry_ids: Iterable[str], *, bulk: BulkScope | None = None
    ) -> MarkResult:
        """Set billable=2 on exactly these entries: one PUT each, or with `bulk` one entrygroups
        change where it provably selects exactly them (see `_mark_scope`)."""
        ids = list(dict.fromkeys(str(i) for i in entry_ids))
        if bulk is not None and len(ids) > 1:
            done = await self._mark_scope(ids, bulk)
            if done is not None:
                return done
        return await self._set_billable(ids, BILLED)

    async def mark_in_bulk(
        self, entry_ids: Iterable[str], start: dt.date, end: dt.date
    ) -> MarkResult:
        """Mark the entries (dated start..end) customer by customer with one entrygroups change
        each, where clockodo's count for that change equals the plan's count for the customer and
        the entries afterwards are exactly these (`_mark_scope`). Returns what was marked that
        way; everything else is left for `mark_billed`, one PUT each."""
        ids = list(dict.fromkeys(str(i) for i in entry_ids))
        known = self._seen
        if any(i not in known for i in ids):
            known = {e.id: e for e in await self.entries(start, end)}
        groups: dict[str, list[str]] = {}
        for entry_id in ids:
            entry = known.get(entry_id)
            if entry is not None and entry.customer_id and not entry.billed:
                groups.setdefault(entry.customer_id, []).append(entry_id)
        succeeded: list[str] = []
        for customer_id, group in groups.items():
            if len(group) < BULK_MIN:
                continue
            days = [known[i].date for i in group]
            scope = BulkScope(min(days), max(days), customer_id=customer_id)
            done = await self._mark_scope(group, scope)
            if done is None:
                log.info(
                    "clockodo: customer %s: the bulk change would not touch exactly the plan's "
                    "%d entries; marking them one by one",
                    customer_id,
                    len(group),
                )
                continue
            succeeded.extend(done.succeeded)
        return MarkResult(succeeded=tuple(succeeded))

    async def release(self, entry_ids: Iterable[str]) -> MarkResult:
        return await self._set_billable(list(dict.fromkeys(str(i) for i in entry_ids)), BILLABLE)

    async def _set_billable(self, ids: list[str], value: int) -> MarkResult:
        async def one(entry_id: str) -> str | None:
            if not entry_id.isdigit():
                return "not a clockodo entry id"
            try:
                answer = await self._send("PUT", f"{ENTRIES}/{entry_id}", {"billable": value})
            except ServiceError as exc:
                return exc.message
            got = (answer.get("entry") or {}).get("billable")
            return None if got == value else f"clockodo kept billable={got} instead of {value}"

        reasons = await asyncio.gather(*(one(i) for i in ids))
        return MarkResult(
            succeeded=tuple(i for i, r in zip(ids, reasons, strict=True) if r is None),
            failed={i: r for i, r in zip(ids, reasons, strict=True) if r is not None},
        )

    async def _mark_scope(self, ids: list[str], scope: BulkScope) -> MarkResult | None:
        """Mark through PUT /v2/entrygroups, or None where that is not provably exact.

        entrygroups selects by time window and filters, never by id. It is used only when its
        first (dry) answer counts exactly len(ids) open entries AND a listing with the same
        window and filters holds exactly these ids as open. The confirm then edits what matches
        at that moment (the sandbox's worst case; UNCERTAIN for clockodo), so an entry added in
        the last instant could be caught too: a listing afterwards finds any such entry and
        sets it back to billable=1 (the change only touched billable=1 entries)."""
        filters = wire_filters(scope.filters())
        if filters is None or scope.end < scope.start:
            return None
        tz = await self._timezone()
        span = utc_window(scope.start, scope.end, tz)
        body: dict[str, Any] = {
            **span,
            "filter": {**filters, "billable": BILLABLE},
            "billable": BILLED,
        }
        try:
            dry = await self._send("PUT", ENTRYGROUPS, body)
        except (PermissionDeniedError, ValidationError, NotFoundError, ConflictError) as exc:
            log.info("clockodo: bulk marking refused (%s); marking one by one", exc)
            return None
        confirm_key = dry.get("confirm_key")
        if not confirm_key or dry.get("affected_entries") != len(ids):
            return None
        listing = filter_params(filters)
        before = {
            str(e["id"]): e.get("billable")
            for e in await self._pages(ENTRIES, "entries", {**span, **listing})
        }
        if {i for i, b in before.items() if b == BILLABLE} != set(ids):
            return None
        try:
            await self._send("PUT", ENTRYGROUPS, {**body, "confirm_key": confirm_key})
        except ServiceError as exc:
            # The outcome is unknown: the listing below tells what happened.
            log.warning("clockodo: bulk confirm failed (%s); checking the entries", exc)
        after = {
            str(e["id"]): e.get("billable")
            for e in await self._pages(ENTRIES, "entries", {**span, **listing})
        }
        wanted = set(ids)
        extra = [
            i
            for i, b in after.items()
            if b == BILLED and i not in wanted and before.get(i) != BILLED
        ]
        if extra:
            log.warning(
                "clockodo: bulk marking caught %d other entries; setting them back", len(extra)
            )
            undo = await self._set_billable(extra, BILLABLE)
            if undo.failed:
                raise ConflictError(
                    "clockodo's bulk change also marked entries billed that no invoice holds "
                    f"({', '.join(sorted(undo.failed))}), and setting them back failed. "
                    "Set them to billable again in clockodo.",
                    service="clockodo",
                )
        done = [i for i in ids if after.get(i) == BILLED]
        rest = await self._set_billable([i for i in ids if after.get(i) != BILLED], BILLED)
        return MarkResult(succeeded=(*done, *rest.succeeded), failed=rest.failed)
