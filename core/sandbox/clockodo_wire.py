"""clockodo's wire format for the emulator: the seed world turned into clockodo objects, error
bodies, the enhanced entry list, and the small parsers the handlers share.

Wire conventions (shared/api/clockodo.md §4): times ISO 8601 UTC with Z, durations in seconds,
money as floats in currency units, billable 0/1/2, entry types 1 (time), 2 (lump-sum value),
3 (lump-sum service; fields per the peerigon SDK: no services_id, no duration).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
import zlib
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qsl

from timebill.core.sandbox.seed import SeedEntry, World
from timebill.core.sandbox.server import Request, Response, json_response

SERVICE = "clockodo"
APP_HEADER = "X-Clockodo-External-Application"
# Wire ids: world key + base, so ids of different kinds never look alike in a test failure.
USER_BASE, CUSTOMER_BASE, PROJECT_BASE, SERVICE_BASE, LUMPSUM_BASE = 4700, 200, 3100, 50, 70
ENTRY_BASE, TEXT_BASE = 90000, 800_000
CENT = Decimal("0.01")
ENTRY_FILTERS = (
    "users_id",
    "customers_id",
    "projects_id",
    "subprojects_id",
    "services_id",
    "lumpsum_services_id",
    "texts_id",
    "billable",
)
# Error types of the v3/v4 body. "ResourceNotFound" and "UnexpectedValue" are the spec's; the
# others are UNCERTAIN stand-ins.
ERROR_TYPES = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "InsufficientRights",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    422: "UnexpectedValue",
}

Seed = Callable[[str, str, dict[str, Any]], None]
Lookup = Callable[[str, Any], "dict[str, Any] | None"]


class ApiError(Exception):
    """An error answer; the emulator renders it in the body format of the endpoint's version."""

    def __init__(self, status: int, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields

    def response(self, *, v2: bool) -> Response:
        if v2:
            error = {"code": self.status, "message": self.message, "fields": list(self.fields)}
            return json_response({"error": error}, self.status)
        item = {
            "type": ERROR_TYPES.get(self.status, "ServerError"),
            "message": self.message,
            "details": {"fields": list(self.fields)} if self.fields else None,
            "path": None,
        }
        return json_response({"errors": [item]}, self.status)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def now_iso() -> str:
    return iso(dt.datetime.now(dt.UTC))


def parse_time(value: Any, field: str) -> str:
    """An ISO time with zone (the digest: ISO 8601 UTC) as the canonical '...Z' string, whose
    string order is time order."""
    try:
        moment = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(
            400, f"{field} must be an ISO 8601 UTC time like 2024-03-01T00:00:00Z.", (field,)
        )
    return iso(moment)


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, ROUND_HALF_UP))


def api_key(seed: int, email: str) -> str:
    """A fixed 32-hex-digit key per seed user: the same after a restart with --state."""
    return hashlib.sha256(f"timebill-sandbox:clockodo:{seed}:{email}".encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=4096)
def texts_id(text: str | None) -> int | None:
    return TEXT_BASE + zlib.crc32(text.encode()) % 100_000 if text else None


def as_int(value: Any, field: str, allowed: tuple[int, ...] = (), status: int = 422) -> int:
    if not isinstance(value, bool) and isinstance(value, int | str):
        try:
            number = int(value)
        except ValueError:
            pass
        else:
            if not allowed or number in allowed:
                return number
            choices = ", ".join(map(str, allowed))
            raise ApiError(status, f"{field} must be one of {choices}.", (field,))
    raise ApiError(status, f"{field} must be an integer.", (field,))


# Form values are text; these fields are numbers in a JSON body (the type checks stay strict).
FORM_NUMBERS = frozenset({"hourly_rate", "lumpsum", "lumpsum_services_amount", "duration"})
FORM_KEY = re.compile(r"([^\[\]]+)(?:\[([^\[\]]*)\])?")


