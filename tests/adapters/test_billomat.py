"""The Billomat adapter against the sandbox over loopback HTTP: quirks normalised, paging,
clear key-free errors, drafts created with exactly the planned items and totals, markers found
again, rate limits honoured, state kept across a sandbox restart."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from sandbox_support import FakeClock
from timebill.core.billomat.client import Billomat
from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    UnknownAccountError,
    ValidationError,
)
from timebill.core.http import RetryPolicy
from timebill.core.models import InvoiceLine, InvoicePlan, TaxTotal
from timebill.core.ratelimit import RateLimitWait, listen
from timebill.core.sandbox import SandboxServer

TODAY = dt.date(2026, 11, 28)  # as in conftest: the seed, and so every figure, stays fixed
MUELLER = "812301"
GRUENWALD = "812303"  # has one seeded draft
CENT = Decimal("0.01")


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY, services=("billomat",)) as srv:
        yield srv


def creds(server: SandboxServer) -> dict[str, str]:
    return server.credentials()["billomat"]


def billomat(server: SandboxServer, retry: RetryPolicy, **options: object) -> Billomat:
    c = creds(server)
    kwargs: dict[str, object] = {"base_url": c["base_url"], "retry": retry} | options
    return Billomat(c["billomat_id"], c["api_key"], **kwargs)  # type: ignore[arg-type]


def line(title: str, quantity: str, price: str, rate: str = "19", **extra: object) -> InvoiceLine:
    net = (Decimal(quantity) * Decimal(price)).quantize(CENT, rounding=ROUND_HALF_UP)
    return InvoiceLine(
        title=title,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        tax_rate=Decimal(rate),
        total_net=net,
        **extra,  # type: ignore[arg-type]
    )


def make_plan(marker: str, lines: list[InvoiceLine], client_id: str = MUELLER) -> InvoicePlan:
    """Totals by the documented rule: per-line nets rounded to cents, tax per rate on their sum."""
    by_rate: dict[Decimal, Decimal] = {}
    for item in lines:
        by_rate[item.tax_rate] = by_rate.get(item.tax_rate, Decimal(0)) + item.total_net
    taxes = tuple(
        TaxTotal(
            name="MwSt", rate=rate, net=net, amount=(net * rate / 100).quantize(CENT, ROUND_HALF_UP)
        )
        for rate, net in by_rate.items()
    )
    net = sum((item.total_net for item in lines), Decimal(0))
    return InvoicePlan(
        id=marker,
        marker=marker,
        source="mite",
        client_id=client_id,
        title="Rechnung Oktober 2026",
        service_start=dt.date(2026, 10, 1),
        service_end=dt.date(2026, 10, 31),
        lines=tuple(lines),
        entry_ids=(),
        total_net=net,
        taxes=taxes,
        total_gross=net + sum((t.amount for t in taxes), Decimal(0)),
    )


def odd_lines() -> list[InvoiceLine]:
    return [
        line("Softwareentwicklung", "7.25", "95", article_id="901", unit="Stunde"),
        line("Beratung", "1.3333", "120"),  # 159.996 -> 160.00
        line("Support", "0.0833", "75", description="Ticket #4711"),  # 6.2475 -> 6.25
        line("Fachbuch", "2", "19.95", rate="7", unit="Stück"),  # tax 2.793 -> 2.79
    ]


# -- account and errors -------------------------------------------------------------------------
async def test_verify_names_the_account(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    async with billomat(server, fast_retry) as b:
        account = await b.verify()
    assert account.name == "Agentur Nordlicht GmbH"
    assert account.service == "billomat"
    assert account.id == "nordlicht"


async def test_wrong_key_is_refused_without_showing_it(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    wrong = "bm-wrong-key-0f0f0f0f"
    async with Billomat(
        "nordlicht", wrong, base_url=creds(server)["base_url"], retry=fast_retry
    ) as b:
        with pytest.raises(AuthenticationError) as caught:
            await b.verify()
    message = str(caught.value)
    assert "API key" in message and "401" in message
    assert wrong not in message and wrong not in repr(b)


async def test_unknown_billomat_id_says_so(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    template = f"{server.url}/billomat/{{billomat_id}}"
    key = creds(server)["api_key"]
    async with Billomat("nordlicht", key, base_url=template, retry=fast_retry) as b:
        assert (await b.verify()).name == "Agentur Nordlicht GmbH"
    async with Billomat("nordlict", key, base_url=template, retry=fast_retry) as b:
        with pytest.raises(UnknownAccountError) as caught:
            await b.verify()
    assert "Billomat ID 'nordlict' does not exist" in str(caught.value)
    assert key not in str(caught.value)


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("https://nordlicht.billomat.net", "'nordlicht'"),
        ("nordlicht/api", "no https://"),
        ("  ", "missing"),
    ],
)
def test_billomat_id_must_be_bare(given: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Billomat(given, "some-key-1234")
    assert hint in str(caught.value)


def test_missing_key_or_half_an_app_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="API key is missing"):
        Billomat("nordlicht", "")
    with pytest.raises(ConfigError, match="app_id and app_secret"):
        Billomat("nordlicht", "some-key-1234", app_id="timebill")


async def test_unknown_invoice_is_not_found_and_bad_input_is_explained(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    key = creds(server)["api_key"]
    async with billomat(server, fast_retry) as b:
        with pytest.raises(NotFoundError) as missing:
            await b.invoice("999")
        assert not isinstance(missing.value, UnknownAccountError)
        assert "999" in str(missing.value)
        with pytest.raises(ValidationError) as invalid:
            await b.create_draft(make_plan("tb-x", odd_lines(), client_id="424242"))
    assert "client_id" in str(invalid.value)
    assert key not in str(missing.value) + str(invalid.value)


# -- master data and quirks ---------------------------------------------------------------------
async def test_clients_are_normalised(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    async with billomat(server, fast_retry) as b:
        clients = {c.name: c for c in await b.clients()}
    assert len(clients) == 8
    assert "Hoefer Logistik AG" in clients and "Höfer Logistik AG" not in clients
    assert not any("Brückner" in name for name in clients)
    assert clients["Alpenblick Tourismus AG"].currency_code == "CHF"
    # "" (the account default) becomes None, "0" becomes False.
    assert clients["Müller & Söhne GmbH"].currency_code is None
    assert clients["Müller & Söhne GmbH"].archived is False
    assert clients["Müller & Söhne GmbH"].id == MUELLER


async def test_paging_reads_every_page_even_one_object_pages(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    async with billomat(server, fast_retry) as b:
        everything = await b.clients()
    server.reset_counts()
    # per_page=1: every page holds an object instead of a list.
    async with billomat(server, fast_retry, page_size=1) as b:
        one_by_one = await b.clients()
    assert one_by_one == everything
    assert server.count("billomat", "GET", "/api/clients") == len(everything)
    server.reset_counts()
    async with billomat(server, fast_retry, page_size=3) as b:
        assert await b.clients() == everything
    assert server.count("billomat", "GET", "/api/clients") == 3


async def test_articles_carry_unit_name_and_tax_rate(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    async with billomat(server, fast_retry) as b:
        articles = {a.article_number: a for a in await b.articles()}
        taxes = await b.taxes()
        units = [u.name for u in await b.units()]
    dev = articles["ART-101"]
    assert (dev.title, dev.unit_name, dev.tax_rate, dev.sales_price) == (
        "Softwareentwicklung",
        "Stunde",
        Decimal("19"),
        Decimal("95"),
    )
    assert articles["ART-202"].sales_price == Decimal("19.9")
    assert articles["ART-202"].unit_name == "Stück"
    assert "ART-104" not in articles  # Projektmanagement has no article
    default = [t for t in taxes if t.is_default]
    assert [(t.name, t.rate) for t in default] == [("MwSt", Decimal("19"))]
    assert sorted(t.rate for t in taxes) == [Decimal(0), Decimal(7), Decimal(19)]
    assert units == ["Stunde", "Stück", "Monat", "Pauschale"]


async def test_drafts_one_none_and_filtered(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    async with billomat(server, fast_retry) as b:
        assert await b.drafts(MUELLER) == []  # empty list: inner key absent
        (seeded,) = await b.drafts(GRUENWALD)  # one element: an object
        everything = await b.drafts()
    assert seeded.status == "DRAFT" and seeded.client_id == GRUENWALD
    assert seeded.total_net == Decimal("360") and seeded.total_gross == Decimal("428.4")
    assert [d.id for d in everything] == [seeded.id]


# -- drafts -------------------------------------------------------------------------------------
async def test_create_draft_holds_exactly_the_plan(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    plan = make_plan("tb-plan-0001", odd_lines())
    assert plan.total_net == Decimal("894.90") and plan.total_gross == Decimal("1060.14")
    server.reset_counts()
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(plan)
        items = await b.invoice_items(draft.id)
    assert server.count("billomat", "POST", "/api/invoices") == 1
    # The marker is written the documented way, PUT /invoices/{id}/customfield (the sandbox,
    # like an account whose create ignores it, does not take it from the create body).
    assert server.count("billomat", "PUT") == 1
    assert server.count("billomat", "PUT", f"/api/invoices/{draft.id}/customfield") == 1
    assert draft.status == "DRAFT" and draft.client_id == MUELLER
    assert draft.customfield == "tb-plan-0001"
    assert draft.item_count == 4
    assert draft.total_net == plan.total_net and draft.total_gross == plan.total_gross
    assert draft.supply_date == "01.10.2026 – 31.10.2026"
    assert [(i.position, i.title, i.quantity, i.unit_price, i.tax_rate) for i in items] == [
        (n, p.title, p.quantity, p.unit_price, p.tax_rate) for n, p in enumerate(plan.lines, 1)
    ]
    assert [i.total_net for i in items] == [p.total_net for p in plan.lines]
    assert items[0].article_id == "901" and items[2].description == "Ticket #4711"
    stored = next(i for i in server.billomat.invoices() if i["id"] == draft.id)
    assert len(stored["items"]) == 4
    assert (
        stored["title"] == "Rechnung Oktober 2026" and stored["supply_date_type"] == "SUPPLY_TEXT"
    )


async def test_marker_is_set_afterwards_when_create_ignores_it(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    assert server.billomat.book.customfield_on_create is False  # the sandbox's default
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(make_plan("tb-plan-late", odd_lines()[:1]))
        assert draft.customfield == "tb-plan-late"
        found = await b.find_by_marker("tb-plan-late")
        assert found == draft.model_copy(update={"item_count": None})
        await b.add_items(draft.id, odd_lines()[1:3], markers=["late#1", "late#2"])
        items = await b.invoice_items(draft.id)
    assert [i.customfield for i in items] == ["", "late#1", "late#2"]
    assert server.count("billomat", "PUT", "/customfield") == 3


async def test_no_put_where_the_create_took_the_marker(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    server.billomat.book.customfield_on_create = True
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(make_plan("tb-plan-early", odd_lines()[:1]))
    assert draft.customfield == "tb-plan-early"
    assert server.count("billomat", "PUT", "/customfield") == 0


async def test_a_new_draft_has_no_date_until_it_is_completed(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(make_plan("tb-plan-undated", odd_lines()[:1]))
        again = await b.invoice(draft.id)
    assert draft.date is None and again.date is None
    stored = next(i for i in server.billomat.invoices() if i["id"] == draft.id)
    assert (stored["date"], stored["due_date"], stored["due_days"]) == ("", "", "14")


async def test_marker_is_found_exactly(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    async with billomat(server, fast_retry) as b:
        first = await b.create_draft(make_plan("tb-plan-1", odd_lines()[:1]))
        second = await b.create_draft(make_plan("tb-plan-10", odd_lines()[:2]))
        found = await b.find_by_marker("tb-plan-1")
        assert found is not None and found.id == first.id
        assert (await b.find_by_marker("tb-plan-10", client_id=MUELLER)).id == second.id  # type: ignore[union-attr]
        assert await b.find_by_marker("tb-plan") is None
        assert await b.find_by_marker("TB-PLAN-1") is None
        assert await b.find_by_marker("tb-plan-1", client_id=GRUENWALD) is None
        # Any status: a completed invoice still holds its marker.
        await complete(server, first.id)
        found = await b.find_by_marker("tb-plan-1")
    assert found is not None and found.id == first.id and found.status == "OPEN"


async def test_add_items_keeps_the_earlier_ones(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    lines = odd_lines()
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(make_plan("tb-plan-add", lines[:1]))
        added = await b.add_items(draft.id, lines[1:], markers=["m#1", "m#2", "m#3"])
        items = await b.invoice_items(draft.id)
        after = await b.invoice(draft.id)
    assert [i.position for i in added] == [2, 3, 4]
    assert [i.title for i in items] == [p.title for p in lines]
    assert [i.customfield for i in items] == ["", "m#1", "m#2", "m#3"]
    whole = make_plan("tb-plan-add", lines)
    assert after.total_net == whole.total_net and after.total_gross == whole.total_gross


async def test_items_on_a_completed_invoice_are_refused(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(make_plan("tb-plan-done", odd_lines()[:1]))
        await complete(server, draft.id)
        with pytest.raises(ConflictError) as caught:
            await b.add_items(draft.id, odd_lines()[1:])
        assert len(await b.invoice_items(draft.id)) == 1
        with pytest.raises(ConflictError, match="only drafts can be deleted"):
            await b.delete_invoice(draft.id)
    assert "not a draft" in str(caught.value) and "RE198" in str(caught.value)


async def test_delete_draft(server: SandboxServer, fast_retry: RetryPolicy) -> None:
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(make_plan("tb-plan-del", odd_lines()[:2]))
        await b.delete_invoice(draft.id)
        assert await b.find_by_marker("tb-plan-del") is None
        with pytest.raises(NotFoundError):
            await b.invoice(draft.id)
    assert all(i["id"] != draft.id for i in server.billomat.invoices())


# -- failures -----------------------------------------------------------------------------------
async def test_rate_limit_reset_is_waited_for(
    server: SandboxServer, fast_retry: RetryPolicy, sleeps: object
) -> None:
    server.faults.add("rate_limit", service="billomat", path="/api/clients", retry_after=30)
    async with billomat(server, fast_retry) as b:
        assert len(await b.clients()) == 8
    # Waited out in one-second steps (the countdown the CLI and the app show).
    assert 30 <= sum(sleeps.waits) <= 30.2  # type: ignore[attr-defined]
    assert server.count("billomat", "GET", "/api/clients") == 2


async def test_used_up_quota_is_a_rate_limit_error(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    server.billomat.quota = 2
    now = time.time()
    server.billomat.clock = lambda: now  # no window boundary can pass during the test
    async with billomat(server, fast_retry) as b:
        await b.verify()
        await b.verify()
        with pytest.raises(RateLimitedError) as caught:
            await b.verify()
    assert "try again" in str(caught.value).lower()


async def test_a_create_that_broke_off_is_not_sent_again(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    server.faults.add("drop", service="billomat", method="POST", path="/api/invoices")
    async with billomat(server, fast_retry) as b:
        with pytest.raises(NetworkError) as caught:
            await b.create_draft(make_plan("tb-plan-drop", odd_lines()[:1]))
        assert caught.value.outcome_unknown
        assert await b.find_by_marker("tb-plan-drop") is None
    assert server.count("billomat", "POST", "/api/invoices") == 1


async def test_drafts_survive_a_sandbox_restart(tmp_path: Path, fast_retry: RetryPolicy) -> None:
    state = str(tmp_path / "state.jsonl")
    with SandboxServer(today=TODAY, services=("billomat",), state=state) as first:
        async with billomat(first, fast_retry) as b:
            kept = await b.create_draft(make_plan("tb-plan-kept", odd_lines()))
            gone = await b.create_draft(make_plan("tb-plan-gone", odd_lines()[:1]))
            await b.delete_invoice(gone.id)
    with SandboxServer(today=TODAY, services=("billomat",), state=state) as second:
        async with billomat(second, fast_retry) as b:
            found = await b.find_by_marker("tb-plan-kept")
            assert found is not None and found.total_gross == kept.total_gross
            assert len(await b.invoice_items(kept.id)) == 4
            fresh = await b.create_draft(make_plan("tb-plan-new", odd_lines()[:1]))
    # A deleted draft's id is not handed out again.
    assert fresh.id not in (kept.id, gone.id)


async def complete(server: SandboxServer, invoice_id: str) -> None:
    c = creds(server)
    async with httpx.AsyncClient() as http:
        response = await http.put(
            f"{c['base_url']}/api/invoices/{invoice_id}/complete",
            json={"complete": {}},
            headers={"X-BillomatApiKey": c["api_key"], "Accept": "application/json"},
        )
    assert response.status_code == 200


# -- waiting for the rate-limit window (issue 10, item 6) ------------------------------------------
WINDOW = 900


def clock_before_reset(seconds: float) -> FakeClock:
    """A fake clock `seconds` before the end of a quarter-hour window (Billomat's windows)."""
    start = (int(time.time()) // WINDOW + 2) * WINDOW
    return FakeClock(start - seconds)


def two_a_window(server: SandboxServer, clock: FakeClock) -> None:
    server.billomat.clock = clock.now
    server.billomat.quota = 2
    server.billomat.reset_quota()


def other_integration_uses_the_rest(server: SandboxServer) -> None:
    """The window is shared with every integration of the account (§2): another one takes the
    last request, so timebill's next one is refused without warning."""
    c = creds(server)
    answer = httpx.get(
        f"{c['base_url']}/api/clients/myself", headers={"X-BillomatApiKey": c["api_key"]}
    )
    assert answer.headers["X-Rate-Limit-Remaining"] == "0"


async def test_429_waits_for_the_next_window_with_a_countdown(server: SandboxServer) -> None:
    clock = clock_before_reset(462)
    two_a_window(server, clock)
    events: list[RateLimitWait] = []
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.now)
    with listen(events.append):
        async with billomat(server, policy) as b:
            await b.verify()
            other_integration_uses_the_rest(server)
            await b.verify()  # refused, then waited for and sent again
    opens = dt.datetime.fromtimestamp(clock.time).strftime("%H:%M:%S")
    assert events[0].text() == (
        f"Billomat rate limit: waiting 7:42 until {opens} (Ctrl+C cancels, nothing is lost)"
    )
    # One update a second, counting down, then "done".
    lefts = [round(e.left) for e in events if e.state == "waiting"]
    assert lefts[:3] == [462, 461, 460] and lefts[-1] <= 1 and len(lefts) in (462, 463)
    assert events[-1].state == "done"
    assert 462 <= sum(clock.slept) <= 462.2
    assert server.count("billomat") == 4


async def test_a_window_beyond_the_ceiling_stops_at_once_naming_the_setting(
    server: SandboxServer,
) -> None:
    clock = clock_before_reset(600)
    two_a_window(server, clock)
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.now)
    async with billomat(server, policy, max_rate_limit_wait=300) as b:
        await b.verify()
        other_integration_uses_the_rest(server)
        with pytest.raises(RateLimitedError) as caught:
            await b.verify()
    assert clock.slept == []
    message = str(caught.value)
    assert "Try again in 600 s" in message or "Try again in 601 s" in message
    assert "longer than timebill waits (300 s; billomat.max_rate_limit_wait raises that)" in message
    assert server.count("billomat") == 3


