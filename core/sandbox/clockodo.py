"""The clockodo emulator: the subset in shared/api/clockodo.md, served under /clockodo (standing in
for https://my.clockodo.com, so paths are /clockodo/api/v2/entries, /clockodo/api/v4/users/me ...).

v2 endpoints answer errors as {"error": {code, message, fields}}, v3/v4 as {"errors": [...]}.
Where the digest says UNCERTAIN, the sandbox takes the most plausible choice or the one hardest on
a client (the entrygroups confirm edits whatever matches at confirm time), and says so.

Behaviours the public docs leave open, and what the sandbox chose (never kinder than clockodo):

- Rate limits (official spec, "Rate Limits": per authenticated user 900 a minute, 2,250 per 15
  minutes, 4,500 an hour, 20,000 a day). Whether the windows slide or are fixed is not said: the
  sandbox counts in sliding windows (any stretch of that length), the stricter reading; a client
  that stays below them there is below in fixed windows too. Counted are the requests of an
  authenticated user that are answered (a refused 429 does not count again); requests without
  the application header or with a wrong key are refused before they are counted. The answer
  is 429 with the v2 error body and `Retry-After` in whole seconds (the spec: "respect any
  Retry-After header if present"); clockodo documents no X-RateLimit-* headers, so none are
  sent. `limits` scales them for tests (`timebill.core.ratelimit.scaled`, or LIMIT_SCALE_ENV).
- Bodies: JSON, or form-encoded as the docs' own curl examples post them (`filter[x]=` nests,
  `x[]=` lists; number fields parse as numbers).
- The entrygroups confirm edits whatever matches at confirm time (see `_edit_group`).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import hashlib
import hmac
import json
import math
import operator
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from timebill.core.sandbox.clockodo_wire import (
    APP_HEADER,
    CUSTOMER_BASE,
    ENTRY_BASE,
    ENTRY_FILTERS,
    SERVICE,
    SERVICE_BASE,
    ApiError,
    api_key,
    as_int,
    enhanced,
    entry_filters,
    entry_match,
    int_arg,
    json_body,
    list_match,
    now_iso,
    paging,
    parse_time,
    seed_world,
    texts_id,
    window,
)
from timebill.core.sandbox.seed import World
from timebill.core.sandbox.server import Request, Response, json_response
from timebill.core.sandbox.store import Store


@dataclass(frozen=True)
class Window:
    """At most `count` requests in any `seconds` long stretch."""

    count: int
    seconds: float


# clockodo's own per-user limits (shared/api/clockodo.md §5). Kept here, not taken from the
# product's pacer: the emulator states what the service enforces, the client what it obeys.
CLOCKODO_LIMITS = (Window(900, 60), Window(2250, 900), Window(4500, 3600), Window(20000, 86400))


def scaled(windows: tuple[Window, ...], factor: float) -> tuple[Window, ...]:
    """The same limits with counts and durations divided by `factor` (tests, benchmarks)."""
    return tuple(Window(max(1, int(w.count / factor)), w.seconds / factor) for w in windows)


# Divides clockodo's per-user limits (counts and windows) for a sandbox in another process, e.g.
# 20: 45 requests in 3 s ... 1,000 in 72 min; in-process, set `emulator.limits` instead.
LIMIT_SCALE_ENV = "TIMEBILL_SANDBOX_CLOCKODO_LIMIT_SCALE"
# UNCERTAIN (digest §2): the default page size; the spec's example uses 1000.
ENTRIES_PAGE_MAX, LIST_PAGE_MAX, DEFAULT_PAGE = 1000, 5000, 1000

User = dict[str, Any]
Handler = Callable[[Request, User, re.Match[str]], Response]


class ClockodoEmulator:
    name = SERVICE

    def __init__(self, store: Store, world: World) -> None:
        self.store = store
        self.world = world
        # One key per seed user (login e-mail -> key); the owner Anna's pair is the demo login.
        self.keys: dict[str, str] = {u.email: api_key(world.seed, u.email) for u in world.users}
        # Bumped on every change made here (with the entry count, which also catches a state
        # replay); the start-ordered index follows only arrivals and removals.
        self._version = 0
        self._order_version = 0
        self._index_version: tuple[int, int] = (-1, -1)
        self._starts: list[str] = []
        self._ids: list[str] = []
        self._selections: dict[tuple[Any, ...], list[str]] = {}
        self._selections_version: tuple[int, int] = (-1, -1)
        # Per-user request limits (module doc); `clock` is injectable like Billomat's.
        self.limits: tuple[Window, ...] = scaled(
            CLOCKODO_LIMITS, float(os.environ.get(LIMIT_SCALE_ENV) or 1)
        )
        self.clock: Callable[[], float] = time.monotonic
        self.refused = 0  # 429s answered: a paced client never sees one
        self._answered: dict[int, list[float]] = {}
        self._limit_lock = threading.Lock()
        routes: list[tuple[str, str, Handler]] = [
            ("GET", r"/api/v4/users/me", self._me),
            ("GET", r"/api/v3/users(?:/(\d+))?", self._lister("users")),
            ("GET", r"/api/v3/customers(?:/(\d+))?", self._lister("customers")),
            ("GET", r"/api/v4/projects(?:/(\d+))?", self._lister("projects")),
            ("GET", r"/api/v4/services(?:/(\d+))?", self._lister("services")),
            # Not in the digest: the peerigon SDK's endpoint for lump-sum services (prices).
            ("GET", r"/api/v4/lumpSumServices(?:/(\d+))?", self._lister("lumpsum_services")),
            ("GET", r"/api/v2/entries", self._list_entries),
            ("POST", r"/api/v2/entries", self._create_entry),
            ("GET", r"/api/v2/entries/(\d+)", self._get_entry),
            ("PUT", r"/api/v2/entries/(\d+)", self._edit_entry),
            ("DELETE", r"/api/v2/entries/(\d+)", self._delete_entry),
            ("PUT", r"/api/v2/entrygroups", self._edit_group),
        ]
        self._routes = [(method, re.compile(path), handler) for method, path, handler in routes]
        seed_world(world, store.seed)

    # -- the Emulator protocol -------------------------------------------------------------
    def credentials(self, base_url: str) -> dict[str, str]:
        return self.credentials_for(base_url, self.world.users[0].email)

    def credentials_for(self, base_url: str, email: str) -> dict[str, str]:
        """The login of any seed user (e.g. the worker Leyla, to test rights)."""
        return {"base_url": base_url, "email": email, "api_key": self.keys[email]}

    def error(self, status: int, message: str) -> Response:
        # Faults and crashes know no endpoint: the v2 shape, as the entries endpoints (the ones a
        # client hits most) answer.
        return ApiError(status, message).response(v2=True)

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        try:
            # UNCERTAIN (digest §5): status and body for a missing header ("most likely 400");
            # the v2 body everywhere. Checked before the credentials: the request is malformed
            # whoever sends it.
            if not (request.header(APP_HEADER) or "").strip():
                raise ApiError(
                    400,
                    f"Missing header {APP_HEADER}: send 'application name;contact e-mail' "
                    "with every request.",
                    (APP_HEADER,),
                )
            user = self._authenticate(request)
            self._count_request(user)
            allowed: list[str] = []
            for method, pattern, handler in self._routes:
                match = pattern.fullmatch(path)
                if match is not None and method == request.method:
                    return handler(request, user, match)
                if match is not None:
                    allowed.append(method)
            if allowed:
                raise ApiError(405, f"{request.method} is not allowed here ({', '.join(allowed)}).")
            raise ApiError(404, f"No such endpoint: {path}.")
        except ApiError as exc:
            response = exc.response(v2=path.startswith("/api/v2/") or APP_HEADER in exc.fields)
            if isinstance(exc, _TooMany):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response

    # -- rate limits -----------------------------------------------------------------------
    def _count_request(self, user: User) -> None:
        """Count one request of `user`, or refuse it with 429 when any window is full."""
        now = self.clock()
        with self._limit_lock:
            times = self._answered.setdefault(user["id"], [])
            longest = max(w.seconds for w in self.limits)
            cut = bisect.bisect_right(times, now - longest)
            if cut:
                del times[:cut]
            wait = 0.0
            full: Window | None = None
            for limit in self.limits:
                inside = len(times) - bisect.bisect_right(times, now - limit.seconds)
                if inside >= limit.count:
                    frees = times[len(times) - limit.count] + limit.seconds - now
                    if frees > wait:
                        wait, full = frees, limit
            if full is None:
                times.append(now)
                return
            self.refused += 1
        raise _TooMany(full, max(1, math.ceil(wait)))

    # -- auth ------------------------------------------------------------------------------
    def _authenticate(self, request: Request) -> User:
        email = request.header("X-ClockodoApiUser") or ""
        key = request.header("X-ClockodoApiKey") or ""
        auth = request.header("Authorization") or ""
        if not (email and key) and auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            email, _, key = decoded.partition(":")
        email = email.strip().lower()
        expected = next((k for e, k in self.keys.items() if e.lower() == email), "")
        if not expected or not hmac.compare_digest(key.encode(), expected.encode()):
            # UNCERTAIN (digest §5): the exact 401 text.
            raise ApiError(
                401, "Authentication failed: the API user (login e-mail) or the API key is wrong."
            )
        with self.store.lock:
            for user in self.store.collection(SERVICE, "users").values():
                if user["email"].lower() == email:
                    return user
        raise ApiError(401, "Authentication failed: this user no longer exists.")

    @staticmethod
    def _may_edit(user: User, entry: dict[str, Any]) -> None:
        # UNCERTAIN (digest §6 item 8): which roles may change others' entries. Sandbox: owners
        # may, workers only their own.
        if user["role"] == "worker" and entry["users_id"] != user["id"]:
            raise ApiError(403, "Insufficient rights: workers may only change their own entries.")

    # -- v3/v4 lists -----------------------------------------------------------------------
    def _me(self, request: Request, user: User, match: re.Match[str]) -> Response:
        return json_response({"data": user})

    def _lister(self, collection: str) -> Handler:
        def handler(request: Request, user: User, match: re.Match[str]) -> Response:
            with self.store.lock:
                if match.group(1):
                    obj = self.store.get(SERVICE, collection, match.group(1))
                    if obj is None:
                        kind = collection.rstrip("s").replace("_", " ")
                        raise ApiError(404, f"The {kind} {match.group(1)} does not exist.")
                    return json_response({"data": obj})
                items = [
                    o
                    for o in self.store.collection(SERVICE, collection).values()
                    if list_match(request, o)
                ]
            for key in reversed(request.query.get("sort[]") or ["id"]):
                field = key.lstrip("-")
                if field not in ("id", "name", "active"):
                    raise ApiError(400, f"Cannot sort by {field!r} (id, name, active).", ("sort",))
                items.sort(key=operator.itemgetter(field), reverse=key.startswith("-"))
            per_page = int_arg(request, "items_per_page", DEFAULT_PAGE, LIST_PAGE_MAX)
            page = int_arg(request, "page", 1, None)
            chunk = items[(page - 1) * per_page : page * per_page]
            return json_response({"paging": paging(page, per_page, len(items)), "data": chunk})

        return handler

    # -- entries: reading ------------------------------------------------------------------
    def _select(self, since: str, until: str, filters: dict[str, int]) -> list[str]:
        """Ids of the entries starting inside [since, until] (both ends included) that match,
        ordered by start. UNCERTAIN (digest): start-in-window rather than overlap."""
        with self.store.lock:
            entries = self.store.collection(SERVICE, "entries")
            version = (self._version, len(entries))
            if version != self._selections_version:
                self._selections.clear()
                self._selections_version = version
            key = (since, until, tuple(sorted(filters.items())))
            ids = self._selections.get(key)
            if ids is None:
                # Marking entries billed keeps the order: marking and listing in turn must not
                # re-sort 100,000 entries each time.
                order_version = (self._order_version, len(entries))
                if self._index_version != order_version:
                    order = sorted(entries.values(), key=lambda o: (o["time_since"], o["id"]))
                    self._starts = [o["time_since"] for o in order]
                    self._ids = [str(o["id"]) for o in order]
                    self._index_version = order_version
                low = bisect.bisect_left(self._starts, since)
                high = bisect.bisect_right(self._starts, until)
                ids = [i for i in self._ids[low:high] if entry_match(entries[i], filters)]
                if len(self._selections) >= 64:
                    self._selections.clear()
                self._selections[key] = ids
            return ids

    def _changed(self, *, reorder: bool = False) -> None:
        self._version += 1
        self._order_version += reorder

    def _list_entries(self, request: Request, user: User, match: re.Match[str]) -> Response:
        since, until = window(request.arg("time_since"), request.arg("time_until"))
        filters = entry_filters({name: request.arg(f"filter[{name}]") for name in ENTRY_FILTERS})
        per_page = int_arg(request, "items_per_page", DEFAULT_PAGE, ENTRIES_PAGE_MAX)
        page = int_arg(request, "page", 1, None)
        extended = (request.arg("enhanced_list") or "").lower() in ("true", "1")
        with self.store.lock:
            ids = self._select(since, until, filters)
            entries = self.store.collection(SERVICE, "entries")
            chunk = [entries[i] for i in ids[(page - 1) * per_page : page * per_page]]
            if extended:
                chunk = [enhanced(e, self._lookup) for e in chunk]
        body = {"paging": paging(page, per_page, len(ids)), "filter": filters or None}
        return json_response({**body, "entries": chunk})

    def _lookup(self, collection: str, obj_id: Any) -> dict[str, Any] | None:
        return self.store.get(SERVICE, collection, str(obj_id))

    def _entry(self, entry_id: str) -> dict[str, Any]:
        entry = self.store.get(SERVICE, "entries", entry_id)
        if entry is None:
            raise ApiError(404, f"Entry {entry_id} does not exist.")
        return entry

    def _get_entry(self, request: Request, user: User, match: re.Match[str]) -> Response:
        with self.store.lock:
            return json_response({"entry": self._entry(match.group(1))})

    # -- entries: changes ------------------------------------------------------------------
    def _edit_entry(self, request: Request, user: User, match: re.Match[str]) -> Response:
        body = json_body(request)
        with self.store.lock:
            entry = self._entry(match.group(1))
            self._may_edit(user, entry)
            changes: dict[str, Any] = {}
            if "billable" in body:
                # Lump sums are billable or billed, never not billable (SDK: LumpsumEntryBillability).
                allowed = (0, 1, 2) if entry["type"] == 1 else (1, 2)
                changes["billable"] = as_int(body["billable"], "billable", allowed)
            if "text" in body:
                if body["text"] is not None and not isinstance(body["text"], str):
                    raise ApiError(422, "text must be a string or null.", ("text",))
                changes.update(text=body["text"] or None, texts_id=texts_id(body["text"]))
            if changes:
                entry = {**entry, **changes, "time_last_change": now_iso()}
                self.store.put(SERVICE, "entries", entry)
                self._changed()
        return json_response({"entry": entry})

    def _delete_entry(self, request: Request, user: User, match: re.Match[str]) -> Response:
        with self.store.lock:
            self._may_edit(user, self._entry(match.group(1)))
            self.store.delete(SERVICE, "entries", match.group(1))
            self._changed(reorder=True)
        return json_response({"success": True})

    def _create_entry(self, request: Request, user: User, match: re.Match[str]) -> Response:
        body = json_body(request)
        kind = as_int(body.get("type", 1), "type", (1, 2, 3))
        needs = {
            1: ("services_id",),
            2: ("services_id", "lumpsum"),
            3: ("lumpsum_services_id", "lumpsum_services_amount"),
        }
        required = ("customers_id", "billable", "time_since", *needs[kind])
        missing = tuple(f for f in required if body.get(f) is None)
        if missing:
            raise ApiError(400, f"Missing required field(s): {', '.join(missing)}.", missing)
        # The digest: POST takes billable 0 or 1 only; billed is set by a later edit.
        billable = as_int(body["billable"], "billable", (0, 1) if kind == 1 else (1,))
        since = parse_time(body["time_since"], "time_since")
        # Sandbox extension: a type 1 entry without time_until is a running clock (the real API
        # starts those through its clock endpoint).
        until = parse_time(body["time_until"], "time_until") if body.get("time_until") else None
        if until is not None and until < since:
            raise ApiError(422, "time_until must not be before time_since.", ("time_until",))
        refs = {"customers_id": "customers", "projects_id": "projects", "services_id": "services",
                "users_id": "users", "lumpsum_services_id": "lumpsum_services"}  # fmt: skip
        ids = {f: as_int(body[f], f) for f in refs if body.get(f) is not None}
        text = body.get("text") or None
        if text is not None and not isinstance(text, str):
            raise ApiError(422, "text must be a string or null.", ("text",))
        for field in ("hourly_rate", "lumpsum", "lumpsum_services_amount"):
            number = body.get(field, 0)
            if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
                raise ApiError(422, f"{field} must be a number of 0 or more.", (field,))
        with self.store.lock:
            for field, ref in ids.items():
                if self.store.get(SERVICE, refs[field], str(ref)) is None:
                    raise ApiError(422, f"{field} {ref} does not exist.", (field,))
            owner = ids.get("users_id", user["id"])
            self._may_edit(user, {"users_id": owner})
            entry: dict[str, Any] = {
                "id": self.store.next_id(SERVICE, "entries", ENTRY_BASE), "type": kind,
                "customers_id": ids["customers_id"], "projects_id": ids.get("projects_id"),
                "users_id": owner, "billable": billable, "texts_id": texts_id(text), "text": text,
                "time_since": since, "time_until": until if kind == 1 else since,
                "time_insert": now_iso(), "time_last_change": now_iso(), "test_data": False,
            }  # fmt: skip
            if kind == 1:
                seconds = None
                if until is not None:
                    span = dt.datetime.fromisoformat(until) - dt.datetime.fromisoformat(since)
                    seconds = as_int(body.get("duration", int(span.total_seconds())), "duration")
                rate = body.get("hourly_rate", self._rate(ids, billable))
                entry.update(
                    services_id=ids["services_id"], subprojects_id=None, duration=seconds,
                    time_last_change_work_time=now_iso(),
                    time_clocked_since=since if until is None else None, clocked=until is None,
                    clocked_offline=False, hourly_rate=float(rate),
                )  # fmt: skip
            elif kind == 2:
                entry.update(services_id=ids["services_id"], lumpsum=float(body["lumpsum"]))
            else:
                entry.update(
                    lumpsum_services_id=ids["lumpsum_services_id"],
                    lumpsum_services_amount=float(body["lumpsum_services_amount"]),
                )
            self.store.put(SERVICE, "entries", entry)
            self._changed(reorder=True)
        return json_response({"entry": entry})

    def _rate(self, ids: dict[str, int], billable: int) -> float:
        """The rate clockodo would charge: the world's customer/service rate (0 if not billable)."""
        customer = ids["customers_id"] - CUSTOMER_BASE
        service = ids["services_id"] - SERVICE_BASE
        w = self.world
        known = 1 <= customer <= len(w.customers) and 1 <= service <= len(w.services)
        return float(w.rate(customer, service)) if known and billable else 0.0

    def _edit_group(self, request: Request, user: User, match: re.Match[str]) -> Response:
        """PUT /v2/entrygroups: the first call answers {confirm_key, affected_entries}; the same
        body plus confirm_key carries the change out. Only `billable` is editable here.

        UNCERTAIN: whether the real confirm_key pins the selection. The sandbox takes the worst
        case for a client: the key depends on the body only, and the confirm edits whatever
        matches at that moment (an entry added in between is edited too)."""
        body = json_body(request)
        since, until = window(body.get("time_since"), body.get("time_until"))
        if not isinstance(body.get("filter") or {}, dict):
            raise ApiError(400, "filter must be an object.", ("filter",))
        filters = entry_filters(body.get("filter") or {})
        if "billable" not in body:
            raise ApiError(
                400, "Nothing to change: the sandbox edits billable only.", ("billable",)
            )
        target = as_int(body["billable"], "billable", (0, 1, 2))
        unconfirmed = {k: v for k, v in body.items() if k != "confirm_key"}
        digest = json.dumps([user["id"], unconfirmed], sort_keys=True, default=str)
        confirm_key = hashlib.sha256(digest.encode()).hexdigest()[:40]
        with self.store.lock:
            entries = self.store.collection(SERVICE, "entries")
            # Lump sums cannot become "not billable": they are left out of such a change.
            ids = [
                i
                for i in self._select(since, until, filters)
                if target != 0 or entries[i]["type"] == 1
            ]
            for entry_id in ids:
                self._may_edit(user, entries[entry_id])
            if "confirm_key" not in body:
                return json_response({"confirm_key": confirm_key, "affected_entries": len(ids)})
            if body["confirm_key"] != confirm_key:
                raise ApiError(
                    422,
                    "confirm_key does not match this request; ask for a new one.",
                    ("confirm_key",),
                )
            stamp = now_iso()
            for entry_id in ids:
                changed = {**entries[entry_id], "billable": target, "time_last_change": stamp}
                self.store.put(SERVICE, "entries", changed)
            self._changed()
        return json_response({"success": True, "edited_entries": len(ids)})


def _span(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}" if count != 1 else f"1 {unit.rstrip('s')}"
    return f"{seconds:g} seconds"


class _TooMany(ApiError):
    def __init__(self, full: Window, retry_after: int) -> None:
        super().__init__(
            429,
            f"Too many requests: at most {full.count} in {_span(full.seconds)} per user. "
            f"Try again in {retry_after} seconds.",
        )
        self.retry_after = retry_after
