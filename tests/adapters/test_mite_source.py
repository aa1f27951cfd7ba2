"""MiteSource against the mite sandbox over loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sandbox_support import TODAY, SleepRecorder
from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    RateLimitedError,
    ServerError,
    UnknownAccountError,
    ValidationError,
)
from timebill.core.http import RetryPolicy
from timebill.core.models import TimeEntry
from timebill.core.sandbox import SandboxServer
from timebill.core.sandbox.mite_data import (
    CUSTOMER_BASE,
    ENTRY_BASE,
    PROJECT_BASE,
    SERVICE_BASE,
    USER_BASE,
)
from timebill.core.sandbox.seed import SeedEntry
from timebill.core.sandbox.server import Request
from timebill.core.sources.base import TimeSource
from timebill.core.sources.mite import MiteSource

LAST_MONTH = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
# The seed bills (locks) most of the month before last, as its owner, Anna.
BILLED_MONTH = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
ANNA, JONAS, LEYLA = 1, 2, 3


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY, services=("mite",)) as sandbox:
        yield sandbox


def source(
    server: SandboxServer, retry: RetryPolicy, user: int = ANNA, **options: Any
) -> MiteSource:
    creds = server.credentials()["mite"]
    options.setdefault("base_url", creds["base_url"])
    return MiteSource(
        options.pop("account", creds["account"]), server.mite.keys[user], retry=retry, **options
    )


def seeded(server: SandboxServer, start: dt.date, end: dt.date) -> list[SeedEntry]:
    """The oracle: the world's time entries in the range (mite has no lump sums)."""
    return [e for e in server.world.entries if e.kind == "time" and start <= e.date <= end]


def wire_id(entry: SeedEntry) -> str:
    return str(ENTRY_BASE + entry.key)


def locked(server: SandboxServer, entry_id: str) -> bool:
    return bool(server.store.get("mite", "time_entries", entry_id)["locked"])


def add_entry(server: SandboxServer, user: int = ANNA, **fields: Any) -> dict[str, Any]:
    """Create an entry through the emulator, as another mite client would."""
    request = Request(
        "POST",
        "/time_entries.json",
        {},
        {"x-miteapikey": server.mite.keys[user], "host": "127.0.0.1"},
        json.dumps({"time_entry": fields}).encode(),
    )
    response = server.mite.handle(request)
    assert response.status == 201, response.body
    return json.loads(response.body)["time_entry"]


