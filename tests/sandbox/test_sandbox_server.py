"""The sandbox as a whole: state kept across restarts (`--state FILE`), faults set over HTTP the
way a test driving `timebill sandbox` in another process sets them, request counts, and a
100,000-entry world the adapters can page through."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from timebill.core.billomat.client import Billomat
from timebill.core.errors import RateLimitedError
from timebill.core.http import RetryPolicy
from timebill.core.models import InvoiceLine, InvoicePlan, TaxTotal
from timebill.core.sandbox import SandboxServer
from timebill.core.sources.clockodo import ClockodoSource
from timebill.core.sources.mite import MiteSource

TODAY = dt.date(2026, 11, 28)
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def mite(server: SandboxServer, retry: RetryPolicy, **options: Any) -> MiteSource:
    c = server.credentials()["mite"]
    return MiteSource(c["account"], c["api_key"], base_url=c["base_url"], retry=retry, **options)


def clockodo(server: SandboxServer, retry: RetryPolicy, **options: Any) -> ClockodoSource:
    c = server.credentials()["clockodo"]
    return ClockodoSource(c["email"], c["api_key"], base_url=c["base_url"], retry=retry, **options)


def billomat(server: SandboxServer, retry: RetryPolicy) -> Billomat:
    c = server.credentials()["billomat"]
    return Billomat(c["billomat_id"], c["api_key"], base_url=c["base_url"], retry=retry)


def one_line_plan(client_id: str, marker: str) -> InvoicePlan:
    line = InvoiceLine(
        title="Beratung",
        quantity=Decimal("2"),
        unit_price=Decimal("120"),
        tax_rate=Decimal("19"),
        total_net=Decimal("240.00"),
    )
    tax = TaxTotal(name="MwSt", rate=Decimal("19"), net=Decimal("240.00"), amount=Decimal("45.60"))
    return InvoicePlan(
        id=marker,
        marker=marker,
        source="mite",
        client_id=client_id,
        title="Rechnung Oktober 2026",
        service_start=OCTOBER[0],
        service_end=OCTOBER[1],
        lines=(line,),
        entry_ids=(),
        total_net=Decimal("240.00"),
        taxes=(tax,),
        total_gross=Decimal("285.60"),
    )


async def test_state_file_keeps_changes_across_a_restart(
    tmp_path: Path, fast_retry: RetryPolicy
) -> None:
    state = tmp_path / "sandbox-state.jsonl"
    with SandboxServer(today=TODAY, state=str(state)) as first:
        async with mite(first, fast_retry) as m:
            mite_id = (await m.entries(*OCTOBER, billed=False))[0].id
            assert (await m.mark_billed([mite_id])).succeeded == (mite_id,)
        async with clockodo(first, fast_retry) as c:
            clockodo_id = (await c.entries(*OCTOBER, billed=False))[0].id
            assert (await c.mark_billed([clockodo_id])).succeeded == (clockodo_id,)
        async with billomat(first, fast_retry) as b:
            client = (await b.clients())[0]
            draft = await b.create_draft(one_line_plan(client.id, "tb-restart-1"))

    # Started again without `today`: the state file's seed parameters (and so its today) win.
    with SandboxServer(state=str(state)) as second:
        assert second.world.today == TODAY
        async with mite(second, fast_retry) as m:
            billed = {e.id: e.billed for e in await m.entries(*OCTOBER)}
        async with clockodo(second, fast_retry) as c:
            billed |= {e.id: e.billed for e in await c.entries(*OCTOBER)}
        async with billomat(second, fast_retry) as b:
            found = await b.find_by_marker("tb-restart-1")
            drafts = await b.drafts(client.id)
    assert billed[mite_id] is True and billed[clockodo_id] is True
    assert found is not None and found.id == draft.id and found.status == "DRAFT"
    assert found.total_gross == Decimal("285.60")
    assert draft.id in {d.id for d in drafts}


async def test_faults_set_over_http_take_effect(fast_retry: RetryPolicy, sleeps: Any) -> None:
    with SandboxServer(today=TODAY, services=("mite", "billomat")) as server:
        control = f"{server.url}/_sandbox/faults"
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                control,
                json={
                    "rules": [
                        {"kind": "status", "status": 503, "service": "mite", "count": 2},
                        {"kind": "rate_limit", "service": "billomat", "retry_after": 3, "count": 2},
                    ]
                },
            )
            assert answer.status_code == 200
            assert [r["kind"] for r in answer.json()["rules"]] == ["status", "rate_limit"]
            refused = await http.post(control, json={"rules": [{"kind": "meteor"}]})
            assert refused.status_code == 400 and "unknown fault kind" in refused.json()["error"]

            # Two 503s, then mite answers: the adapter retries through them.
            async with mite(server, fast_retry) as m:
                account = await m.verify()
            assert account.name == "Agentur Nordlicht GmbH"
            assert len(sleeps.waits) == 2
            assert server.count("mite", "GET", "/account.json") == 3

            # The 429 carries the headers the rule asked for, and is honoured.
            limited = await http.get(
                f"{server.url}/billomat/api/clients",
                headers={"X-BillomatApiKey": server.credentials()["billomat"]["api_key"]},
            )
            assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
            assert int(limited.headers["X-Rate-Limit-Reset"]) >= int(time.time())
            async with billomat(server, fast_retry) as b:
                sleeps.waits.clear()
                assert (await b.verify()).name == "Agentur Nordlicht GmbH"
            assert (
                len(sleeps.waits) == 1 and 3.0 <= sleeps.waits[0] < 4.5
            )  # Retry-After, or the reset

            # Every rule of a kind for every request: retries run out with a typed error.
            await http.post(
                control, json={"rules": [{"kind": "rate_limit", "service": "mite", "count": None}]}
            )
            with pytest.raises(RateLimitedError):
                async with mite(server, fast_retry) as m:
                    await m.customers()
            assert (await http.delete(control)).json() == {"ok": True}
            assert (await http.get(control)).json()["rules"] == []
            async with mite(server, fast_retry) as m:
                assert await m.customers()


async def test_request_counts_over_http(fast_retry: RetryPolicy) -> None:
    with SandboxServer(today=TODAY, services=("mite",)) as server:
        counts = f"{server.url}/_sandbox/requests"
        async with httpx.AsyncClient() as http:
            assert (await http.get(counts)).json() == {"total": 0, "requests": []}
            async with mite(server, fast_retry, page_size=50) as m:
                entries = await m.entries(*OCTOBER)
                sent = m.requests_sent
            assert len(entries) > 100 and sent > 2  # several pages
            report = (await http.get(counts)).json()
            assert report["total"] == sent == server.count()
            assert {(r["service"], r["method"], r["path"]) for r in report["requests"]} == {
                ("mite", "GET", "/time_entries.json")
            }
            # Control requests are not counted; DELETE starts again from zero.
            assert (await http.get(counts)).json()["total"] == sent
            assert (await http.delete(counts)).json() == {"ok": True}
            assert (await http.get(counts)).json()["total"] == 0


@pytest.mark.xdist_group("100k")
async def test_a_hundred_thousand_entries_page_quickly(sandbox_100k: SandboxServer) -> None:
    server = sandbox_100k
    started = time.monotonic()
    world = server.world
    async with mite(server, RetryPolicy(attempts=1)) as m:
        mite_entries = await m.entries(*OCTOBER)
        mite_pages = m.requests_sent
    async with clockodo(server, RetryPolicy(attempts=1)) as c:
        clockodo_entries = await c.entries(*OCTOBER)
    in_october = [e for e in world.entries if OCTOBER[0] <= e.date <= OCTOBER[1]]
    assert sum(1 for e in world.entries if e.kind == "time") == 100_000
    # Every entry of the month read exactly once (mite has no lump sums).
    assert len(mite_entries) == sum(1 for e in in_october if e.kind == "time") > 30_000
    assert len(clockodo_entries) == len(in_october)
    assert len({e.id for e in mite_entries}) == len(mite_entries)
    assert len({e.id for e in clockodo_entries}) == len(clockodo_entries)
    assert mite_pages > 30  # it did page (1,000 entries a page)
    assert time.monotonic() - started < 60
