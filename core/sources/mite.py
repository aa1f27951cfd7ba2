"""The mite adapter (shared/api/mite.md): one account per subdomain, key in `X-MiteApiKey`.

"Billed" is mite's `locked` flag (digest §2): `mark_billed` locks, `release` unlocks, one PATCH
per entry since mite has no bulk endpoint. Customer, project, service and user lists include
archived objects (marked `archived`): old entries still point at them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ServiceError,
    UnknownAccountError,
    ValidationError,
)
from timebill.core.http import RetryPolicy, ServiceClient, json_error_text
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
from timebill.core.secrets import reveal
from timebill.core.sources import mite_wire as wire

DEFAULT_BASE_URL = "https://{account}.mite.de"
# Parallel PATCHes while marking: enough to mark hundreds of entries quickly, few enough not to
# look like an attack (mite documents no rate limit, digest §5).
MARK_CONCURRENCY = 4
# Statuses mite may use to refuse a change of a locked entry (digest UNCERTAIN 1. and 9.).
REFUSALS = (PermissionDeniedError, ConflictError, ValidationError)
# Entries normalized between two turns of the event loop while loading: small enough that the
# next page's request goes out at once and the app keeps drawing, big enough to cost nothing.
YIELD_EVERY = 100

T = TypeVar("T")


def _error_text(response: httpx.Response) -> str | None:
    return json_error_text(response, ("error",), ("errors", "error"))


class MiteSource:
    """`MiteSource("acme", key)` talks to https://acme.mite.de. `base_url` replaces that address
    (the sandbox: http://127.0.0.1:PORT/mite); a `{account}` in it is filled in with the account
    name (http://127.0.0.1:PORT/mite/{account} lets the sandbox check the name)."""

    name: SourceName = "mite"
    supports_bulk_mark = False
    has_lumpsums = False

    def __init__(
        self,
        account: str,
        api_key: Any,
        *,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 1000,
        max_concurrency: int = MARK_CONCURRENCY,
    ) -> None:
        self.account = wire.account_name(account)
        key = reveal(api_key).strip()
        if not key:
            raise ConfigError(
                "mite: the API key is empty. Copy it from your mite user settings "
                "(where API access is switched on).",
                service="mite",
            )
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.page_size = page_size
        self.base_url = (base_url or DEFAULT_BASE_URL).replace("{account}", self.account)
        self._client = ServiceClient(
            "mite",
            self.base_url,
            headers={"X-MiteApiKey": key},
            secrets=[key],
            error_message=_error_text,
            retry=retry,
            max_concurrency=max_concurrency,
        )
        self._marks = asyncio.Semaphore(max_concurrency)

    def __repr__(self) -> str:
        return f"<MiteSource {self.account} {self._client.base_url}>"

    @property
    def requests_sent(self) -> int:
        return self._client.requests_sent

    async def __aenter__(self) -> MiteSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- account ---------------------------------------------------------------------------
    async def verify(self) -> Account:
        account = await self._account()
        try:
            me = wire.unwrap(await self._client.get_json("/myself.json"), "user")
        except AuthenticationError:
            raise self._refused_key() from None
        return Account(
            service="mite",
            name=str(account.get("title") or account.get("name") or self.account),
            id=None if account.get("id") is None else str(account["id"]),
            user_name=me.get("name"),
            user_id=None if me.get("id") is None else str(me["id"]),
            role=me.get("role"),
            currency=account.get("currency"),
        )

    async def _account(self) -> dict[str, Any]:
        # The digest (§5) leaves the answer for an unknown subdomain open: a 404, a redirect or
        # a web page instead of JSON all mean "no such account".
        try:
            response = await self._client.request("GET", "/account.json")
        except NotFoundError:
            raise self._unknown("answered 404 Not Found") from None
        except AuthenticationError:
            raise self._refused_key() from None
        except ServerError as exc:
            if exc.status is not None and exc.status < 400:
                raise self._unknown("redirected instead of answering") from None
            raise
        if "html" in response.headers.get("Content-Type", "").lower():
            raise self._unknown("answered with a web page, not the mite API")
        try:
            data = response.json()
        except ValueError:
            try:  # cut short in transit? Ask again, with the client's retries.
                data = await self._client.get_json("/account.json")
            except ServerError as exc:
                if exc.status is not None and exc.status < 400:
                    raise self._unknown("answered with something that is not JSON") from None
                raise
        account = data.get("account") if isinstance(data, dict) else None
        if not isinstance(account, dict):
            raise self._unknown("answered without an account")
        return account

    def _unknown(self, what: str) -> UnknownAccountError:
        parts = urlsplit(self._client.base_url)
        return UnknownAccountError(
            f"mite account '{self.account}' does not exist: {parts.netloc}{parts.path} {what}. "
            "Check the account name: it is the first part of your mite address, "
            "e.g. 'acme' for https://acme.mite.de.",
            service="mite",
            status=404,
        )

    def _refused_key(self) -> AuthenticationError:
        return AuthenticationError(
            f"mite refused the API key for account '{self.account}' (401 Unauthorized). Check "
            "the key, and that API access is switched on in your mite user settings "
            "(it is off by default).",
            service="mite",
            status=401,
        )

    # -- lists -----------------------------------------------------------------------------
    async def customers(self) -> list[Customer]:
        return await self._active_and_archived("customers", wire.customer)

    async def projects(self) -> list[Project]:
        return await self._active_and_archived("projects", wire.project)

    async def services(self) -> list[Service]:
        return await self._active_and_archived("services", wire.service)

    async def users(self) -> list[User]:
        try:
            return await self._active_and_archived("users", wire.user)
        except PermissionDeniedError:
            # Time trackers may not read users (digest §6) and see only their own entries.
            return [wire.user(await self._client.get_json("/myself.json"))]

    async def _active_and_archived(self, kind: str, convert: Callable[[Any], T]) -> list[T]:
        """Active objects, then archived ones, each sorted by name as mite sends them."""

        async def archived() -> Any:
            try:
                return await self._client.get_json(f"/{kind}/archived.json")
            except PermissionDeniedError:
                return []  # a restricted user still gets the active ones

        active, old = await asyncio.gather(self._client.get_json(f"/{kind}.json"), archived())
        return [convert(item) for item in (active or []) + (old or [])]

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
        if start > end:
            return []
        params: dict[str, Any] = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "sort": "date",
            "direction": "asc",
            "limit": self.page_size,
        }
        for field, value in (
            ("customer_id", customer_id),
            ("project_id", project_id),
            ("service_id", service_id),
            ("user_id", user_id),
        ):
            if value is not None:
                params[field] = value  # one id, or several joined by commas
        for field, flag in (("billable", billable), ("locked", billed)):
            if flag is not None:
                params[field] = "true" if flag else "false"
        return await self._all_entries(params)

    async def _all_entries(self, params: dict[str, Any]) -> list[TimeEntry]:
        """Pages 1, 2, ... until a short page: mite reports no page count (digest §2).

        While one page is normalized, the next is already on its way, but only once this one
        came back full and with new entries, so no more pages are asked for than reading them
        one by one would ask for (at most one beyond the end: the empty page after a full last
        one)."""
        reader = wire.EntryReader()
        found: dict[str, TimeEntry] = {}
        page = 1
        upcoming: asyncio.Task[list[dict[str, Any]]] | None = asyncio.create_task(
            self._entry_page(params, page)
        )
        try:
            while upcoming is not None:
                items = await upcoming
                upcoming = None
                # An entry added or removed meanwhile shifts the pages: the same entry can come
                # twice at a page boundary. (One removed can hide a neighbour until the next load.)
                # A full page with nothing new means the server ignores `page`: stop, not loop.
                if len(items) >= self.page_size and _has_new(items, found):
                    page += 1
                    upcoming = asyncio.create_task(self._entry_page(params, page))
                for start in range(0, len(items), YIELD_EVERY):
                    for item in items[start : start + YIELD_EVERY]:
                        entry = reader(item)
                        if entry.id not in found:
                            found[entry.id] = entry
                    # Lets the next page's request go out, and the app redraw, meanwhile.
                    await asyncio.sleep(0)
        finally:
            if upcoming is not None:
                upcoming.cancel()
                await asyncio.gather(upcoming, return_exceptions=True)
        return list(found.values())

    async def _entry_page(self, params: dict[str, Any], page: int) -> list[dict[str, Any]]:
        answer = await self._client.get_json("/time_entries.json", {**params, "page": page})
        return wire.unwrap_list(answer, "time_entry")

    async def entry(self, entry_id: str) -> TimeEntry | None:
        """One entry read by id (None when mite says it does not exist): re-checks a plan's
        entries right before its draft is created."""
        if not str(entry_id).isdigit():
            return None
        try:
            return wire.entry(await self._client.get_json(f"/time_entries/{entry_id}.json"))
        except NotFoundError:
            return None

    # -- billing ---------------------------------------------------------------------------
    async def mark_billed(self, entry_ids: Iterable[str]) -> MarkResult:
        """Lock exactly these entries. An entry mite refuses to lock but that is locked already
        counts as done; refusals (a coworker locking someone else's entry) come back as
        failures with mite's reason, not as an exception."""
        return await self._set_locked(entry_ids, locked=True)

    async def release(self, entry_ids: Iterable[str]) -> MarkResult:
        """Unlock exactly these entries. Plain `locked: false` first; only if mite refuses
        (the entry was locked by someone else) once more with `force`, which mite grants to
        admins and the owner only (digest §6): force is never sent where it is not needed."""
        return await self._set_locked(entry_ids, locked=False)

    async def _set_locked(self, entry_ids: Iterable[str], *, locked: bool) -> MarkResult:
        ids = list(dict.fromkeys(str(i).strip() for i in entry_ids))
        reasons = await asyncio.gather(*(self._lock_one(i, locked) for i in ids))
        pairs = list(zip(ids, reasons, strict=True))
        return MarkResult(
            succeeded=tuple(i for i, reason in pairs if reason is None),
            failed={i: reason for i, reason in pairs if reason is not None},
        )

    async def _lock_one(self, entry_id: str, locked: bool) -> str | None:
        """None when the entry ends up as wanted, else the reason it did not."""
        if not entry_id.isdigit():
            return f"{entry_id!r} is not a mite time entry id."
        path = f"/time_entries/{entry_id}.json"
        async with self._marks:
            try:
                await self._patch(path, {"locked": locked})
                return None
            except REFUSALS as exc:
                refused: ServiceError = exc
            except NotFoundError:
                return "The entry no longer exists in mite."
            except ServiceError as exc:
                return exc.message
            if not locked:
                try:
                    await self._patch(path, {"locked": False, "force": True})
                    return None
                except REFUSALS:
                    pass  # the first refusal says why better ("locked by someone else")
                except ServiceError as exc:
                    return exc.message
            try:
                current = wire.entry(await self._client.get_json(path))
                if current.billed == locked:
                    return None
            except ServiceError:
                pass
        return _refusal(refused, locked)

    async def _patch(self, path: str, fields: dict[str, Any]) -> None:
        # The status decides: mite's 200 carries an empty body (digest §2, UNCERTAIN 6.), and
        # whatever body it may carry instead must not turn a done lock into a failure.
        await self._client.request("PATCH", path, json={"time_entry": fields})


def _has_new(items: list[dict[str, Any]], found: dict[str, TimeEntry]) -> bool:
    """Whether a page holds an entry not read before. Repeats from shifted pages come first on
    a page (sorted by date and id), so the last entry answers it almost always."""
    return str(items[-1].get("id")) not in found or any(
        str(item.get("id")) not in found for item in items
    )


def _refusal(exc: ServiceError, locked: bool) -> str:
    if isinstance(exc, PermissionDeniedError):
        rule = (
            "mite lets only admins and the owner lock other users' entries."
            if locked
            else "Only the user who locked it, or an admin or owner, may unlock it."
        )
        return f"{exc.message} {rule}"
    return exc.message