# -- account and configuration ---------------------------------------------------------------
async def test_verify_names_account_user_role_and_currency(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    async with source(server, fast_retry) as mite:
        assert isinstance(mite, TimeSource)
        account = await mite.verify()
    assert (account.service, account.name, account.currency) == (
        "mite",
        "Agentur Nordlicht GmbH",
        "EUR",
    )
    assert (account.user_name, account.role) == ("Anna Schmidt", "owner")
    async with source(server, fast_retry, user=LEYLA) as mite:
        assert (await mite.verify()).role == "coworker"


async def test_wrong_key_is_an_authentication_error_without_the_key(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    key = "0123456789abcdef"
    creds = server.credentials()["mite"]
    async with MiteSource("nordlicht", key, base_url=creds["base_url"], retry=fast_retry) as mite:
        with pytest.raises(AuthenticationError) as caught:
            await mite.verify()
        assert key not in repr(mite)
    message = str(caught.value)
    assert "nordlicht" in message and "API access" in message
    assert key not in message and creds["api_key"] not in message


async def test_unknown_account_is_reported_by_name(
    server: SandboxServer, fast_retry: RetryPolicy, sleeps: SleepRecorder
) -> None:
    template = f"{server.url}/mite/{{account}}"
    async with source(server, fast_retry, account="Nordlicht", base_url=template) as mite:
        assert (await mite.verify()).name == "Agentur Nordlicht GmbH"
    async with source(server, fast_retry, account="nope", base_url=template) as mite:
        with pytest.raises(UnknownAccountError) as caught:
            await mite.verify()
    message = str(caught.value)
    assert message.startswith("mite account 'nope' does not exist")
    assert server.mite.keys[ANNA] not in message
    assert sleeps.waits == []  # a 404 is an answer, not a failure to retry


@pytest.mark.parametrize(
    ("account", "hint"),
    [
        ("https://acme.mite.de", "Did you mean 'acme'?"),
        ("acme.mite.de/", "Did you mean 'acme'?"),
        ("ac/me", "letters, digits and hyphens"),
        ("   ", "empty"),
    ],
)
def test_account_must_be_a_bare_subdomain(account: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        MiteSource(account, "a3f9c27e5b1d8046")
    assert hint in str(caught.value)
    assert "a3f9c27e5b1d8046" not in str(caught.value)


def test_default_address_is_the_account_subdomain() -> None:
    assert MiteSource(" ACME-2 ", "a3f9c27e5b1d8046").base_url == "https://acme-2.mite.de"
    with pytest.raises(ConfigError, match="key is empty"):
        MiteSource("acme", "")


# -- lists -------------------------------------------------------------------------------------
async def test_lists_keep_umlauts_rates_and_archived_objects(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    server.store.put(
        "mite",
        "customers",
        {**server.store.get("mite", "customers", str(CUSTOMER_BASE + 8)), "id": 207199,
         "name": "Älteste Kundin AG", "archived": True},
    )  # fmt: skip
    server.mite.touch()
    async with source(server, fast_retry) as mite:
        customers = await mite.customers()
        projects = await mite.projects()
        services = await mite.services()
        users = await mite.users()
    assert [c.name for c in customers if not c.archived][:2] == [
        "Bäckerei Schäfer KG",
        "Brückner Maschinenbau GmbH",
    ]
    assert (customers[-1].name, customers[-1].archived) == ("Älteste Kundin AG", True)
    assert len(customers) == 9 and len(projects) == 12 and len(users) == 3
    portal = next(p for p in projects if p.name == "Störungsmelder")
    assert (portal.customer_id, portal.customer_name) == (
        str(CUSTOMER_BASE + 5),
        "Stadtwerke Lüneburg GmbH",
    )
    rates = {s.name: (s.hourly_rate, s.billable) for s in services}
    assert rates["Beratung"] == (Decimal("120.00"), True)
    assert rates["Interne Abstimmung"] == (None, False)


async def test_time_tracker_gets_only_themselves_as_users(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    leyla = server.store.get("mite", "users", str(USER_BASE + LEYLA))
    server.store.put("mite", "users", {**leyla, "role": "time_tracker"})
    async with source(server, fast_retry, user=LEYLA) as mite:
        users = await mite.users()
    assert [(u.name, u.role) for u in users] == [("Leyla Demir", "time_tracker")]


# -- entries -----------------------------------------------------------------------------------
async def test_entries_page_until_a_short_page(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    expected = seeded(server, *LAST_MONTH)
    async with source(server, fast_retry, page_size=50) as mite:
        entries = await mite.entries(*LAST_MONTH)
    assert sorted(e.id for e in entries) == sorted(wire_id(e) for e in expected)
    assert [e.date for e in entries] == sorted(e.date for e in entries)
    assert server.count("mite", "GET", "/time_entries.json") == len(expected) // 50 + 1


async def test_a_full_last_page_costs_one_request_more(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    day = LAST_MONTH[0] + dt.timedelta(days=1)  # a Friday with work
    expected = seeded(server, day, day)
    assert len(expected) > 2
    async with source(server, fast_retry, page_size=len(expected)) as mite:
        entries = await mite.entries(day, day)
    assert len(entries) == len(expected)
    assert server.count("mite", "GET", "/time_entries.json") == 2
    async with source(server, fast_retry) as mite:
        assert await mite.entries(LAST_MONTH[1], LAST_MONTH[0]) == []


async def test_entries_shifting_between_pages_come_once(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    expected = seeded(server, *LAST_MONTH)
    async with source(server, fast_retry, page_size=40) as mite:
        read_page = mite._client.get_json
        served: list[int] = []

        async def get_json(path: str, params: Any = None) -> Any:
            answer = await read_page(path, params)
            served.extend(item["time_entry"]["id"] for item in answer)
            if params and params.get("page") == 1:
                # Someone books time on the first day while we read: everything shifts by one.
                add_entry(server, JONAS, date_at="2026-10-01", minutes=30, note="nachgetragen")
            return answer

        mite._client.get_json = get_json  # type: ignore[method-assign]
        entries = await mite.entries(*LAST_MONTH)
    ids = [e.id for e in entries]
    assert len(served) > len(set(served))  # the server did send one entry twice
    assert len(ids) == len(set(ids)) == len(expected)


@pytest.mark.parametrize(
    ("options", "keep"),
    [
        ({"customer_id": str(CUSTOMER_BASE + 5)}, lambda e: e.customer == 5),
        ({"customer_id": f"{CUSTOMER_BASE + 1},{CUSTOMER_BASE + 8}"}, lambda e: e.customer in (1, 8)),
        ({"project_id": str(PROJECT_BASE + 3)}, lambda e: e.project == 3),
        ({"service_id": str(SERVICE_BASE + 6)}, lambda e: e.service == 6),
        ({"user_id": str(USER_BASE + LEYLA)}, lambda e: e.user == LEYLA),
        ({"billable": False}, lambda e: not e.billable),
        ({"billed": True}, lambda e: e.billed),
        ({"billed": False, "billable": True, "user_id": str(USER_BASE + ANNA)},
         lambda e: not e.billed and e.billable and e.user == ANNA),
    ],
)  # fmt: skip
async def test_entry_filters(
    server: SandboxServer, fast_retry: RetryPolicy, options: dict[str, Any], keep: Any
) -> None:
    start, end = dt.date(2026, 9, 1), TODAY
    expected = {wire_id(e) for e in seeded(server, start, end) if keep(e)}
    assert expected
    async with source(server, fast_retry) as mite:
        entries = await mite.entries(start, end, **options)
    assert {e.id for e in entries} == expected


async def test_entries_are_normalized(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    raw = {e.key: e for e in seeded(server, *LAST_MONTH)}
    async with source(server, fast_retry) as mite:
        entries = {e.id: e for e in await mite.entries(*LAST_MONTH)}
    # Stadtwerke Lüneburg pays 88.00 for Entwicklung instead of 95.00.
    special = next(e for e in raw.values() if e.customer == 5 and e.service == 1)
    entry = entries[wire_id(special)]
    assert entry == TimeEntry(
        id=wire_id(special), source="mite", date=special.date, minutes=special.minutes, note=special.note,
        customer_id=str(CUSTOMER_BASE + 5), customer_name="Stadtwerke Lüneburg GmbH",
        project_id=str(PROJECT_BASE + special.project), project_name=entry.project_name,
        service_id=str(SERVICE_BASE + 1), service_name="Entwicklung",
        user_id=str(USER_BASE + special.user), user_name=server.world.user(special.user).name,
        billable=True, billed=special.billed, hourly_rate=Decimal("88.00"),
        revenue=(Decimal(special.minutes) * Decimal("88") / 60).quantize(Decimal("0.01")),
    )  # fmt: skip
    assert isinstance(entry.date, dt.date) and isinstance(entry.hourly_rate, Decimal)
    internal = next(e for e in raw.values() if e.service == 6)
    assert entries[wire_id(internal)].billable is False
    assert (entries[wire_id(internal)].hourly_rate, entries[wire_id(internal)].revenue) == (
        None,
        None,
    )
    assert any("ü" in (e.note + (e.customer_name or "")) for e in entries.values())


async def test_entry_without_project_or_service_and_a_running_timer(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    bare = add_entry(server, LEYLA, date_at="2026-11-27", minutes=20, note="Rückruf")
    server.mite.handle(
        Request(
            "PATCH", f"/tracker/{bare['id']}.json", {}, {"x-miteapikey": server.mite.keys[LEYLA]}
        )
    )
    async with source(server, fast_retry) as mite:
        entries = await mite.entries(
            TODAY - dt.timedelta(days=1), TODAY, user_id=str(USER_BASE + LEYLA)
        )
    entry = next(e for e in entries if e.id == str(bare["id"]))
    assert (entry.note, entry.minutes, entry.running) == ("Rückruf", 20, True)
    assert (
        entry.customer_name is entry.project_name is entry.service_name is entry.hourly_rate is None
    )
    assert not any(e.running for e in entries if e.id != entry.id)


# -- failures ----------------------------------------------------------------------------------
async def test_rate_limit_is_waited_out_as_the_server_asks(
    server: SandboxServer, fast_retry: RetryPolicy, sleeps: SleepRecorder
) -> None:
    server.faults.add(
        "rate_limit", service="mite", path="/time_entries.json", count=2, retry_after=7
    )
    async with source(server, fast_retry) as mite:
        entries = await mite.entries(*LAST_MONTH)
    assert len(entries) == len(seeded(server, *LAST_MONTH))
    assert len(sleeps.waits) == 2 and all(7 <= w <= 7.2 for w in sleeps.waits)


async def test_server_errors_are_retried_then_succeed(
    server: SandboxServer, fast_retry: RetryPolicy, sleeps: SleepRecorder
) -> None:
    server.faults.add("status", service="mite", path="/account.json", status=503, count=2)
    server.faults.add("html", service="mite", path="/myself.json", status=502, count=1)
    async with source(server, fast_retry) as mite:
        assert (await mite.verify()).user_name == "Anna Schmidt"
    assert server.count("mite", "GET", "/account.json") == 3
    assert len(sleeps.waits) == 3


async def test_retries_run_out_into_typed_errors(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    server.faults.add("status", service="mite", path="/customers.json", status=503, count=None)
    server.faults.add(
        "rate_limit", service="mite", path="/time_entries.json", count=None, retry_after=1
    )
    key = server.mite.keys[ANNA]
    async with source(server, fast_retry) as mite:
        with pytest.raises(ServerError) as failed:
            await mite.customers()
        with pytest.raises(RateLimitedError) as limited:
            await mite.entries(*LAST_MONTH)
    assert server.count("mite", "GET", "/customers.json") == fast_retry.attempts
    assert "503" in str(failed.value) and "rate limit" in str(limited.value)
    assert key not in str(failed.value) + str(limited.value)


async def test_validation_error_carries_mites_words(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    server.faults.add("status", service="mite", path="/time_entries.json", status=422)
    async with source(server, fast_retry) as mite:
        with pytest.raises(ValidationError) as caught:
            await mite.entries(*LAST_MONTH)
    assert "injected fault: HTTP 422" in str(caught.value)
    assert server.mite.keys[ANNA] not in str(caught.value)


# -- marking billed ----------------------------------------------------------------------------
def open_entries(server: SandboxServer, user: int | None = None) -> list[str]:
    return [
        wire_id(e)
        for e in seeded(server, *LAST_MONTH)
        if not e.billed and e.billable and (user is None or e.user == user)
    ]


async def test_mark_billed_locks_exactly_the_given_entries(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    chosen = open_entries(server)[:5]
    before = {i: r["locked"] for i, r in server.store.collection("mite", "time_entries").items()}
    async with source(server, fast_retry) as mite:
        result = await mite.mark_billed([*chosen, chosen[0]])
    assert result.ok and set(result.succeeded) == set(chosen) and len(result.succeeded) == 5
    after = {i: r["locked"] for i, r in server.store.collection("mite", "time_entries").items()}
    assert {i for i in after if after[i] != before[i]} == set(chosen)
    assert server.count("mite", "PATCH") == 5
    async with source(server, fast_retry, page_size=200) as mite:
        billed = {e.id for e in await mite.entries(*LAST_MONTH) if e.billed}
    assert set(chosen) <= billed


async def test_mark_reports_refusals_and_missing_entries_per_entry(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    jonas_open = open_entries(server, JONAS)[0]
    leyla_open = open_entries(server, LEYLA)[0]
    already = next(
        wire_id(e) for e in seeded(server, *BILLED_MONTH) if e.billed and e.user == JONAS
    )
    missing = str(ENTRY_BASE + 999_999)
    async with source(server, fast_retry, user=LEYLA) as mite:
        result = await mite.mark_billed([jonas_open, leyla_open, already, missing, "abc"])
    # Leyla (coworker) may lock her own entry; Jonas' locked one is billed already: fine too.
    assert set(result.succeeded) == {leyla_open, already}
    assert set(result.failed) == {jonas_open, missing, "abc"}
    assert (
        "403" in result.failed[jonas_open]
        and "only admins and the owner" in result.failed[jonas_open]
    )
    assert "no longer exists" in result.failed[missing]
    assert "not a mite time entry id" in result.failed["abc"]
    assert not locked(server, jonas_open) and locked(server, leyla_open)
    assert server.mite.keys[LEYLA] not in str(result.failed)


async def test_release_unlocks_and_uses_force_only_where_needed(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    mine, theirs = open_entries(server, ANNA)[:2]
    async with source(server, fast_retry) as mite:
        assert (await mite.mark_billed([mine, theirs])).ok
        assert (await mite.release([mine])).succeeded == (mine,)
    assert not locked(server, mine) and locked(server, theirs)
    assert server.count("mite", "PATCH") == 3
    # Leyla may not unlock what Anna locked, not even her own entry; Jonas (admin) may, with force.
    leyla_billed = next(
        wire_id(e) for e in seeded(server, *BILLED_MONTH) if e.billed and e.user == LEYLA
    )
    async with source(server, fast_retry, user=LEYLA) as mite:
        refused = await mite.release([leyla_billed])
    assert "Only the user who locked" in refused.failed[leyla_billed]
    assert locked(server, leyla_billed)
    server.reset_counts()
    async with source(server, fast_retry, user=JONAS) as mite:
        assert (await mite.release([theirs, leyla_billed])).ok
    assert not locked(server, theirs) and not locked(server, leyla_billed)
    assert server.count("mite", "PATCH") == 4  # each: refused without force, then forced
