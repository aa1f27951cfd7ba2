"""The clockodo emulator on the wire: auth, required header, error bodies per API version,
paging, validation, rights, the entrygroups confirm flow, and speed with 100,000 entries."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from timebill.core.sandbox import SandboxServer

TODAY = dt.date(2026, 11, 28)
APP = {"X-Clockodo-External-Application": "test;t@example.com"}
LEYLA = "leyla.demir@agentur-nordlicht.de"
OCTOBER = {"time_since": "2026-09-30T22:00:00Z", "time_until": "2026-10-31T22:59:59Z"}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY, services=("clockodo",)) as srv:
        yield srv


def client(server: SandboxServer, email: str | None = None, **headers: str) -> httpx.Client:
    creds = server.clockodo.credentials_for(
        f"{server.url}/clockodo", email or server.world.users[0].email
    )
    auth = {"X-ClockodoApiUser": creds["email"], "X-ClockodoApiKey": creds["api_key"]}
    return httpx.Client(base_url=creds["base_url"], headers={**auth, **APP, **headers})


def test_basic_auth_and_key_headers_both_work(server: SandboxServer) -> None:
    creds = server.credentials()["clockodo"]
    basic = httpx.get(
        f"{creds['base_url']}/api/v4/users/me", headers=APP, auth=(creds["email"], creds["api_key"])
    )
    assert basic.status_code == 200 and basic.json()["data"]["timezone"] == "Europe/Berlin"
    with client(server) as api:
        assert api.get("/api/v4/users/me").json()["data"]["role"] == "owner"
    assert len(set(server.clockodo.keys.values())) == 3


def test_missing_header_and_bad_key_answer_in_each_versions_shape(server: SandboxServer) -> None:
    creds = server.credentials()["clockodo"]
    bare = httpx.get(
        f"{creds['base_url']}/api/v4/users/me", auth=(creds["email"], creds["api_key"])
    )
    assert bare.status_code == 400
    assert bare.json()["error"]["fields"] == ["X-Clockodo-External-Application"]
    wrong = ("X-ClockodoApiKey", "f" * 32)
    with client(server, **dict([wrong])) as api:
        v4 = api.get("/api/v4/users/me")
        v2 = api.get("/api/v2/entries", params=OCTOBER)
    assert v4.status_code == v2.status_code == 401
    assert v4.json()["errors"][0]["type"] == "AuthenticationFailed"
    assert v2.json()["error"]["code"] == 401


def test_entries_need_a_time_window_and_valid_paging(server: SandboxServer) -> None:
    with client(server) as api:
        missing = api.get("/api/v2/entries", params={"time_since": OCTOBER["time_since"]})
        too_big = api.get("/api/v2/entries", params={**OCTOBER, "items_per_page": 1001})
        bad_filter = api.get("/api/v2/entries", params={**OCTOBER, "filter[billable]": 3})
        page = api.get(
            "/api/v2/entries", params={**OCTOBER, "items_per_page": 100, "page": 2}
        ).json()
    assert missing.status_code == 400 and missing.json()["error"]["fields"] == ["time_until"]
    assert too_big.status_code == 400 and bad_filter.status_code == 400
    expected = [e for e in server.world.entries if e.date.month == 10]
    assert page["paging"] == {
        "items_per_page": 100,
        "current_page": 2,
        "count_pages": -(-len(expected) // 100),
        "count_items": len(expected),
    }
    assert len(page["entries"]) == 100 and page["filter"] is None


def test_wire_format_of_time_and_lump_sum_entries(server: SandboxServer) -> None:
    with client(server) as api:
        entries = api.get("/api/v2/entries", params={**OCTOBER, "enhanced_list": "true"}).json()[
            "entries"
        ]
    by_type: dict[int, list[dict[str, Any]]] = {}
    for entry in entries:
        by_type.setdefault(entry["type"], []).append(entry)
    time_entry = by_type[1][0]
    assert time_entry["time_since"].endswith("Z") and isinstance(time_entry["duration"], int)
    assert isinstance(time_entry["hourly_rate"], float) and "revenue" in time_entry
    assert time_entry["revenue"] == round(
        time_entry["duration"] / 3600 * time_entry["hourly_rate"], 2
    )
    (value,) = by_type[2]
    assert value["lumpsum"] == 45.0 and value["revenue"] == 45.0
    service = by_type[3][0]
    assert "services_id" not in service and "duration" not in service
    assert service["lumpsum_services_amount"] == 1.0 and service["revenue"] == 49.0
    nightly = [e for e in server.world.entries if e.start == dt.time(0, 30) and e.date.month == 10]
    wire = {e["id"]: e for e in entries}
    for seed in nightly:
        assert (
            wire[90000 + seed.key]["time_since"][:10]
            == (seed.date - dt.timedelta(days=1)).isoformat()
        )


def test_billable_edits_are_validated_and_rights_checked(server: SandboxServer) -> None:
    with client(server) as api:
        invalid = api.put("/api/v2/entries/90001", json={"billable": 5})
        lumpsum = next(e for e in server.world.entries if e.kind == "lumpsum_value")
        not_billable = api.put(f"/api/v2/entries/{90000 + lumpsum.key}", json={"billable": 0})
        missing = api.put("/api/v2/entries/1", json={"billable": 2})
    assert invalid.status_code == 422 and invalid.json()["error"]["fields"] == ["billable"]
    assert not_billable.status_code == 422 and missing.status_code == 404
    annas = next(e for e in server.world.entries if e.user == 1)
    leylas = next(e for e in server.world.entries if e.user == 3 and e.kind == "time")
    with client(server, LEYLA) as api:
        denied = api.put(f"/api/v2/entries/{90000 + annas.key}", json={"billable": 2})
        own = api.put(f"/api/v2/entries/{90000 + leylas.key}", json={"billable": 2})
    assert denied.status_code == 403 and "own entries" in denied.json()["error"]["message"]
    assert own.status_code == 200 and own.json()["entry"]["billable"] == 2


def test_entrygroups_change_only_after_the_confirm(server: SandboxServer) -> None:
    body = {**OCTOBER, "filter": {"customers_id": 203, "billable": 1}, "billable": 2}
    with client(server) as api:
        first = api.put("/api/v2/entrygroups", json=body).json()
        still_open = api.get(
            "/api/v2/entries",
            params={**OCTOBER, "filter[customers_id]": 203, "filter[billable]": 1},
        ).json()
        wrong = api.put("/api/v2/entrygroups", json={**body, "confirm_key": "nope"})
        done = api.put(
            "/api/v2/entrygroups", json={**body, "confirm_key": first["confirm_key"]}
        ).json()
        left = api.get(
            "/api/v2/entries",
            params={**OCTOBER, "filter[customers_id]": 203, "filter[billable]": 1},
        ).json()
    expected = [
        e
        for e in server.world.entries
        if e.date.month == 10 and e.customer == 3 and e.billable and not e.billed
    ]
    assert first["affected_entries"] == still_open["paging"]["count_items"] == len(expected) > 0
    assert wrong.status_code == 422
    assert done == {"success": True, "edited_entries": len(expected)}
    assert left["paging"]["count_items"] == 0


def test_created_and_deleted_entries_show_in_the_list(server: SandboxServer) -> None:
    new = {
        "customers_id": 201,
        "services_id": 51,
        "billable": 1,
        "time_since": "2026-10-05T08:00:00Z",
        "time_until": "2026-10-05T08:45:00Z",
    }
    with client(server) as api:
        count = api.get("/api/v2/entries", params=OCTOBER).json()["paging"]["count_items"]
        created = api.post("/api/v2/entries", json=new).json()["entry"]
        billed = api.post("/api/v2/entries", json={**new, "billable": 2})
        assert (
            api.get("/api/v2/entries", params=OCTOBER).json()["paging"]["count_items"] == count + 1
        )
        assert api.delete(f"/api/v2/entries/{created['id']}").json() == {"success": True}
        assert api.get("/api/v2/entries", params=OCTOBER).json()["paging"]["count_items"] == count
    assert created["duration"] == 2700 and created["hourly_rate"] == 95.0
    assert billed.status_code == 422


@pytest.mark.xdist_group("100k")
def test_a_hundred_thousand_entries_stay_fast(sandbox_100k: SandboxServer) -> None:
    with client(sandbox_100k) as api:
        started = time.perf_counter()
        first = api.get("/api/v2/entries", params={**OCTOBER, "enhanced_list": "true"})
        first_took = time.perf_counter() - started
        started = time.perf_counter()
        for page in (2, 3):
            api.get("/api/v2/entries", params={**OCTOBER, "enhanced_list": "true", "page": page})
        api.put(f"/api/v2/entries/{first.json()['entries'][0]['id']}", json={"billable": 2})
        api.get("/api/v2/entries", params={**OCTOBER, "filter[billable]": 1})
        rest_took = time.perf_counter() - started
    assert first.json()["paging"]["count_items"] > 30_000
    assert len(first.json()["entries"]) == 1000
    # Generous bounds for a loaded 2-core machine; typical here: 0.4 s and 0.3 s.
    assert first_took < 3 and rest_took < 2


# -- form-encoded bodies (issue 10, sandbox fidelity) ----------------------------------------------
def test_form_encoded_bodies_are_taken_like_json(server: SandboxServer) -> None:
    with client(server) as clockodo:
        created = clockodo.post(
            "/api/v2/entries",
            data={
                "customers_id": "201",
                "services_id": "51",
                "billable": "1",
                "time_since": "2026-11-02T08:00:00Z",
                "time_until": "2026-11-02T09:30:00Z",
                "text": "posted as a form",
                "hourly_rate": "95.5",
            },
        )
        assert created.status_code == 200, created.text
        entry = created.json()["entry"]
        assert (entry["text"], entry["duration"], entry["hourly_rate"]) == (
            "posted as a form",
            5400,
            95.5,
        )
        form_filter = {
            "time_since": "2026-11-02T00:00:00Z",
            "time_until": "2026-11-02T23:59:59Z",
            "filter[customers_id]": "201",
            "filter[billable]": "1",
            "billable": "2",
        }
        dry = clockodo.put("/api/v2/entrygroups", data=form_filter).json()
        done = clockodo.put(
            "/api/v2/entrygroups", data={**form_filter, "confirm_key": dry["confirm_key"]}
        ).json()
        marked = clockodo.get(f"/api/v2/entries/{entry['id']}").json()["entry"]
        bad = clockodo.put(
            f"/api/v2/entries/{entry['id']}",
            content=b"billable=%ZZ",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert dry["affected_entries"] >= 1 and done["edited_entries"] == dry["affected_entries"]
    assert marked["billable"] == 2
    assert bad.status_code in (400, 422)
