"""The clockodo adapter against the sandbox over loopback HTTP: paging, filters, normalization,
errors, retries, and marking exactly the entries asked for."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sandbox_support import FakeClock
from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from timebill.core.http import RetryPolicy, ServiceClient
from timebill.core.models import TimeEntry
from timebill.core.ratelimit import Pacer, Window
from timebill.core.sandbox import SandboxServer
from timebill.core.sandbox.seed import SeedEntry
from timebill.core.sandbox.server import Request, Response
from timebill.core.sources.base import TimeSource
from timebill.core.sources.clockodo import BulkScope, ClockodoSource
from timebill.core.sources.clockodo_wire import APP_HEADER, error_text

TODAY = dt.date(2026, 11, 28)
OCT_1, OCT_31 = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
LEYLA = "leyla.demir@agentur-nordlicht.de"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY, services=("clockodo",)) as srv:
        yield srv


def source(
    server: SandboxServer,
    retry: RetryPolicy | None = None,
    email: str | None = None,
    **options: Any,
) -> ClockodoSource:
    emulator = server.clockodo
    creds = emulator.credentials_for(f"{server.url}/clockodo", email or server.world.users[0].email)
    return ClockodoSource(
        creds["email"], creds["api_key"], base_url=creds["base_url"], retry=retry, **options
    )


def api(server: SandboxServer) -> httpx.Client:
    """A plain client as another clockodo user of the company would act (the tracker's UI)."""
    creds = server.credentials()["clockodo"]
    headers = {
        "X-ClockodoApiUser": creds["email"],
        "X-ClockodoApiKey": creds["api_key"],
        APP_HEADER: "test;t@example.com",
    }
    return httpx.Client(base_url=creds["base_url"], headers=headers)


def wire_id(entry: SeedEntry) -> str:
    return str(90000 + entry.key)


def world_ids(
    server: SandboxServer, keep: Callable[[SeedEntry], bool] = lambda e: True
) -> set[str]:
    return {wire_id(e) for e in server.world.entries if OCT_1 <= e.date <= OCT_31 and keep(e)}


def billable_states(server: SandboxServer) -> dict[str, int]:
    with server.store.lock:
        return {k: v["billable"] for k, v in server.store.collection("clockodo", "entries").items()}


def add_entry(
    server: SandboxServer, seconds: int | None = 3600, customer: int = 202, **extra: Any
) -> str:
    """An entry added through the API on 14 October, 09:00 UTC; `seconds=None` leaves it running."""
    since = dt.datetime(2026, 10, 14, 9, tzinfo=dt.UTC)
    until = None if seconds is None else (since + dt.timedelta(seconds=seconds)).isoformat()
    body = {"customers_id": customer, "services_id": 51, "billable": 1,
            "time_since": since.isoformat(), "time_until": until, **extra}  # fmt: skip
    with api(server) as client:
        answer = client.post("/api/v2/entries", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["entry"]["id"])


class Recorder:
    """Wraps the emulator's handle to see every request (and optionally act before answering)."""

    def __init__(
        self, server: SandboxServer, before: Callable[[Request], None] | None = None
    ) -> None:
        self.inner = server.clockodo.handle
        self.before = before
        self.seen: list[Request] = []
        server.clockodo.handle = self

    def __call__(self, request: Request) -> Response:
        self.seen.append(request)
        if self.before:
            self.before(request)
        return self.inner(request)

    def queries(self, method: str, path: str) -> list[dict[str, str]]:
        return [
            {k: v[-1] for k, v in r.query.items()}
            for r in self.seen
            if r.method == method and r.path == path
        ]


# -- account and master data -----------------------------------------------------------------
async def test_verify_names_the_user_role_and_time_zone(server: SandboxServer) -> None:
    async with source(server) as clockodo:
        assert isinstance(clockodo, TimeSource)
        account = await clockodo.verify()
    assert (account.name, account.role, account.timezone) == (
        "Anna Schmidt",
        "owner",
        "Europe/Berlin",
    )


async def test_wrong_key_is_refused_with_a_clear_message_without_the_key(
    server: SandboxServer,
) -> None:
    creds = server.credentials()["clockodo"]
    wrong = "0123456789abcdef0123456789abcdef"
    async with ClockodoSource(creds["email"], wrong, base_url=creds["base_url"]) as clockodo:
        with pytest.raises(AuthenticationError) as caught:
            await clockodo.verify()
        assert wrong not in repr(clockodo)
    message = str(caught.value)
    assert "401" in message and creds["email"] in message and "API key" in message
    assert wrong not in message and creds["api_key"] not in message


def test_invalid_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="1-50 characters"):
        ClockodoSource("a@b.de", "key", app_header="x" * 51)
    with pytest.raises(ConfigError, match="e-mail"):
        ClockodoSource("", "key")
    with pytest.raises(ConfigError, match="page_size"):
        ClockodoSource("a@b.de", "key", page_size=1001)


