"""The mite emulator: the API subset timebill uses, as shared/api/mite.md describes it.

One account ("nordlicht", also reachable as `/mite/nordlicht/...`, standing in for the
subdomain) with one API key per seed user (`MiteEmulator.keys`). Money is integer cents,
durations minutes, every object wrapped in its root key, lists are bare arrays (no paging
metadata). Locking follows the digest's §6; its uncertain points are marked where they apply.

Behaviours the public docs leave open, and what the sandbox chose:

- HTTP Basic (e-mail and password) is answered like the API key; the seed users' passwords are
  `mite_data.PASSWORDS`. A wrong pair, like a wrong key, is 401 with `{"error": ...}` and a
  `WWW-Authenticate: Basic realm="mite"` header (what HTTP asks of a 401 to Basic). A key sent
  as well wins over Basic.
- `group_by` on `GET /time_entries.json`: see `timebill.core.sandbox.mite_groups`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re

from timebill.core.sandbox import mite_data, mite_groups
from timebill.core.sandbox.mite_data import (
    ACCOUNT,
    ACCOUNT_JSON,
    ENTRY_BASE,
    KEYS,
    PASSWORDS,
    USER_BASE,
    Fail,
    date_range,
    flag,
    now,
    rate_for,
    sort_name,
)
from timebill.core.sandbox.mite_query import EntryLists, EntryQuery, Record, Snapshot, elapsed, page
from timebill.core.sandbox.seed import World
from timebill.core.sandbox.server import Request, Response, html_response, json_response
from timebill.core.sandbox.store import Store

ADMIN_ROLES = frozenset({"owner", "admin"})
LISTS = {"customers": "customer", "projects": "project", "services": "service", "users": "user"}
RESOURCES = frozenset({*LISTS, "time_entries", "tracker", "daily"})
ROUTE = re.compile(
    r"(customers|projects|services|users|time_entries|tracker)(?:/(archived|\d+))?\.json"
)
WRITABLE = ("date_at", "minutes", "note", "user_id", "project_id", "service_id")


class MiteEmulator:
    name = "mite"
    # {seed user key: API key}: 1 Anna (owner, the demo key), 2 Jonas (admin), 3 Leyla (coworker).
    keys = dict(KEYS)

    def __init__(self, store: Store, world: World) -> None:
        self.store = store
        self.world = world
        self._version = 0
        self._snapshot: Snapshot | None = None
        self._lists = EntryLists()
        mite_data.seed(store, world)

    # -- the Emulator protocol -------------------------------------------------------------
    def credentials(self, base_url: str) -> dict[str, str]:
        return {"base_url": base_url, "account": ACCOUNT, "api_key": KEYS[1]}

    def error(self, status: int, message: str) -> Response:
        return json_response({"error": message}, status)

    def touch(self) -> None:
        """Forget cached listings; call after changing mite collections in the store directly."""
        with self.store.lock:
            self._version += 1

    def user_id(self, user_key: int) -> int:
        """The mite id of a seed user (1 Anna, 2 Jonas, 3 Leyla)."""
        return USER_BASE + user_key

    def handle(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        prefix = f"/{self.name}"
        # An optional first segment names the account, as the subdomain does on mite.de. An
        # unknown one gets what a browser gets: an HTML 404 (the digest leaves the real answer open).
        if len(parts) > 1 and "." not in parts[0] and parts[0] not in RESOURCES:
            if parts[0].lower() != ACCOUNT:
                return html_response(404, "The page you were looking for doesn't exist")
            prefix, parts = f"{prefix}/{parts[0]}", parts[1:]
        method = "GET" if request.method == "HEAD" else request.method
        try:
            user = self._authenticate(request)
            return self._route(method, "/".join(parts), request, user, prefix)
        except Fail as fail:
            response = self.error(fail.status, fail.message)
            if fail.status == 401:
                response.headers["WWW-Authenticate"] = 'Basic realm="mite"'
            return response

    # -- routing ---------------------------------------------------------------------------
    def _authenticate(self, request: Request) -> Record:
        key = request.header("X-MiteApiKey") or request.arg("api_key")
        auth = request.header("Authorization") or ""
        if not key and auth[:6].lower() == "basic ":
            return self._basic(auth[6:].strip())
        if not key:
            raise Fail(401, "Access denied. Please send your API key (X-MiteApiKey).")
        for user_key, api_key in self.keys.items():
            if key == api_key:
                user = self.store.get("mite", "users", str(USER_BASE + user_key))
                if user is not None and not user.get("archived"):
                    return user
        raise Fail(401, "Access denied. Check the API key and that API access is switched on.")

    def _basic(self, token: str) -> Record:
        """HTTP Basic with the user's e-mail and password (digest §1). The sandbox's passwords
        are `PASSWORDS`; a wrong pair gets 401 like a wrong key."""
        try:
            email, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            email, password = "", ""
        with self.store.lock:
            users = list(self.store.collection("mite", "users").values())
        for user in users:
            key = int(user["id"]) - USER_BASE
            if (
                user["email"].lower() == email.strip().lower()
                and hmac.compare_digest(password.encode(), PASSWORDS.get(key, "").encode())
                and not user.get("archived")
            ):
                return user
        raise Fail(401, "Access denied. Wrong e-mail or password.")

    def _route(
        self, method: str, route: str, request: Request, user: Record, prefix: str
    ) -> Response:
        if route in ("account.json", "myself.json"):
            _allow(method, "GET")
            return json_response(
                {"account": ACCOUNT_JSON} if route == "account.json" else {"user": user}
            )
        if route == "tracker.json":
            _allow(method, "GET")
            return json_response({"tracker": self._tracker_view(user)})
        match = ROUTE.fullmatch(route)
        if not match or (match[1] in ("tracker", "time_entries") and match[2] == "archived"):
            raise Fail(404, f"Unknown resource /{route}")
        kind, sub = match.groups()
        if kind == "tracker":
            _allow(method, "PATCH", "PUT", "DELETE")
            return self._tracker(method, int(sub), user)  # tracker.json was answered above
        if kind == "time_entries":
            if sub is None:
                _allow(method, "GET", "POST")
                return (
                    self._create(request, user, prefix)
                    if method == "POST"
                    else self._entries(request, user)
                )
            _allow(method, "GET", "PATCH", "PUT", "DELETE")
            if method == "GET":
                record = self._visible(int(sub), user)
                return json_response({"time_entry": self._snap().view(record)})
            if method == "DELETE":
                return self._delete(int(sub), user)
            return self._update(int(sub), request, user)
        _allow(method, "GET")
        if kind == "users" and user["role"] == "time_tracker":
            raise Fail(403, "Time trackers may not read users.")
        if sub is None or sub == "archived":
            return self._list(kind, request, archived=sub == "archived")
        found = self.store.get("mite", kind, sub)
        if found is None:
            raise Fail(404, f"{LISTS[kind].capitalize()} {sub} not found")
        return json_response({LISTS[kind]: found})

    def _list(self, kind: str, request: Request, *, archived: bool) -> Response:
        with self.store.lock:
            rows = [
                r for r in self.store.collection("mite", kind).values() if r["archived"] == archived
            ]
        for field in ("name", "email"):
            text = (request.arg(field) or "").casefold()
            if text and (field == "name" or kind == "users"):
                rows = [r for r in rows if text in str(r.get(field) or "").casefold()]
        customers = mite_data.id_set(request.arg("customer_id"), 0)
        if kind == "projects" and customers is not None:
            rows = [r for r in rows if r.get("customer_id") in customers]
        rows.sort(key=lambda r: (sort_name(r["name"]), r["id"]))
        return json_response([{LISTS[kind]: r} for r in page(rows, request)])

    # -- time entries ----------------------------------------------------------------------
    def _snap(self) -> Snapshot:
        with self.store.lock:
            entries = self.store.collection("mite", "time_entries")
            # The length catches changes made straight in the store (e.g. the --state replay).
            version = (self._version, len(entries))
            if self._snapshot is None or self._snapshot.version != version:

                def by_id(name: str) -> dict[int, Record]:
                    return {int(r["id"]): r for r in self.store.collection("mite", name).values()}

                trackers = self.store.collection("mite", "tracker").values()
                self._snapshot = Snapshot(
                    version,
                    list(entries.values()),
                    by_id("users"),
                    by_id("customers"),
                    by_id("projects"),
                    by_id("services"),
                    {int(t["entry_id"]): t for t in trackers},
                )
            return self._snapshot

    def _entries(self, request: Request, user: Record) -> Response:
        query = EntryQuery.parse(request, user, self.world.today)
        snap = self._snap()
        grouping = request.arg("group_by")
        if grouping is not None:
            keys = mite_groups.groupings(grouping)
            return json_response(
                page(mite_groups.group(self._lists.get(snap, query), snap, keys), request)
            )
        rows = page(self._lists.get(snap, query), request)
        return json_response([{"time_entry": snap.view(r)} for r in rows])

    def _visible(self, entry_id: int, user: Record) -> Record:
        record = self.store.get("mite", "time_entries", str(entry_id))
        if record is None:
            raise Fail(404, f"Time entry {entry_id} not found")
        if user["role"] == "time_tracker" and record["user_id"] != user["id"]:
            raise Fail(403, "Time trackers may only access their own time entries.")
        return record

    def _changed(self, record: Record) -> None:
        self.store.put("mite", "time_entries", record)
        self._version += 1

    def _body(self, request: Request) -> Record:
        try:
            body = request.json()
        except ValueError:
            raise Fail(422, "The request body is not valid JSON.") from None
        data = body.get("time_entry") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise Fail(422, 'Expected a body like {"time_entry": {...}}.')
        return data

    def _apply(self, record: Record, data: Record, user: Record) -> None:
        """Validate and copy the writable fields; a new project or service brings its rate, as
        mite stores the rate in force on each entry."""
        if "date_at" in data:
            day = date_range(str(data["date_at"]), "date_at", self.world.today)
            record["date_at"] = day[0] if day else self.world.today.isoformat()
        if "minutes" in data:
            minutes = data["minutes"]
            if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
                raise Fail(422, "Minutes must be a whole number, 0 or more.")
            record["minutes"] = minutes
        if "note" in data:
            record["note"] = "" if data["note"] is None else str(data["note"])
        if "user_id" in data and data["user_id"] != record["user_id"]:
            if user["role"] not in ADMIN_ROLES:
                raise Fail(403, "Only admins and the owner may set user_id.")
            if self.store.get("mite", "users", str(data["user_id"])) is None:
                raise Fail(422, f"User {data['user_id']} does not exist.")
            record["user_id"] = int(data["user_id"])
        for field, kind in (("project_id", "projects"), ("service_id", "services")):
            if field in data and data[field] != record[field]:
                if (
                    data[field] is not None
                    and self.store.get("mite", kind, str(data[field])) is None
                ):
                    raise Fail(422, f"{LISTS[kind].capitalize()} {data[field]} does not exist.")
                record[field] = None if data[field] is None else int(data[field])
                record["hourly_rate"], record["billable"] = rate_for(
                    self.store, record["project_id"], record["service_id"]
                )

    def _create(self, request: Request, user: Record, prefix: str) -> Response:
        data = self._body(request)
        with self.store.lock:
            stamp = now()
            record: Record = {
                "id": 0, "date_at": self.world.today.isoformat(), "minutes": 0, "note": "",
                "user_id": user["id"], "project_id": None, "service_id": None, "billable": True,
                "locked": False, "locked_by": None, "hourly_rate": 0,
                "created_at": stamp, "updated_at": stamp,
            }  # fmt: skip
            self._apply(record, data, user)
            if flag(data.get("locked")):
                record["locked"], record["locked_by"] = True, user["id"]
            record["id"] = self.store.next_id("mite", "time_entries", ENTRY_BASE + 1)
            self._changed(record)
            view = self._snap().view(record)
        location = f"http://{request.header('Host') or '127.0.0.1'}{prefix}/time_entries/{record['id']}.json"
        return json_response({"time_entry": view}, 201, {"Location": location})

    def _update(self, entry_id: int, request: Request, user: Record) -> Response:
        data = self._body(request)
        admin = user["role"] in ADMIN_ROLES
        force = bool(flag(data.get("force", False)))
        with self.store.lock:
            record = self._visible(entry_id, user)
            # Digest §6: only admins and the owner change other users' entries or use force.
            if record["user_id"] != user["id"] and not admin:
                raise Fail(403, "You may only change your own time entries.")
            if force and not admin:
                raise Fail(403, "Only admins and the owner may use force.")
            new = dict(record)
            self._apply(new, data, user)
            # UNCERTAIN (digest §5 and its list, 1.): 423 comes from one client; 403/422 possible.
            if record["locked"] and not force and any(new[f] != record[f] for f in WRITABLE):
                raise Fail(423, "Time entry is locked. Unlock it first (admins: send force).")
            lock = flag(data["locked"]) if "locked" in data else None
            if lock is True and not record["locked"]:
                new["locked"], new["locked_by"] = True, user["id"]
            elif lock is False and record["locked"]:
                # UNCERTAIN (digest 9.): who locked it may unlock; admins need force otherwise.
                if record.get("locked_by") not in (None, user["id"]) and not force:
                    if admin:
                        raise Fail(
                            423, "Time entry was locked by another user; send force to unlock it."
                        )
                    raise Fail(
                        403, "Only the user who locked this entry, or an admin, may unlock it."
                    )
                new["locked"], new["locked_by"] = False, None
            if new != record:
                new["updated_at"] = now()
                self._changed(new)
        return Response(200, b"")  # mite answers an edit with an empty body

    def _delete(self, entry_id: int, user: Record) -> Response:
        with self.store.lock:
            record = self._visible(entry_id, user)
            if record["user_id"] != user["id"] and user["role"] not in ADMIN_ROLES:
                raise Fail(403, "You may only delete your own time entries.")
            if record["locked"]:
                raise Fail(423, "Time entry is locked. Unlock it before deleting it.")
            tracker = self.store.get("mite", "tracker", str(record["user_id"]))
            if tracker is not None and tracker["entry_id"] == entry_id:
                self.store.delete("mite", "tracker", str(record["user_id"]))
            self.store.delete("mite", "time_entries", str(entry_id))
            self._version += 1
        return Response(200, b"")

    # -- tracker ---------------------------------------------------------------------------
    def _tracker_view(self, user: Record) -> Record:
        tracker = self.store.get("mite", "tracker", str(user["id"]))
        if tracker is None:
            return {}
        entry = self.store.get("mite", "time_entries", str(tracker["entry_id"])) or {"minutes": 0}
        minutes = entry["minutes"] + elapsed(tracker)
        return {
            "tracking_time_entry": {
                "id": tracker["entry_id"],
                "minutes": minutes,
                "since": tracker["since"],
            }
        }

    def _tracker(self, method: str, entry_id: int, user: Record) -> Response:
        """PATCH starts the timer on an entry (stopping any other), DELETE stops it."""
        with self.store.lock:
            record = self._visible(entry_id, user)
            if record["user_id"] != user["id"]:
                raise Fail(403, "You can only track your own time entries.")
            if method != "DELETE" and record["locked"]:
                raise Fail(423, "Time entry is locked and cannot be tracked.")
            running = self.store.get("mite", "tracker", str(user["id"]))
            if method == "DELETE" and (running is None or running["entry_id"] != entry_id):
                raise Fail(404, f"Time entry {entry_id} is not being tracked.")
            view: Record = {}
            if running is not None:
                stopped = self.store.get("mite", "time_entries", str(running["entry_id"]))
                if stopped is not None:
                    stopped = {**stopped, "minutes": stopped["minutes"] + elapsed(running)}
                    self._changed(stopped)
                    view["stopped_time_entry"] = {
                        "id": stopped["id"],
                        "minutes": stopped["minutes"],
                    }
                self.store.delete("mite", "tracker", str(user["id"]))
            if method != "DELETE":
                since = now()
                self.store.put(
                    "mite", "tracker", {"id": user["id"], "entry_id": entry_id, "since": since}
                )
                minutes = (self.store.get("mite", "time_entries", str(entry_id)) or record)[
                    "minutes"
                ]
                view["tracking_time_entry"] = {"id": entry_id, "minutes": minutes, "since": since}
            self._version += 1
        return json_response({"tracker": view})


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise Fail(405, f"Method {method} is not allowed here.")
