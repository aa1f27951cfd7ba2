"""`GET /time_entries.json?group_by=...` for the mite emulator (shared/api/mite.md §2
"Grouping"): groups instead of entries, each `{"time_entry_group": {minutes, revenue, the
grouping's *_id/*_name (or its time keys), time_entries_params}}`.

Open in the public docs, chosen here:
- Keys of the time groupings: `day` ("YYYY-MM-DD"), `week` (ISO week number with `year`),
  `month` (1-12 with `year`), `year`; each time group also carries `from`/`to` (the one client
  fixture that shows them) and `time_entries_params` `{"from", "to"}` (`{"at"}` for a day).
- Entries without a customer/project/service form one group with `*_id` and `*_name` null;
  its `time_entries_params` leave that filter out (mite has no "none" filter).
- `revenue` is the sum of the entries' revenue (cents, like the entries'), null when no entry of
  the group has a rate. Groups are ordered by the first grouping, then the next (names, dates).
- An unknown grouping is refused with 422 and mite's `{"error": ...}` body; `limit`/`page`
  apply to the groups as they do to entries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from timebill.core.sandbox.mite_data import Fail, sort_name
from timebill.core.sandbox.mite_query import Record, Snapshot

GROUPINGS = ("customer", "project", "service", "user", "day", "week", "month", "year")
NAMED = frozenset({"customer", "project", "service", "user"})


def groupings(value: str) -> list[str]:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in keys if k not in GROUPINGS]
    if not keys or unknown:
        raise Fail(
            422,
            f"Unknown group_by {', '.join(unknown) or value!r}: use "
            + ", ".join(GROUPINGS)
            + " (several joined by commas).",
        )
    return list(dict.fromkeys(keys))


def _span(kind: str, day: dt.date) -> tuple[dt.date, dt.date, dict[str, Any]]:
    if kind == "day":
        return day, day, {"day": day.isoformat()}
    if kind == "week":
        year, week, weekday = day.isocalendar()
        start = day - dt.timedelta(days=weekday - 1)
        return start, start + dt.timedelta(days=6), {"year": year, "week": week}
    if kind == "month":
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return start, end, {"year": day.year, "month": day.month}
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), {"year": day.year}


def _part(kind: str, view: Record) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """(sort key, group attributes, time_entries_params) of one entry for one grouping."""
    if kind in NAMED:
        ident, name = view.get(f"{kind}_id"), view.get(f"{kind}_name")
        params = {} if ident is None else {f"{kind}_id": str(ident)}
        return (sort_name(name), ident or 0), {f"{kind}_id": ident, f"{kind}_name": name}, params
    start, end, attrs = _span(kind, dt.date.fromisoformat(view["date_at"]))
    attrs = {**attrs, "from": start.isoformat(), "to": end.isoformat()}
    if kind == "day":
        return start, attrs, {"at": start.isoformat()}
    return start, attrs, {"from": start.isoformat(), "to": end.isoformat()}


def group(rows: list[Record], snap: Snapshot, keys: list[str]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        view = snap.view(row)
        parts = [_part(kind, view) for kind in keys]
        sort_key = tuple(p[0] for p in parts)
        found = groups.get(sort_key)
        if found is None:
            attrs: dict[str, Any] = {}
            params: dict[str, str] = {}
            for _, attr, param in parts:
                attrs.update(attr)
                params.update(param)
            found = groups[sort_key] = {
                "minutes": 0,
                "revenue": None,
                **attrs,
                "time_entries_params": params,
            }
        found["minutes"] += view["minutes"]
        if view.get("revenue") is not None:
            found["revenue"] = (found["revenue"] or 0.0) + float(view["revenue"])
    return [{"time_entry_group": groups[k]} for k in sorted(groups)]
