"""TimeEntry is a plain slotted dataclass: the adapters' wire readers convert every value to the
field's exact type themselves. These tests hold them to that, checking each entry with pydantic's
strict validation (exact types: no str for a number, no float for a Decimal, only the Literal
values allowed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, create_model
from sandbox_support import TODAY
from timebill.core.errors import ServerError
from timebill.core.models import ENTRY_FIELDS, TimeEntry
from timebill.core.sandbox import SandboxServer
from timebill.core.sources.clockodo import ClockodoSource
from timebill.core.sources.clockodo_wire import EntryReader as ClockodoReader
from timebill.core.sources.clockodo_wire import timezone
from timebill.core.sources.mite import MiteSource
from timebill.core.sources.mite_wire import EntryReader as MiteReader

WHOLE_WORLD = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture(scope="module")
def world_entries() -> Iterator[dict[str, list[TimeEntry]]]:
    """Every entry of the seed world, as both adapters read it over HTTP."""
    import asyncio

    async def load(server: SandboxServer) -> dict[str, list[TimeEntry]]:
        creds = server.credentials()
        mite, clockodo = creds["mite"], creds["clockodo"]
        async with (
            MiteSource(mite["account"], mite["api_key"], base_url=mite["base_url"]) as m,
            ClockodoSource(
                clockodo["email"], clockodo["api_key"], base_url=clockodo["base_url"]
            ) as c,
        ):
            return {
                "mite": await m.entries(*WHOLE_WORLD),
                "clockodo": await c.entries(*WHOLE_WORLD),
            }

    with SandboxServer(today=TODAY, services=("mite", "clockodo")) as server:
        yield asyncio.run(load(server))


# The same fields as a strict pydantic model: what validation would accept, type for type.
STRICT = create_model(
    "StrictTimeEntry",
    __config__=ConfigDict(strict=True, extra="forbid"),
    **{name: (hint, ...) for name, hint in get_type_hints(TimeEntry).items()},  # type: ignore[call-overload]
)


def assert_as_validated(entry: TimeEntry) -> None:
    """Strict validation (exact types: no str for a number, no float for a Decimal) of the
    entry's own values gives an equal entry."""
    values = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    validated = STRICT.model_validate(values).model_dump()
    assert validated == values
    assert all(type(validated[name]) is type(value) for name, value in values.items())


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_every_seed_entry_is_what_validation_gives(
    world_entries: dict[str, list[TimeEntry]], tracker: str
) -> None:
    entries = world_entries[tracker]
    assert len(entries) > 600
    kinds = {e.kind for e in entries}
    assert kinds == ({"time"} if tracker == "mite" else {"time", "lumpsum"})
    assert any(e.revenue is not None for e in entries)
    assert any(e.hourly_rate is None for e in entries)  # the non-billable service
    for entry in entries:
        assert_as_validated(entry)


def test_equal_values_are_shared_between_entries(
    world_entries: dict[str, list[TimeEntry]],
) -> None:
    """Sharing is what keeps 100,000 entries small: one string per customer name, not one per
    entry."""
    for entries in world_entries.values():
        by_name: dict[str, set[int]] = {}
        for entry in entries:
            if entry.customer_name is not None:
                by_name.setdefault(entry.customer_name, set()).add(id(entry.customer_name))
        assert by_name and all(len(ids) == 1 for ids in by_name.values())


def test_entries_are_frozen_slotted_and_copied_with_replace(
    world_entries: dict[str, list[TimeEntry]],
) -> None:
    entry = world_entries["mite"][0]
    # The readers build entries through models.new_entry: real TimeEntry objects all the same.
    assert all(type(e) is TimeEntry for entries in world_entries.values() for e in entries)
    assert entry == TimeEntry(**{name: getattr(entry, name) for name in ENTRY_FIELDS})
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.note = "changed"  # type: ignore[misc]
    assert not hasattr(entry, "__dict__")  # slots: no per-entry dict
    copy = dataclasses.replace(entry, note="changed")
    assert copy.note == "changed" and entry.note != "changed"
    assert {entry: 1}[dataclasses.replace(entry)] == 1


def test_a_time_entry_fills_defaults_and_refuses_unknown_or_missing_fields() -> None:
    entry = TimeEntry(id="1", source="mite", date=dt.date(2026, 10, 1), minutes=5)
    assert (entry.note, entry.billable, entry.kind, entry.hourly_rate) == ("", True, "time", None)
    with pytest.raises(TypeError, match="unexpected keyword"):
        TimeEntry(id="1", source="mite", date=dt.date(2026, 1, 1), minutes=5, x=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="missing"):
        TimeEntry(id="1", source="mite", minutes=5)  # type: ignore[call-arg]


# -- odd wire values: an entry comes out exactly typed, or the reader refuses ------------------
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["", "0", "12.5", "abc", "NaN", "2026-10-05"]),
)