async def test_master_data_over_several_pages(server: SandboxServer) -> None:
    async with source(server, page_size=3) as clockodo:
        customers = await clockodo.customers()
        projects = await clockodo.projects()
        services = await clockodo.services()
        users = await clockodo.users()
    assert [c.name for c in customers] == [c.name for c in server.world.customers]
    assert customers[0].id == "201" and customers[0].number == "K-1001"
    assert len(projects) == 12 and projects[0].customer_name == "Müller & Söhne GmbH"
    assert [s.name for s in services][-2:] == ["Hosting-Paket M", "SSL-Zertifikat"]
    assert services[-2].id == "lumpsum-71"
    assert {u.name: u.role for u in users} == {
        "Anna Schmidt": "owner",
        "Jonas Weber": "owner",
        "Leyla Demir": "worker",
    }


# -- entries ---------------------------------------------------------------------------------
async def test_a_month_holds_exactly_its_local_days(server: SandboxServer) -> None:
    recorder = Recorder(server)
    async with source(server) as clockodo:
        entries = await clockodo.entries(OCT_1, OCT_31)
    assert {e.id for e in entries} == world_ids(server)
    assert len(entries) == len({e.id for e in entries})
    (query,) = recorder.queries("GET", "/api/v2/entries")
    # Local midnight in Berlin (summer time on 1 October, winter time after the 25th).
    assert (query["time_since"], query["time_until"]) == (
        "2026-09-30T22:00:00Z",
        "2026-10-31T22:59:59Z",
    )
    assert query["enhanced_list"] == "true"