def form_body(raw: bytes) -> dict[str, Any]:
    """A form-encoded body (the docs' curl examples post `--data "name=..."`) as the JSON body
    it stands for: `filter[customers_id]=7` nests, `ids[]=1&ids[]=2` lists, numbers parse."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "The request body is not valid form data.") from None
    body: dict[str, Any] = {}
    for key, value in pairs:
        match = FORM_KEY.fullmatch(key)
        if match is None:
            raise ApiError(400, f"Cannot read the form field {key!r}.")
        name, inner = match.group(1), match.group(2)
        number: Any = value
        if name in FORM_NUMBERS or inner in FORM_NUMBERS:
            try:
                number = float(value)
            except ValueError:
                number = value  # refused by the field's own check, with its own message
            else:
                number = int(number) if number.is_integer() else number
        if inner is None:
            body[name] = number
        elif inner == "":
            body.setdefault(name, []).append(number)
        else:
            body.setdefault(name, {})[inner] = number
    return body


def json_body(request: Request) -> dict[str, Any]:
    """The request body, JSON or form-encoded (clockodo takes both: digest, notes)."""
    kind = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return form_body(request.body)
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def int_arg(request: Request, name: str, default: int, top: int | None) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (top is not None and value > top):
        limit = f"1-{top}" if top else "1 or more"
        raise ApiError(400, f"{name} must be a whole number, {limit}.", (name,))
    return value


def paging(page: int, per_page: int, count: int) -> dict[str, int]:
    # UNCERTAIN: count_pages of an empty list; 1 here, so current_page 1 is always a real page.
    return {
        "items_per_page": per_page,
        "current_page": page,
        "count_pages": max(1, math.ceil(count / per_page)),
        "count_items": count,
    }


def list_match(request: Request, obj: dict[str, Any]) -> bool:
    """filter[active], filter[completed], filter[customers_id], filter[fulltext] of v3/v4 lists."""
    for flag in ("active", "completed"):
        wanted = (request.arg(f"filter[{flag}]") or "").lower()
        if wanted and flag in obj:
            if wanted not in ("true", "false", "1", "0"):
                raise ApiError(400, f"filter[{flag}] must be true or false.", (f"filter[{flag}]",))
            if obj[flag] != (wanted in ("true", "1")):
                return False
    customer = request.arg("filter[customers_id]")
    if customer and "customers_id" in obj and str(obj["customers_id"]) != customer:
        return False
    text = request.arg("filter[fulltext]")
    return not text or text.lower() in str(obj.get("name", "")).lower()


def window(since: Any, until: Any) -> tuple[str, str]:
    """time_since/time_until, both required, as canonical UTC strings."""
    missing = tuple(f for f, v in (("time_since", since), ("time_until", until)) if not v)
    if missing:
        raise ApiError(400, f"Missing required parameter(s): {', '.join(missing)}.", missing)
    start, end = parse_time(since, "time_since"), parse_time(until, "time_until")
    if end < start:
        raise ApiError(400, "time_until must not be before time_since.", ("time_until",))
    return start, end


def entry_filters(raw: dict[str, Any]) -> dict[str, int]:
    """Entry filters by name (without "filter[...]"); one integer each, billable 0/1/2/12."""
    filters: dict[str, int] = {}
    for name, value in raw.items():
        if value is None or value == "":
            continue
        if name not in ENTRY_FILTERS:
            raise ApiError(400, f"Unknown filter {name!r}.", (f"filter[{name}]",))
        allowed = (0, 1, 2, 12) if name == "billable" else ()
        filters[name] = as_int(value, f"filter[{name}]", allowed, status=400)
    return filters


def entry_match(entry: dict[str, Any], filters: dict[str, int]) -> bool:
    for name, value in filters.items():
        if name == "billable":
            # UNCERTAIN (digest item 4): 1 is taken as "billable, not billed"; 12 is both.
            if entry["billable"] not in ((1, 2) if value == 12 else (value,)):
                return False
        elif entry.get(name) != value:
            return False
    return True


def enhanced(entry: dict[str, Any], lookup: Lookup) -> dict[str, Any]:
    """The entry as `enhanced_list=true` shows it: names of what it refers to, and revenue."""

    def name(collection: str, obj_id: Any) -> str | None:
        obj = lookup(collection, obj_id) if obj_id is not None else None
        return obj["name"] if obj else None

    out = dict(entry)
    out.update(
        customers_name=name("customers", entry["customers_id"]),
        projects_name=name("projects", entry.get("projects_id")),
        subprojects_name=None,
        users_name=name("users", entry["users_id"]),
    )
    if "services_id" in entry:
        out["services_name"] = name("services", entry["services_id"])
    if entry["type"] == 2:
        revenue = Decimal(str(entry["lumpsum"]))
    elif entry["type"] == 3:
        service = lookup("lumpsum_services", entry["lumpsum_services_id"])
        price = Decimal(str(service["price"])) if service else Decimal(0)
        revenue = Decimal(str(entry["lumpsum_services_amount"])) * price
    elif entry["billable"] == 0 or entry.get("duration") is None:
        revenue = Decimal(0)
    else:
        revenue = Decimal(entry["duration"]) / 3600 * Decimal(str(entry.get("hourly_rate") or 0))
    out["revenue"] = money(revenue)
    return out


def seed_world(world: World, seed: Seed) -> None:
    """Every clockodo object of the demo world, through `seed(service, collection, obj)`."""
    for u in world.users:
        seed(SERVICE, "users", {
            "id": USER_BASE + u.key, "name": u.name, "number": None, "email": u.email,
            "role": "owner" if u.role in ("owner", "admin") else "worker", "active": True,
            "language": "de", "timezone": "Europe/Berlin", "teams_id": None,
            "initials": "".join(part[0] for part in u.name.split()), "boss": None,
            "edit_lock": None, "edit_lock_dyn": None, "edit_lock_sync": False,
            "work_time_edit_lock_days": None,
        })  # fmt: skip
    for c in world.customers:
        seed(SERVICE, "customers", {
            "id": CUSTOMER_BASE + c.key, "name": c.name, "number": c.number,
            "color": c.key % 9 + 1, "active": True, "billable_default": True, "note": None,
            "bill_service_id": None, "test_data": False, "service_assignments": [],
        })  # fmt: skip
    for p in world.projects:
        seed(SERVICE, "projects", {
            "id": PROJECT_BASE + p.key, "customers_id": CUSTOMER_BASE + p.customer,
            "name": p.name, "number": None, "active": True, "billable_default": True,
            "note": None, "completed": False, "completed_at": None, "billed_money": None,
            "billed_completely": False, "revenue_factor": 1, "deadline": None,
            "start_date": world.start.isoformat(), "automatic_completion": False,
            "test_data": False, "count_subprojects": 0, "budget": None,
            "bill_service_id": None, "service_assignments": [],
        })  # fmt: skip
    for s in world.services:
        seed(SERVICE, "services", {
            "id": SERVICE_BASE + s.key, "name": s.name, "number": f"S-{s.key:02d}",
            "active": True, "note": None, "bill_service_id": None,
        })  # fmt: skip
    for ls in world.lumpsum_services:
        seed(SERVICE, "lumpsum_services", {
            "id": LUMPSUM_BASE + ls.key, "name": ls.name, "price": float(ls.price),
            "unit": ls.unit, "number": None, "active": True, "note": None,
        })  # fmt: skip
    offsets: dict[tuple[dt.date, int], dt.timedelta] = {}
    for e in world.entries:
        # The zone offset per (day, hour) is enough (zones change on the hour) and saves most of
        # the zoneinfo work when seeding 100,000 entries.
        hour = (e.date, e.start.hour)
        offset = offsets.get(hour)
        if offset is None:
            offset = offsets[hour] = e.local_start().utcoffset() or dt.timedelta()
        seed(SERVICE, "entries", seed_entry(e, dt.datetime.combine(e.date, e.start) - offset))


def seed_entry(e: SeedEntry, since: dt.datetime) -> dict[str, Any]:
    """One world entry on the wire; `since` is its start in UTC (naive)."""
    # World times are whole minutes; isoformat is several times faster than strftime, which
    # counts with 100,000 entries.
    start = since.isoformat() + "Z"
    until = (since + dt.timedelta(minutes=e.minutes)).isoformat() + "Z"
    entry: dict[str, Any] = {
        "id": ENTRY_BASE + e.key, "type": 1, "customers_id": CUSTOMER_BASE + e.customer,
        "projects_id": PROJECT_BASE + e.project, "users_id": USER_BASE + e.user,
        "billable": 2 if e.billed else 1 if e.billable else 0,
        "texts_id": texts_id(e.note), "text": e.note or None,
        "time_since": start, "time_until": until, "time_insert": until,
        "time_last_change": until, "test_data": False,
    }  # fmt: skip
    if e.kind == "lumpsum_value":
        # Lump sums carry no duration; until equals since (the SDK types it a string).
        entry.update(
            type=2,
            time_until=start,
            services_id=SERVICE_BASE + e.service,
            lumpsum=float(e.lumpsum or 0),
        )
    elif e.kind == "lumpsum_service":
        entry.update(
            type=3,
            time_until=start,
            lumpsum_services_id=LUMPSUM_BASE + (e.lumpsum_service or 1),
            lumpsum_services_amount=float(e.lumpsum or 0),
        )
    else:
        entry.update(
            services_id=SERVICE_BASE + e.service, subprojects_id=None, duration=e.minutes * 60,
            time_last_change_work_time=until, time_clocked_since=None, clocked=False,
            clocked_offline=False, hourly_rate=float(e.rate),
        )  # fmt: skip
    return entry
