"""The Billomat emulator on the wire: the envelopes, quirks, rules and errors of
shared/api/billomat.md, as a client sees them over loopback HTTP."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from timebill.core.sandbox import SandboxServer

TODAY = dt.date(2026, 11, 28)
MUELLER = "812301"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY, services=("billomat",)) as srv:
        yield srv


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    c = server.credentials()["billomat"]
    headers = {"X-BillomatApiKey": c["api_key"], "Accept": "application/json"}
    with httpx.Client(base_url=f"{c['base_url']}/api", headers=headers) as client:
        yield client


def scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for inner in value.values():
            yield from scalars(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from scalars(inner)
    else:
        yield value


def new_invoice(api: httpx.Client, items: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "invoice": {"client_id": int(MUELLER), **fields, "invoice-items": {"invoice-item": items}}
    }
    response = api.post("/invoices", json=body)
    assert response.status_code == 201, response.text
    return response.json()["invoice"]


# -- envelopes and quirks ------------------------------------------------------------------------
def test_lists_follow_billomats_json_quirks(api: httpx.Client) -> None:
    many = api.get("/clients").json()["clients"]
    assert isinstance(many["client"], list) and many["@total"] == "8" and many["@per_page"] == "100"
    one = api.get("/clients", params={"name": "HOEFER"}).json()["clients"]
    assert isinstance(one["client"], dict) and one["client"]["name"] == "Hoefer Logistik AG"
    none = api.get("/clients", params={"name": "Brückner"}).json()["clients"]
    assert "client" not in none and none["@total"] == "0"
    assert all(isinstance(v, str) for v in scalars(many))
    tax = api.get("/taxes/55").json()
    assert tax == {
        "tax": {"id": "55", "name": "MwSt", "rate": "19", "is_default": "1", "customfield": ""}
    }


def test_paging_and_head(api: httpx.Client) -> None:
    page = api.get("/clients", params={"per_page": 3, "page": 3}).json()["clients"]
    assert len(page["client"]) == 2 and page["@page"] == "3" and page["@per_page"] == "3"
    assert api.get("/clients", params={"per_page": 5000}).json()["clients"]["@per_page"] == "1000"
    head = api.head("/clients", params={"name": "gmbh"})
    assert head.status_code == 200 and head.headers["X-Total-Count"] == "2" and head.content == b""


def test_filters(api: httpx.Client) -> None:
    def total(path: str, **params: Any) -> int:
        body = api.get(path, params=params).json()
        return int(next(iter(body.values()))["@total"])

    assert total("/clients", client_number="KD21") == 1
    assert total("/articles", title="beratung") == 1
    assert total("/articles", article_number="ART-10") == 4
    assert total("/invoices", status="DRAFT,PAID") == 2
    assert total("/invoices", status="OVERDUE") == 1
    assert total("/invoices", client_id=MUELLER) == 1
    assert total("/invoices", **{"from": "2026-11-01", "to": "2026-11-30"}) == 1
    assert total("/units", name="st") == 2  # Stunde, Stück


def test_account_segment_auth_and_rate_headers(server: SandboxServer, api: httpx.Client) -> None:
    c = server.credentials()["billomat"]
    key = c["api_key"]
    named = httpx.get(f"{c['base_url']}/nordlicht/api/clients/myself", params={"api_key": key})
    assert named.json()["client"]["name"] == "Agentur Nordlicht GmbH"
    unknown = httpx.get(
        f"{c['base_url']}/nordlicht2/api/clients", headers={"X-BillomatApiKey": key}
    )
    assert unknown.status_code == 404 and "account not found" in unknown.text
    refused = httpx.get(f"{c['base_url']}/api/clients")
    assert refused.status_code == 401 and refused.json()["errors"]["error"]
    for response in (api.get("/clients"), api.get("/invoices/1"), refused):
        reset = int(response.headers["X-Rate-Limit-Reset"])
        assert reset % 900 == 0 and 0 < reset - dt.datetime.now(dt.UTC).timestamp() <= 900
        assert int(response.headers["X-Rate-Limit-Remaining"]) > 0


def test_quota_per_fixed_window(server: SandboxServer, api: httpx.Client) -> None:
    server.billomat.quota = 3
    now = time.time()
    server.billomat.clock = lambda: now
    remaining = [api.get("/units").headers["X-Rate-Limit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = api.get("/units")
    assert refused.status_code == 429
    assert refused.json()["errors"]["error"].startswith(
        "Maximum number of requests (3 per 15 minutes)"
    )
    # A registered app counts against its own quota.
    app = api.get("/units", headers={"X-AppId": "timebill", "X-AppSecret": "s3cret-app"})
    assert app.status_code == 200
    server.billomat.clock = lambda: now + 900
    assert api.get("/units").status_code == 200  # the next window starts afresh


# -- invoices ------------------------------------------------------------------------------------
def test_create_invoice_computes_totals_per_line_then_per_rate(api: httpx.Client) -> None:
    invoice = new_invoice(
        api,
        [
            {"article_id": 901, "quantity": 1.333},  # 126.635 -> 126.64, copies the article
            {"title": "Rabattiert", "quantity": "5.2", "unit_price": 10, "reduction": "10"},
            {
                "title": "Buch",
                "quantity": 2,
                "unit_price": "19.95",
                "tax_name": "MwSt",
                "tax_rate": 7,
            },
        ],
        customfield="tb-1",
        supply_date="01.10.2026 – 31.10.2026",
    )
    assert (
        invoice["status"] == "DRAFT"
        and invoice["number"] == ""
        and invoice["invoice_number"] == "RE198"
    )
    # The create body's customfield is not taken (module doc): PUT /{id}/customfield sets it.
    assert invoice["customfield"] == "" and invoice["supply_date_type"] == "SUPPLY_TEXT"
    assert "invoice-items" not in invoice
    # 19%: 126.64 + 42 = 168.64 -> tax 32.0416 -> 32.04; 7%: 39.9 -> 2.793 -> 2.79
    assert (invoice["total_net"], invoice["total_gross"]) == ("208.54", "243.37")
    assert [(t["rate"], t["amount"]) for t in invoice["taxes"]["tax"]] == [
        ("19", "32.04"),
        ("7", "2.79"),
    ]
    items = api.get("/invoice-items", params={"invoice_id": invoice["id"]}).json()["invoice-items"][
        "invoice-item"
    ]
    first = items[0]
    assert (first["title"], first["unit"], first["unit_price"], first["tax_rate"]) == (
        "Softwareentwicklung",
        "Stunde",
        "95",
        "19",
    )
    assert (items[1]["total_net"], items[1]["total_gross"], items[1]["total_net_unreduced"]) == (
        "42",
        "49.98",
        "52",
    )
    assert api.get(f"/invoices/{invoice['id']}").json()["invoice"] == invoice
    marked = api.put(
        f"/invoices/{invoice['id']}/customfield", json={"invoice": {"customfield": "tb-1"}}
    )
    assert marked.json() == {"invoice": {"customfield": "tb-1"}}
    assert api.get(f"/invoices/{invoice['id']}/customfield").json() == marked.json()


def test_single_item_and_single_rate_are_objects(api: httpx.Client) -> None:
    invoice = new_invoice(api, {"title": "Pauschale", "quantity": 1, "unit_price": 100})
    assert invoice["taxes"]["tax"]["amount"] == "19" and invoice["total_gross"] == "119"
    items = api.get("/invoice-items", params={"invoice_id": invoice["id"]}).json()["invoice-items"]
    assert isinstance(items["invoice-item"], dict) and items["invoice-item"]["position"] == "1"
    empty = new_invoice(api, [])
    assert empty["taxes"] == {} and empty["total_gross"] == "0"
    listed = api.get("/invoice-items", params={"invoice_id": empty["id"]}).json()["invoice-items"]
    assert "invoice-item" not in listed


def test_items_append_on_drafts_only(server: SandboxServer, api: httpx.Client) -> None:
    invoice = new_invoice(api, [{"title": "A", "quantity": 1, "unit_price": 10}])
    item = {"invoice_id": invoice["id"], "title": "B", "quantity": 2, "unit_price": 5}
    added = api.post("/invoice-items", json={"invoice-item": item})
    assert added.status_code == 201 and added.json()["invoice-item"]["position"] == "2"
    item_id = added.json()["invoice-item"]["id"]
    assert api.get(f"/invoices/{invoice['id']}").json()["invoice"]["total_net"] == "20"
    changed = api.put(f"/invoice-items/{item_id}", json={"invoice-item": {"quantity": 3}})
    assert (
        changed.json()["invoice-item"]["total_net"] == "15"
        and changed.json()["invoice-item"]["title"] == "B"
    )
    assert api.get(f"/invoices/{invoice['id']}").json()["invoice"]["total_net"] == "25"
    assert api.put(f"/invoices/{invoice['id']}/complete", json={"complete": {}}).status_code == 200
    done = api.get(f"/invoices/{invoice['id']}").json()["invoice"]
    assert (
        done["status"] == "OPEN" and done["invoice_number"] == "RE198" and done["number"] == "198"
    )
    # Completing dates the invoice: today, due after the draft's due_days.
    assert (done["date"], done["due_date"]) == ("2026-11-28", "2026-12-12")
    refused = api.post(
        "/invoice-items", json={"invoice-item": {"invoice_id": invoice["id"], "title": "C"}}
    )
    assert refused.status_code == 400 and "draft" in refused.json()["errors"]["error"]
    assert api.delete(f"/invoice-items/{item_id}").status_code == 400
    assert (
        api.put(f"/invoices/{invoice['id']}", json={"invoice": {"title": "x"}}).status_code == 400
    )
    assert (
        api.delete(f"/invoices/{invoice['id']}").status_code == 422
    )  # UNCERTAIN status, see emulator
    assert len(server.billomat.invoices()[-1]["items"]) == 2


def test_draft_edits_customfield_and_delete(server: SandboxServer, api: httpx.Client) -> None:
    invoice = new_invoice(api, [{"title": "A", "quantity": 1, "unit_price": 10}, {"title": "B"}])
    edited = api.put(
        f"/invoices/{invoice['id']}", json={"invoice": {"title": "Neu", "due_days": 30}}
    )
    assert (
        edited.json()["invoice"]["title"] == "Neu"
        and edited.json()["invoice"]["due_days"] == "30"
        # A draft has no date, so no due date either, until it is completed or dated.
        and (edited.json()["invoice"]["date"], edited.json()["invoice"]["due_date"]) == ("", "")
    )
    dated = api.put(f"/invoices/{invoice['id']}", json={"invoice": {"date": "2026-11-28"}})
    assert dated.json()["invoice"]["due_date"] == "2026-12-28"
    put = api.put(
        f"/invoices/{invoice['id']}/customfield", json={"invoice": {"customfield": "tb-9"}}
    )
    assert put.json() == {"invoice": {"customfield": "tb-9"}}
    found = api.get("/invoices", params={"customfield": "TB-"}).json()["invoices"]
    assert found["invoice"]["id"] == invoice["id"]  # a substring, ignoring case: compare exactly
    first_item = api.get("/invoice-items", params={"invoice_id": invoice["id"]}).json()
    api.delete(f"/invoice-items/{first_item['invoice-items']['invoice-item'][0]['id']}")
    rest = api.get("/invoice-items", params={"invoice_id": invoice["id"]}).json()["invoice-items"]
    assert rest["invoice-item"]["title"] == "B" and rest["invoice-item"]["position"] == "1"
    assert api.delete(f"/invoices/{invoice['id']}").status_code == 200
    assert api.get(f"/invoices/{invoice['id']}").status_code == 404
    assert all(i["id"] != invoice["id"] for i in server.billomat.invoices())


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"invoice": {}}, "client_id"),
        ({"invoice": {"client_id": 1}}, "client_id"),
        ({"client_id": MUELLER}, '{"invoice"'),
        (
            {
                "invoice": {
                    "client_id": MUELLER,
                    "invoice-items": {"invoice-item": [{"quantity": "zwei"}]},
                }
            },
            "quantity",
        ),
        (
            {
                "invoice": {
                    "client_id": MUELLER,
                    "invoice-items": {"invoice-item": {"article_id": 5}},
                }
            },
            "Article 5",
        ),
        ({"invoice": {"client_id": MUELLER, "supply_date_type": "SOMETIME"}}, "supply_date_type"),
    ],
)
def test_bad_invoices_are_refused_with_a_reason(
    api: httpx.Client, body: Any, fragment: str
) -> None:
    response = api.post("/invoices", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["errors"]["error"]


def test_invoice_items_need_an_invoice(api: httpx.Client) -> None:
    assert api.get("/invoice-items").status_code == 400
    assert api.get("/invoice-items", params={"invoice_id": "1"}).status_code == 404
    assert api.post("/invoices", content=b"{not json").status_code == 400
    assert api.get("/nothing-here").status_code == 404


def test_master_data_crud_rules(api: httpx.Client) -> None:
    created = api.post("/clients", json={"client": {"name": "Neu GmbH", "tax_rule": "tax"}})
    assert created.status_code == 201
    client = created.json()["client"]
    assert (
        client["client_number"] == "KD30"
        and client["tax_rule"] == "TAX"
        and client["currency_code"] == ""
    )
    assert api.delete(f"/clients/{client['id']}").status_code == 200
    assert api.delete(f"/clients/{MUELLER}").status_code == 400  # has documents
    assert api.delete("/units/31").status_code == 400  # used by articles
    tax = api.post("/taxes", json={"tax": {"name": "MwSt", "rate": "16", "is_default": 1}}).json()[
        "tax"
    ]
    defaults = [t["id"] for t in api.get("/taxes").json()["taxes"]["tax"] if t["is_default"] == "1"]
    assert defaults == [tax["id"]]
    assert api.post("/taxes", json={"tax": {"name": "X"}}).status_code == 400


# -- net_gross and tax rules (issue 10) ----------------------------------------------------------
SCHAEFER = "812302"  # seeded GROSS


def test_account_settings_carry_the_price_setting(api: httpx.Client) -> None:
    assert api.get("/settings").json()["settings"]["net_gross"] == "NET"
    refused = api.put("/settings", json={"settings": {"net_gross": "BRUTTO"}})
    assert refused.status_code == 400 and "net_gross" in refused.json()["errors"]["error"]
    assert api.put("/settings", json={"settings": {"net_gross": "GROSS"}}).status_code == 200
    # A client on SETTINGS now gets GROSS invoices; one that says NET keeps NET.
    assert new_invoice(api, [])["net_gross"] == "GROSS"
    api.put(f"/clients/{MUELLER}", json={"client": {"net_gross": "NET"}}).raise_for_status()
    assert new_invoice(api, [])["net_gross"] == "NET"


def test_gross_invoices_read_unit_prices_with_the_tax_included(api: httpx.Client) -> None:
    items = [
        {"title": "A", "quantity": "1", "unit_price": "119", "tax_rate": "19", "tax_name": "MwSt"},
        {
            "title": "B",
            "quantity": "3",
            "unit_price": "10.01",
            "tax_rate": "19",
            "tax_name": "MwSt",
        },
        {"title": "C", "quantity": "1", "unit_price": "10.7", "tax_rate": "7", "tax_name": "MwSt"},
    ]
    gross = new_invoice(api, items, net_gross="GROSS")
    # Per rate: gross summed (119 + 30.03), net = 149.03 / 1.19 = 125.2352 -> 125.24, tax the rest.
    assert (gross["total_gross"], gross["total_net"]) == ("159.73", "135.24")
    assert [(t["rate"], t["amount_net"], t["amount"]) for t in gross["taxes"]["tax"]] == [
        ("19", "125.24", "23.79"),
        ("7", "10", "0.7"),
    ]
    net = new_invoice(api, items, net_gross="NET")
    assert net["total_net"] == "159.73"
    # The seeded GROSS client's invoices are GROSS unless the invoice says otherwise.
    assert new_invoice(api, [], client_id=SCHAEFER)["net_gross"] == "GROSS"
    assert new_invoice(api, [], client_id=SCHAEFER, net_gross="NET")["net_gross"] == "NET"
    # Switching a draft to NET reads its prices again.
    switched = api.put(f"/invoices/{gross['id']}", json={"invoice": {"net_gross": "NET"}})
    assert switched.json()["invoice"]["total_net"] == "159.73"


def test_clients_carry_tax_rule_country_vat_id_and_currency(api: httpx.Client) -> None:
    swiss = api.get("/clients/812309").json()["client"]
    assert (swiss["tax_rule"], swiss["country_code"], swiss["vat_number"]) == ("COUNTRY", "CH", "")
    assert swiss["currency_code"] == "CHF"
    bad = api.put("/clients/812309", json={"client": {"tax_rule": "SOMETIMES"}})
    assert bad.status_code == 400 and "tax_rule" in bad.json()["errors"]["error"]