async def test_pages_are_fetched_concurrently_and_merged(server: SandboxServer) -> None:
    expected = world_ids(server)
    pages = 5
    page_size = -(-len(expected) // pages)
    # Pages 2..5 meet at a barrier: fetched one after another, they would never all arrive.
    barrier = threading.Barrier(pages - 1, timeout=10)

    def meet(request: Request) -> None:
        if request.path == "/api/v2/entries" and request.arg("page") != "1":
            barrier.wait()

    recorder = Recorder(server, meet)
    async with source(server, page_size=page_size) as clockodo:
        entries = await clockodo.entries(OCT_1, OCT_31)
    assert {e.id for e in entries} == expected and len(entries) == len(expected)
    assert sorted(q["page"] for q in recorder.queries("GET", "/api/v2/entries")) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


@pytest.mark.parametrize(
    ("option", "value", "keep"),
    [
        ("customer_id", "202", lambda e: e.customer == 2),
        ("project_id", "3107", lambda e: e.project == 7),
        ("service_id", "53", lambda e: e.service == 3 and e.kind != "lumpsum_service"),
        ("user_id", "4703", lambda e: e.user == 3),
    ],
)
async def test_each_id_filter(
    server: SandboxServer, option: str, value: str, keep: Callable[[SeedEntry], bool]
) -> None:
    recorder = Recorder(server)
    async with source(server) as clockodo:
        entries = await clockodo.entries(OCT_1, OCT_31, **{option: value})
    assert entries and {e.id for e in entries} == world_ids(server, keep)
    wire = {
        "customer_id": "customers_id",
        "project_id": "projects_id",
        "service_id": "services_id",
        "user_id": "users_id",
    }
    assert recorder.queries("GET", "/api/v2/entries")[0][f"filter[{wire[option]}]"] == value


@pytest.mark.parametrize(
    ("billable", "billed", "wire", "keep"),
    [
        (None, True, "2", lambda e: e.billed),
        (True, False, "1", lambda e: e.billable and not e.billed),
        (False, None, "0", lambda e: not e.billable),
        (True, None, "12", lambda e: e.billable),
        # "not billed" (0 or 1) has no clockodo code: fetched unfiltered, sorted out locally.
        (None, False, None, lambda e: not e.billed),
    ],
)
async def test_billable_and_billed_filters(
    server: SandboxServer,
    billable: bool | None,
    billed: bool | None,
    wire: str | None,
    keep: Callable[[SeedEntry], bool],
) -> None:
    recorder = Recorder(server)
    start = dt.date(2026, 9, 1)  # September holds billed entries as well as open ones
    async with source(server) as clockodo:
        entries = await clockodo.entries(start, OCT_31, billable=billable, billed=billed)
    expected = {wire_id(e) for e in server.world.entries if start <= e.date <= OCT_31 and keep(e)}
    assert entries and {e.id for e in entries} == expected
    assert recorder.queries("GET", "/api/v2/entries")[0].get("filter[billable]") == wire


async def test_a_filter_nothing_can_match_asks_nothing(server: SandboxServer) -> None:
    async with source(server) as clockodo:
        await clockodo.verify()
        assert await clockodo.entries(OCT_1, OCT_31, billable=False, billed=True) == []
        assert await clockodo.entries(OCT_1, OCT_31, customer_id="not-an-id") == []
        assert clockodo.requests_sent == 1


async def test_seconds_floats_and_local_dates_are_normalized(server: SandboxServer) -> None:
    ids = {seconds: add_entry(server, seconds, hourly_rate=95.1) for seconds in (29, 30, 89, 90)}
    async with source(server) as clockodo:
        entries = {e.id: e for e in await clockodo.entries(OCT_1, OCT_31)}
    assert {s: entries[i].minutes for s, i in ids.items()} == {29: 0, 30: 1, 89: 1, 90: 2}
    assert (
        entries[ids[90]].hourly_rate == Decimal("95.1")
        and str(entries[ids[90]].hourly_rate) == "95.1"
    )

    seeded = [e for e in server.world.entries if OCT_1 <= e.date <= OCT_31 and e.kind == "time"]
    for world in seeded:
        entry = entries[wire_id(world)]
        assert (entry.date, entry.minutes, entry.note) == (world.date, world.minutes, world.note)
        assert entry.billable == world.billable and entry.hourly_rate == world.rate
        assert isinstance(entry.revenue, Decimal)
    nightly = [e for e in seeded if e.start == dt.time(0, 30)]
    assert nightly
    for world in nightly:
        wire = server.store.get("clockodo", "entries", wire_id(world))
        assert wire["time_since"].startswith((world.date - dt.timedelta(days=1)).isoformat())
        assert entries[wire_id(world)].date == world.date


async def test_running_entry_and_non_billable_service(server: SandboxServer) -> None:
    running = add_entry(server, None)
    async with source(server) as clockodo:
        entries = {e.id: e for e in await clockodo.entries(OCT_1, OCT_31)}
    assert entries[running].running and entries[running].minutes == 0
    internal = [e for e in entries.values() if e.service_name == "Interne Abstimmung"]
    assert internal and not any(e.billable for e in internal)


async def test_lump_sums_carry_money_and_quantity(server: SandboxServer) -> None:
    async with source(server) as clockodo:
        lumpsums = [e for e in await clockodo.entries(OCT_1, OCT_31) if e.kind == "lumpsum"]
    by_note = {}
    for entry in lumpsums:
        by_note.setdefault(entry.note, []).append(entry)
    hosting, travel = by_note["Hosting-Paket M"], by_note["Anfahrtspauschale Vor-Ort-Termin"]
    assert len(hosting) == 3 and len(travel) == 1
    assert all(e.lumpsum_amount == Decimal("49.00") and e.lumpsum_quantity == 1 for e in hosting)
    assert {(e.service_id, e.service_name) for e in hosting} == {("lumpsum-71", "Hosting-Paket M")}
    assert travel[0].lumpsum_amount == Decimal("45.00") and travel[0].minutes == 0
    assert all(e.hourly_rate is None for e in lumpsums)


# -- errors and retries ----------------------------------------------------------------------
async def test_missing_application_header_gives_the_services_message(server: SandboxServer) -> None:
    creds = server.credentials()["clockodo"]
    headers = {"X-ClockodoApiUser": creds["email"], "X-ClockodoApiKey": creds["api_key"]}
    async with ServiceClient(
        "clockodo",
        creds["base_url"],
        headers=headers,
        secrets=[creds["api_key"]],
        error_message=error_text,
    ) as client:
        with pytest.raises(ValidationError) as caught:
            await client.get_json("/api/v4/users/me")
    assert caught.value.status == 400
    assert f"Missing header {APP_HEADER}" in str(caught.value)


async def test_not_found_and_invalid_value_messages_are_clear_and_key_free(
    server: SandboxServer,
) -> None:
    creds = server.credentials()["clockodo"]
    async with source(server) as clockodo:
        result = await clockodo.mark_billed(["12345"])
    assert not result.ok and "Entry 12345 does not exist" in result.failed["12345"]
    assert creds["api_key"] not in result.failed["12345"]

    headers = {
        "X-ClockodoApiUser": creds["email"],
        "X-ClockodoApiKey": creds["api_key"],
        APP_HEADER: "t;t@example.com",
    }
    async with ServiceClient(
        "clockodo",
        creds["base_url"],
        headers=headers,
        secrets=[creds["api_key"]],
        error_message=error_text,
    ) as client:
        with pytest.raises(ValidationError) as invalid:
            await client.send_json("PUT", "/api/v2/entries/90001", {"billable": 5})
        with pytest.raises(NotFoundError) as missing:
            await client.get_json("/api/v4/projects/9")
    assert invalid.value.status == 422 and "billable must be one of 0, 1, 2" in str(invalid.value)
    assert "The project 9 does not exist" in str(missing.value)
    assert creds["api_key"] not in str(invalid.value) + str(missing.value)


async def test_rate_limit_is_retried_after_the_wait_clockodo_asks_for(
    server: SandboxServer, fast_retry: RetryPolicy, sleeps: Any
) -> None:
    server.faults.add(
        "rate_limit", service="clockodo", path="/api/v2/entries", count=2, retry_after=3
    )
    async with source(server, fast_retry) as clockodo:
        entries = await clockodo.entries(OCT_1, OCT_31)
    assert {e.id for e in entries} == world_ids(server)
    assert len([w for w in sleeps.waits if w >= 3]) == 2
    assert all(2.5 < w <= 3.1 for w in sleeps.waits)


async def test_server_errors_are_retried(
    server: SandboxServer, fast_retry: RetryPolicy, sleeps: Any
) -> None:
    server.faults.add("status", service="clockodo", path="/api/v2/entries", status=503, count=2)
    async with source(server, fast_retry) as clockodo:
        assert await clockodo.entries(OCT_1, OCT_31)
    assert len(sleeps.waits) == 2


async def test_retries_run_out_into_typed_errors(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    server.faults.add("status", service="clockodo", path="/users/me", status=502, count=None)
    async with source(server, fast_retry) as clockodo:
        with pytest.raises(ServerError, match="HTTP 502"):
            await clockodo.verify()
    server.faults.clear()
    server.faults.add("rate_limit", service="clockodo", path="/users/me", count=None, retry_after=1)
    async with source(server, fast_retry) as clockodo:
        with pytest.raises(RateLimitedError, match="rate limit"):
            await clockodo.verify()
    assert server.count("clockodo", "GET", "/api/v4/users/me") == 2 * fast_retry.attempts


# -- marking ---------------------------------------------------------------------------------
async def open_entries(clockodo: ClockodoSource, customer: str = "202") -> list[TimeEntry]:
    return await clockodo.entries(OCT_1, OCT_31, customer_id=customer, billable=True, billed=False)


async def test_mark_billed_changes_exactly_the_ids(server: SandboxServer) -> None:
    async with source(server) as clockodo:
        chosen = [e.id for e in await open_entries(clockodo)]
        before = billable_states(server)
        latecomer = add_entry(server)  # tracked while the invoice was being made
        result = await clockodo.mark_billed(chosen)
        billed = {
            e.id for e in await clockodo.entries(OCT_1, OCT_31, billed=True, customer_id="202")
        }
    assert result.ok and sorted(result.succeeded) == sorted(chosen)
    after = billable_states(server)
    assert {k for k in after if after[k] != before.get(k, 1)} == set(chosen)
    assert after[latecomer] == 1 and latecomer not in billed
    assert set(chosen) <= billed
    assert server.count("clockodo", "PUT", "/api/v2/entrygroups") == 0


async def test_release_sets_entries_back_to_billable(server: SandboxServer) -> None:
    async with source(server) as clockodo:
        chosen = [e.id for e in await open_entries(clockodo)][:3]
        assert (await clockodo.mark_billed(chosen)).ok
        released = await clockodo.release(chosen)
        again = {e.id for e in await open_entries(clockodo)}
    assert released.ok and set(chosen) <= again
    assert all(billable_states(server)[i] == 1 for i in chosen)


async def test_a_worker_cannot_mark_anothers_entry(server: SandboxServer) -> None:
    async with source(server, email=LEYLA) as clockodo:
        mine = await clockodo.entries(OCT_1, OCT_31, user_id="4703", billable=True, billed=False)
        theirs = await clockodo.entries(OCT_1, OCT_31, user_id="4701", billable=True, billed=False)
        result = await clockodo.mark_billed([mine[0].id, theirs[0].id])
    assert result.succeeded == (mine[0].id,)
    assert "403" in result.failed[theirs[0].id] and "own entries" in result.failed[theirs[0].id]
    assert billable_states(server)[theirs[0].id] == 1


async def test_bulk_marks_a_whole_scope_in_one_change(server: SandboxServer) -> None:
    scope = BulkScope(OCT_1, OCT_31, customer_id="202")
    async with source(server) as clockodo:
        chosen = [e.id for e in await open_entries(clockodo)]
        before = billable_states(server)
        result = await clockodo.mark_billed(chosen, bulk=scope)
    assert result.ok and sorted(result.succeeded) == sorted(chosen)
    after = billable_states(server)
    assert {k for k in after if after[k] != before[k]} == set(chosen)
    assert server.count("clockodo", "PUT", "/api/v2/entrygroups") == 2
    assert server.count("clockodo", "PUT", "/api/v2/entries/") == 0


async def test_bulk_falls_back_when_the_scope_holds_other_open_entries(
    server: SandboxServer,
) -> None:
    scope = BulkScope(OCT_1, OCT_31, customer_id="202")
    async with source(server) as clockodo:
        chosen = [e.id for e in await open_entries(clockodo)][:-1]
        before = billable_states(server)
        result = await clockodo.mark_billed(chosen, bulk=scope)
    assert result.ok
    after = billable_states(server)
    assert {k for k in after if after[k] != before[k]} == set(chosen)
    assert server.count("clockodo", "PUT", "/api/v2/entrygroups") == 1  # the dry run only
    assert server.count("clockodo", "PUT", "/api/v2/entries/") == len(chosen)


async def test_bulk_sets_back_an_entry_added_just_before_the_confirm(server: SandboxServer) -> None:
    latecomers: list[str] = []

    def sneak_in(request: Request) -> None:
        if request.path == "/api/v2/entrygroups" and b"confirm_key" in request.body:
            latecomers.append(add_entry(server))

    scope = BulkScope(OCT_1, OCT_31, customer_id="202")
    async with source(server) as clockodo:
        chosen = [e.id for e in await open_entries(clockodo)]
        Recorder(server, sneak_in)
        result = await clockodo.mark_billed(chosen, bulk=scope)
    assert result.ok and sorted(result.succeeded) == sorted(chosen)
    states = billable_states(server)
    assert latecomers and states[latecomers[0]] == 1
    assert all(states[i] == 2 for i in chosen)


# -- per-user limits and bulk marking (issue 10, item 7) ------------------------------------------
async def test_mark_in_bulk_marks_each_customer_with_one_confirmed_change(
    server: SandboxServer,
) -> None:
    async with source(server) as clockodo:
        chosen = [e.id for e in await open_entries(clockodo, "202")]
        chosen += [e.id for e in await open_entries(clockodo, "203")]
        before = billable_states(server)
        server.reset_counts()
        result = await clockodo.mark_in_bulk(chosen, OCT_1, OCT_31)
    assert sorted(result.succeeded) == sorted(chosen)
    after = billable_states(server)
    assert {k for k in after if after[k] != before[k]} == set(chosen)
    # Per customer a dry run and a confirm; no entry PUT one by one.
    assert server.count("clockodo", "PUT", "/api/v2/entrygroups") == 4
    assert server.count("clockodo", "PUT", "/api/v2/entries/") == 0


async def test_mark_in_bulk_leaves_a_customer_whose_count_is_not_the_plans(
    server: SandboxServer,
) -> None:
    async with source(server) as clockodo:
        kept_open = [e.id for e in await open_entries(clockodo, "202")]
        partial = kept_open[:-1]  # one open entry of the customer is not in the plan
        whole = [e.id for e in await open_entries(clockodo, "203")]
        before = billable_states(server)
        result = await clockodo.mark_in_bulk(partial + whole, OCT_1, OCT_31)
    # The confirmation would have touched one entry more than the plan holds: not confirmed.
    assert sorted(result.succeeded) == sorted(whole)
    after = billable_states(server)
    assert {k for k in after if after[k] != before[k]} == set(whole)


async def test_paced_marking_never_meets_the_limits(server: SandboxServer) -> None:
    limits = (Window(10, 1.0), Window(25, 5.0))
    clock = FakeClock(1000.0)
    server.clockodo.limits = limits
    server.clockodo.clock = clock.now
    pacer = Pacer(limits, service="clockodo", title="clockodo", clock=clock.now, sleep=clock.sleep)
    # One request at a time: the fake clock jumps while the pacer waits, and a request still in
    # flight would reach the sandbox at a later (fake) time than it was paced for.
    async with source(server, pacer=pacer, max_concurrency=1) as clockodo:
        every = await clockodo.entries(OCT_1, OCT_31, billable=True, billed=False)
        chosen = [e.id for e in every][:60]
        result = await clockodo.mark_billed(chosen)  # one PUT each
    assert result.ok and len(result.succeeded) == 60
    assert server.clockodo.refused == 0
    # 60 PUTs and the reads before them, 25 per 5 s: the run waited for the windows.
    assert clock.time - 1000.0 >= 10.0