async def test_cancelling_the_wait_before_a_create_sends_nothing(server: SandboxServer) -> None:
    clock = clock_before_reset(462)
    clock.cancel_after = 3  # Ctrl+C after three seconds of the countdown
    two_a_window(server, clock)
    events: list[RateLimitWait] = []
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.now)
    with listen(events.append):
        async with billomat(server, policy) as b:
            await b.verify()
            other_integration_uses_the_rest(server)
            with pytest.raises(asyncio.CancelledError):
                await b.create_draft(make_plan("tb-plan-429", odd_lines()[:1]))
    assert events[-1].state == "cancelled"
    assert events[-1].text() == "Billomat rate limit: wait cancelled; nothing was sent."
    # The refused POST is the only one: no draft exists, nothing to find or clean up.
    assert server.count("billomat", "POST", "/api/invoices") == 1
    assert all(i["customfield"] != "tb-plan-429" for i in server.billomat.invoices())


# -- issue 10: prices, tax rules, appending ------------------------------------------------------
async def test_clients_carry_their_price_setting_and_tax_rule(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    async with billomat(server, fast_retry) as b:
        assert await b.account_prices() == "NET"
        clients = {c.id: c for c in await b.clients()}
        assert (clients["812302"].net_gross, clients["812302"].net_gross_from) == (
            "GROSS",
            "client",
        )
        assert (clients[MUELLER].net_gross, clients[MUELLER].net_gross_from) == ("NET", "account")
        swiss = clients["812309"]
        assert (swiss.tax_rule, swiss.country_code, swiss.vat_number) == ("COUNTRY", "CH", None)
        # The account switched to gross prices: every client on SETTINGS follows.
        c = creds(server)
        httpx.put(
            f"{c['base_url']}/api/settings",
            headers={"X-BillomatApiKey": c["api_key"]},
            json={"settings": {"net_gross": "GROSS"}},
        ).raise_for_status()
        assert await b.account_prices() == "GROSS"
        again = {c.id: c for c in await b.clients()}
        assert again[MUELLER].net_gross == "GROSS" and again["812302"].net_gross == "GROSS"


async def test_a_gross_draft_gets_gross_prices_and_a_reverse_charge_note_added(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    plan = make_plan("tb-plan-gross", [line("Beratung", "2", "95")]).model_copy(
        update={"net_gross": "GROSS", "tax_note": "Reverse Charge"}
    )
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(plan)
        [item] = await b.invoice_items(draft.id)
        after = await b.invoice(draft.id)
    assert (draft.net_gross, item.unit_price) == ("GROSS", Decimal("113.05"))
    assert (after.total_gross, after.total_net) == (Decimal("226.1"), Decimal("190"))
    # Added after the account's payment terms, not in their place.
    terms, note = after.note.split("\n\n")
    assert "[Invoice.due_date]" in terms and note == "Reverse Charge"


async def test_appending_widens_the_period_and_adds_the_note_once(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    november = make_plan("tb-plan-nov", [line("Beratung", "1", "95")]).model_copy(
        update={"service_start": dt.date(2026, 11, 3), "service_end": dt.date(2026, 11, 30)}
    )
    december = [line("Beratung", "2", "95")]
    async with billomat(server, fast_retry) as b:
        draft = await b.create_draft(november)
        assert draft.supply_date == "03.11.2026 – 30.11.2026"
        _, before, after = await b.draft_totals(draft.id, december)
        await b.add_items(
            draft.id,
            december,
            period=(dt.date(2026, 12, 1), dt.date(2026, 12, 12)),
            note="Reverse Charge",
        )
        await b.add_items(
            draft.id, december[:0] + december, period=(dt.date(2026, 11, 5), dt.date(2026, 11, 6))
        )
        now = await b.invoice(draft.id)
    assert now.supply_date == "03.11.2026 – 12.12.2026"
    assert now.note.count("Reverse Charge") == 1
    assert (before.net, after.net) == (Decimal("95.00"), Decimal("285.00"))
    assert now.total_net == after.net + Decimal("190")  # the second append added two hours more


def test_the_period_a_draft_states_is_read_and_widened() -> None:
    from timebill.core.billomat import wire

    d = dt.date
    assert wire.read_period("2026-11-03") == (d(2026, 11, 3), d(2026, 11, 3))
    assert wire.read_period("03.11.2026 – 30.11.2026") == (d(2026, 11, 3), d(2026, 11, 30))
    assert wire.read_period("") is None and wire.read_period("November") is None
    assert wire.widened_period("", d(2026, 12, 1), d(2026, 12, 5)) == (
        d(2026, 12, 1),
        d(2026, 12, 5),
    )
    assert wire.widened_period("03.11.2026 – 30.11.2026", d(2026, 12, 1), d(2026, 12, 5)) == (
        d(2026, 11, 3),
        d(2026, 12, 5),
    )


async def test_settings_a_user_may_not_read_leave_prices_net(
    server: SandboxServer, fast_retry: RetryPolicy
) -> None:
    """Every invoice says its net_gross and sends prices that match, so NET is still billed
    right when the key's user may not read the account's settings."""
    server.faults.add("status", service="billomat", path="/settings", status=403, count=None)
    async with billomat(server, fast_retry) as b:
        assert await b.account_prices() == "NET"
        clients = {c.id: c for c in await b.clients()}
    assert clients["812302"].net_gross == "GROSS" and clients[MUELLER].net_gross == "NET"