def mite_raw(odd: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": st.integers(1, 10**9),
            "date_at": st.sampled_from(["2026-10-05", "2026-10-05T00:00:00+02:00"]),
        },
        optional={
            "minutes": st.one_of(st.integers(0, 10**4), odd),
            "note": odd,
            "billable": odd,
            "locked": odd,
            "hourly_rate": odd,
            "revenue": odd,
            "customer_id": odd,
            "customer_name": odd,
            "project_id": odd,
            "project_name": odd,
            "service_id": odd,
            "service_name": odd,
            "user_id": odd,
            "user_name": odd,
            "tracking": st.one_of(st.none(), st.fixed_dictionaries({"minutes": odd})),
        },
    )


@settings(max_examples=300, deadline=None)
@given(raw=mite_raw(ODD))
def test_mite_reader_types_every_field(raw: dict[str, Any]) -> None:
    try:
        entry = MiteReader()({"time_entry": raw})
    except ServerError:
        return
    assert_as_validated(entry)


def clockodo_raw(odd: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": st.integers(1, 10**9),
            "time_since": st.sampled_from(
                ["2026-10-04T22:30:00Z", "2026-10-05T08:00:00Z", "2026-10-05T08:00:00+02:00"]
            ),
            "type": st.sampled_from([1, 2, 3, None]),
        },
        optional={
            "billable": st.one_of(st.sampled_from([0, 1, 2]), odd),
            "duration": st.one_of(st.integers(0, 10**5), odd),
            "time_until": odd,
            "text": odd,
            "hourly_rate": odd,
            "revenue": odd,
            "lumpsum": odd,
            "lumpsum_services_id": odd,
            "lumpsum_services_amount": odd,
            "customers_id": odd,
            "customers_name": odd,
            "projects_id": odd,
            "projects_name": odd,
            "services_id": odd,
            "services_name": odd,
            "users_id": odd,
            "users_name": odd,
        },
    )


@settings(max_examples=300, deadline=None)
@given(raw=clockodo_raw(ODD))
def test_clockodo_reader_types_every_field(raw: dict[str, Any]) -> None:
    reader = ClockodoReader(timezone("Europe/Berlin"), {"7": ("Hosting", Decimal("49.00"))})
    try:
        entry = reader(raw)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return  # the adapter turns these into a ServerError naming the entry
    assert_as_validated(entry)


@settings(max_examples=150, deadline=None)
@given(raws=st.lists(mite_raw(ODD), min_size=2, max_size=6))
def test_mite_reader_shared_values_are_the_ones_a_fresh_reader_gives(
    raws: list[dict[str, Any]],
) -> None:
    """The reader's caches (equal amounts, ids and names shared) never change a value, not even
    a Decimal's exponent (1 and 1.0 are equal keys, "1.00" and "1.0" print differently)."""
    shared = MiteReader()
    for raw in raws:
        try:
            fresh = MiteReader()(raw)
        except ServerError:
            continue
        entry = shared(raw)
        assert repr(entry) == repr(fresh)


@settings(max_examples=150, deadline=None)
@given(raws=st.lists(clockodo_raw(ODD), min_size=2, max_size=6))
def test_clockodo_reader_shared_values_are_the_ones_a_fresh_reader_gives(
    raws: list[dict[str, Any]],
) -> None:
    tz = timezone("Europe/Berlin")
    shared = ClockodoReader(tz)
    for raw in raws:
        try:
            fresh = ClockodoReader(tz)(raw)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            continue
        assert repr(shared(raw)) == repr(fresh)


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe"]
)
def test_clockodo_dates_shared_by_hour_are_each_entrys_own_local_date(zone: str) -> None:
    """Local dates are looked up once per UTC hour: exact also where a local midnight falls
    inside an hour (half-hour zones) and across daylight saving changes."""
    tz = timezone(zone)
    reader = ClockodoReader(tz)
    moments = [
        dt.datetime(2026, month, day, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
        for month, day in ((3, 28), (4, 4), (10, 3), (10, 24))
        for minute in range(0, 3 * 24 * 60, 7)
    ]
    for moment in moments:
        since = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = reader({"id": 1, "type": 1, "time_since": since, "duration": 60})
        assert entry.date == moment.astimezone(tz).date(), since


def test_mite_flags_sent_as_strings_are_read_as_flags() -> None:
    """A locked entry sent as "true" must never look open (it would be billed twice)."""
    from timebill.core.sources.mite_wire import flag

    assert flag("true", missing=False, unknown=True) is True
    assert flag("false", missing=False, unknown=True) is False
    assert flag(1, missing=False, unknown=True) is True
    assert flag(None, missing=False, unknown=True) is False
    assert flag("maybe", missing=False, unknown=True) is True
