"""The mite emulator as a client sees it: envelopes, filters, paging, locking rules."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_support import TODAY
from timebill.core.sandbox import SandboxServer
from timebill.core.sandbox.mite_data import (
    CUSTOMER_BASE,
    ENTRY_BASE,
    PROJECT_BASE,
    SERVICE_BASE,
    USER_BASE,
    sort_name,
)
from timebill.core.sandbox.seed import SeedEntry
from timebill.core.sandbox.server import Request

ANNA, JONAS, LEYLA = 1, 2, 3


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY, services=("mite",)) as sandbox:
        yield sandbox


def client(server: SandboxServer, user: int | None = ANNA) -> httpx.Client:
    headers = {"X-MiteApiKey": server.mite.keys[user]} if user else {}
    return httpx.Client(base_url=f"{server.url}/mite", headers=headers)


def seeded(server: SandboxServer, keep: Any = lambda e: True) -> list[SeedEntry]:
    return [e for e in server.world.entries if e.kind == "time" and keep(e)]


def ids(response: httpx.Response) -> list[int]:
    return [item["time_entry"]["id"] for item in response.json()]


def test_auth_accounts_and_errors(server: SandboxServer) -> None:
    with client(server, None) as anonymous:
        missing = anonymous.get("/account.json")
        assert missing.status_code == 401 and "API key" in missing.json()["error"]
        by_query = anonymous.get("/myself.json", params={"api_key": server.mite.keys[JONAS]})
        assert by_query.json()["user"]["name"] == "Jonas Weber"
    with client(server) as mite:
        named = mite.get("/nordlicht/account.json").json()["account"]
        assert (named["name"], named["title"], named["currency"]) == (
            "nordlicht",
            "Agentur Nordlicht GmbH",
            "EUR",
        )
        unknown = mite.get("/nope/account.json")
        assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith(
            "text/html"
        )
        gone = mite.get(f"/time_entries/{ENTRY_BASE + 999_999}.json")
        assert gone.status_code == 404 and "not found" in gone.json()["error"]
        bad_date = mite.get("/time_entries.json", params={"from": "2026-13-01"})
        assert bad_date.status_code == 422 and "2026-13-01" in bad_date.json()["error"]


def test_lists_filter_by_name_and_customer(server: SandboxServer) -> None:
    with client(server) as mite:
        found = mite.get("/customers.json", params={"name": "MÜLLER"}).json()
        assert [c["customer"]["name"] for c in found] == ["Müller & Söhne GmbH"]
        pair = f"{CUSTOMER_BASE + 1},{CUSTOMER_BASE + 4}"
        projects = mite.get("/projects.json", params={"customer_id": pair}).json()
        assert {p["project"]["name"] for p in projects} == {
            "Webshop-Relaunch", "SEO-Betreuung", "Tourenplanung", "SAP-Schnittstelle"
        }  # fmt: skip
        stadtwerke = mite.get(f"/customers/{CUSTOMER_BASE + 5}.json").json()["customer"]
        assert stadtwerke["active_hourly_rate"] == "hourly_rates_per_service"
        assert {"service_id": SERVICE_BASE + 1, "hourly_rate": 8800} in stadtwerke[
            "hourly_rates_per_service"
        ]
        assert mite.get("/services/archived.json").json() == []
    leyla = server.store.get("mite", "users", str(USER_BASE + LEYLA))
    server.store.put("mite", "users", {**leyla, "role": "time_tracker"})
    with client(server, LEYLA) as tracker:
        assert tracker.get("/users.json").status_code == 403
        own = tracker.get("/time_entries.json", params={"at": "last_month"})
        assert set(ids(own)) == {
            ENTRY_BASE + e.key
            for e in seeded(server, lambda e: e.user == LEYLA and e.date.month == 10)
        }


def test_entry_dates_sorting_and_paging(server: SandboxServer) -> None:
    october = {ENTRY_BASE + e.key for e in seeded(server, lambda e: e.date.month == 10)}
    with client(server) as mite:
        everything = ids(
            mite.get("/time_entries.json", params={"from": "last_month", "to": "last_month"})
        )
        assert set(everything) == october and len(everything) == len(october)
        dates = [i["time_entry"]["date_at"] for i in mite.get("/time_entries.json").json()]
        assert dates == sorted(dates, reverse=True)  # mite's default: newest first
        params = {"from": "2026-10-01", "to": "2026-10-31", "sort": "date", "direction": "asc"}
        pages = [
            ids(mite.get("/time_entries.json", params={**params, "limit": 100, "page": n}))
            for n in (1, 2, 3)
        ]
        assert [len(p) for p in pages] == [100, 100, len(october) - 200]
        assert [i for p in pages for i in p] == ids(mite.get("/time_entries.json", params=params))
        assert len(ids(mite.get("/time_entries.json", params={**params, "page": 2}))) == len(
            october
        )
        by_minutes = mite.get(
            "/time_entries.json", params={"at": "last_month", "sort": "minutes"}
        ).json()
        minutes = [i["time_entry"]["minutes"] for i in by_minutes]
        assert minutes == sorted(minutes, reverse=True)
        mine = ids(
            mite.get(
                "/time_entries.json", params={**params, "user_id": "current", "locked": "false"}
            )
        )
        assert set(mine) == {
            ENTRY_BASE + e.key
            for e in seeded(server, lambda e: e.date.month == 10 and e.user == ANNA)
        }


def test_lock_rules(server: SandboxServer) -> None:
    jonas_open = next(e for e in seeded(server, lambda e: e.user == JONAS and not e.billed))
    path = f"/time_entries/{ENTRY_BASE + jonas_open.key}.json"
    with client(server, LEYLA) as leyla, client(server, JONAS) as jonas, client(server) as anna:
        refused = leyla.patch(path, json={"time_entry": {"locked": True}})
        assert refused.status_code == 403 and "your own" in refused.json()["error"]
        done = anna.patch(path, json={"time_entry": {"locked": True}})
        assert (done.status_code, done.content) == (200, b"")
        assert anna.get(path).json()["time_entry"]["locked"] is True
        frozen = jonas.patch(path, json={"time_entry": {"minutes": 5}})
        assert frozen.status_code == 423  # UNCERTAIN in the digest: 423 from one client only
        assert jonas.patch(path, json={"time_entry": {"locked": False}}).status_code == 423
        assert (
            leyla.patch(path, json={"time_entry": {"locked": False, "force": True}}).status_code
            == 403
        )
        assert (
            jonas.patch(path, json={"time_entry": {"locked": False, "force": True}}).status_code
            == 200
        )
        assert anna.get(path).json()["time_entry"]["locked"] is False


def test_create_rates_revenue_and_delete(server: SandboxServer) -> None:
    body = {"time_entry": {"date_at": "yesterday", "minutes": 7, "note": "Störung",
                           "project_id": PROJECT_BASE + 8, "service_id": SERVICE_BASE + 1}}  # fmt: skip
    with client(server, LEYLA) as leyla:
        created = leyla.post("/time_entries.json", json=body)
        assert created.status_code == 201
        entry = created.json()["time_entry"]
        # Stadtwerke Lüneburg pays 88.00 for Entwicklung: 7 min = 10.2667 -> 1027 cents.
        assert (entry["hourly_rate"], entry["revenue"], entry["date_at"]) == (
            8800,
            1027.0,
            "2026-11-27",
        )
        assert (entry["customer_name"], entry["user_id"]) == (
            "Stadtwerke Lüneburg GmbH",
            USER_BASE + LEYLA,
        )
        location = created.headers["Location"]
        assert leyla.get(location).json() == {"time_entry": entry}
        foreign = {"time_entry": {**body["time_entry"], "user_id": USER_BASE + ANNA}}
        assert leyla.post("/time_entries.json", json=foreign).status_code == 403
        assert leyla.delete(location).status_code == 200
        assert leyla.get(location).status_code == 404
        billed = next(e for e in seeded(server, lambda e: e.user == LEYLA and e.billed))
        assert leyla.delete(f"/time_entries/{ENTRY_BASE + billed.key}.json").status_code == 423


def test_state_file_keeps_locks_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.log"
    with SandboxServer(today=TODAY, services=("mite",), state=str(state)) as first:
        entry = ENTRY_BASE + seeded(first, lambda e: not e.billed)[0].key
        with client(first) as mite:
            mite.patch(
                f"/time_entries/{entry}.json", json={"time_entry": {"locked": True, "note": "x"}}
            )
    with SandboxServer(today=TODAY, services=("mite",), state=str(state)) as again:
        with client(again) as mite:
            found = mite.get("/time_entries.json", params={"locked": "true", "note": "x"})
            assert entry in ids(found)


@pytest.mark.xdist_group("100k")
def test_hundred_thousand_entries_page_quickly(sandbox_100k: SandboxServer) -> None:
    server = sandbox_100k
    mite = server.mite
    headers = {"x-miteapikey": mite.keys[ANNA]}

    def page(number: int) -> list[Any]:
        query = {
            "limit": ["1000"],
            "page": [str(number)],
            "sort": ["date"],
            "direction": ["asc"],
        }
        response = mite.handle(Request("GET", "/time_entries.json", query, headers))
        return json.loads(response.body)

    first = page(1)
    started = time.perf_counter()
    later = [page(n) for n in range(2, 7)]
    per_page = (time.perf_counter() - started) / len(later)
    assert len(first) == 1000 and all(len(p) == 1000 for p in later)
    assert page(101) == []
    # Filtering and sorting 100,000 entries happens once; later pages only encode 1,000.
    assert per_page < 0.25, f"{per_page:.3f}s per page"
    assert first[0]["time_entry"]["date_at"] == dt.date(2026, 9, 1).isoformat()


# -- HTTP Basic and group_by (issue 10, sandbox fidelity) ----------------------------------------
def test_http_basic_with_email_and_password_is_answered_or_refused(server: SandboxServer) -> None:
    with client(server, None) as anonymous:
        me = anonymous.get(
            "/myself.json", auth=("jonas.weber@agentur-nordlicht.de", "nordlicht-jonas")
        )
        wrong = anonymous.get("/myself.json", auth=("jonas.weber@agentur-nordlicht.de", "guess"))
    assert me.status_code == 200, me.text
    assert me.json()["user"]["name"] == "Jonas Weber"
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "Access denied. Wrong e-mail or password."}
    assert wrong.headers["WWW-Authenticate"] == 'Basic realm="mite"'


def test_group_by_customer_and_month_sums_the_entries(server: SandboxServer) -> None:
    october = {"from": "2026-10-01", "to": "2026-10-31"}
    with client(server) as mite:
        entries = [e["time_entry"] for e in mite.get("/time_entries.json", params=october).json()]
        grouped = mite.get("/time_entries.json", params={**october, "group_by": "customer,month"})
        again = [
            e["time_entry"]
            for e in mite.get(
                "/time_entries.json",
                params=grouped.json()[0]["time_entry_group"]["time_entries_params"],
            ).json()
        ]
        refused = mite.get("/time_entries.json", params={"group_by": "colour"})
    groups = [g["time_entry_group"] for g in grouped.json()]
    assert sum(g["minutes"] for g in groups) == sum(e["minutes"] for e in entries)
    by_customer: dict[Any, int] = {}
    for e in entries:
        by_customer[e["customer_id"]] = by_customer.get(e["customer_id"], 0) + e["minutes"]
    assert {g["customer_id"]: g["minutes"] for g in groups} == by_customer
    first = groups[0]
    assert (first["year"], first["month"], first["from"], first["to"]) == (
        2026,
        10,
        "2026-10-01",
        "2026-10-31",
    )
    assert first["time_entries_params"] == {
        "customer_id": str(first["customer_id"]),
        "from": "2026-10-01",
        "to": "2026-10-31",
    }
    # The params list exactly the group's entries.
    assert sum(e["minutes"] for e in again) == first["minutes"]
    # Ordered by name as mite sorts them (umlauts as their base letter).
    names = [g["customer_name"] for g in groups]
    assert names == sorted(names, key=sort_name)
    assert refused.status_code == 422 and "colour" in refused.json()["error"]
