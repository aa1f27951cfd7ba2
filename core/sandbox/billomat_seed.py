"""The demo Billomat account "nordlicht": units, taxes, clients, articles and a little invoice
history, derived from the shared world (customers' `billomat_name`, services' `article`).

Seeded with `store.seed` (not logged): the same world gives the same account on every start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from timebill.core.sandbox.billomat_invoices import BERLIN, InvoiceBook
from timebill.core.sandbox.billomat_wire import num
from timebill.core.sandbox.seed import World, first_of_month
from timebill.core.sandbox.store import Store

S = "billomat"
BILLOMAT_ID = "nordlicht"
# A demo key, valid only against the sandbox.
API_KEY = "bm-sandbox-7d41c9e2a8f3"
ACCOUNT_NAME = "Agentur Nordlicht GmbH"

MYSELF: dict[str, Any] = {
    "id": "118842", "created": "2019-04-01T09:00:00+02:00", "name": ACCOUNT_NAME,
    "street": "Am Sandtorkai 7", "zip": "20457", "city": "Hamburg", "country_code": "DE",
    "email": "rechnung@agentur-nordlicht.de", "phone": "+49 40 3344550", "www": "https://agentur-nordlicht.de",
    "tax_number": "46/123/04567", "vat_number": "DE298765431", "currency_code": "EUR",
    "locale": "de_DE", "net_gross": "NET", "customfield": "",
}  # fmt: skip

# GET /api/settings (only what timebill reads, plus a little for show).
SETTINGS: dict[str, Any] = {
    "id": "account", "currency_code": "EUR", "locale": "de_DE", "net_gross": "NET",
    "number_range_mode": "IGNORE_PREFIX", "article_number_pre": "ART-", "client_number_pre": "KD",
    "invoice_number_pre": "RE", "due_days": "14",
}  # fmt: skip
# A bakery selling to consumers quotes gross prices: its invoices are GROSS.
GROSS_CLIENT_KEY = 2

UNITS = (("31", "Stunde"), ("32", "Stück"), ("33", "Monat"), ("34", "Pauschale"))
# (id, name, rate, is_default)
TAXES = (("55", "MwSt", "19", "1"), ("56", "MwSt", "7", "0"), ("57", "steuerfrei", "0", "0"))
HOUR, PIECE, MONTH = "31", "32", "33"
VAT19 = "55"

# Per world customer key: contact first/last name, street, zip, city, e-mail domain.
ADDRESSES = {
    1: ("Peter", "Müller", "Hafenstraße 12", "20457", "Hamburg", "mueller-soehne.de"),
    2: ("Maria", "Schäfer", "Lindenallee 3", "21335", "Lüneburg", "baeckerei-schaefer.de"),
    3: ("Jens", "Grünwald", "Schanzenstraße 48", "20357", "Hamburg", "gruenwald-architekten.de"),
    4: ("Svenja", "Höfer", "Am Güterbahnhof 7", "28195", "Bremen", "hoefer-logistik.de"),
    5: ("Olaf", "Brandt", "Am Sande 1", "21335", "Lüneburg", "stadtwerke-lueneburg.de"),
    6: ("Tobias", "Kühne", "Gerhofstraße 22", "20354", "Hamburg", "kuehne-medien.de"),
    7: ("Claudia", "Weiß", "Ballindamm 9", "20095", "Hamburg", "weiss-partner.de"),
}
EXTRA_CLIENT_KEY = 9


def client_id(key: int) -> str:
    return str(812300 + key)


def seed_account(store: Store, world: World, book: InvoiceBook) -> None:
    store.seed(S, "settings", dict(SETTINGS))
    for unit_id, name in UNITS:
        store.seed(S, "units", {"id": unit_id, "name": name, "customfield": ""})
    for tax_id, name, rate, default in TAXES:
        store.seed(
            S,
            "taxes",
            {"id": tax_id, "name": name, "rate": rate, "is_default": default, "customfield": ""},
        )
    for customer in world.customers:
        if customer.billomat_name is None:
            continue  # not in Billomat yet: the user has to pick or create the client
        first, last, street, zip_code, city, domain = ADDRESSES[customer.key]
        email = f"buchhaltung@{domain}"
        client = _client(customer.key, customer.billomat_name, first, last, street, zip_code, city)
        if customer.key == GROSS_CLIENT_KEY:
            client["net_gross"] = "GROSS"
        store.seed(S, "clients", client | {"email": email})
    # Only in Billomat: a Swiss client billed in CHF; outside the EU, so no German VAT
    # (tax_rule COUNTRY, Billomat's default, with country CH).
    swiss = _client(
        EXTRA_CLIENT_KEY,
        "Alpenblick Tourismus AG",
        "Reto",
        "Suter",
        "Bahnhofstrasse 21",
        "8001",
        "Zürich",
    )
    swiss.update({"country_code": "CH", "email": "finanzen@alpenblick-tourismus.ch"})
    swiss.update(
        {
            "currency_code": "CHF",
            "locale": "de_CH",
            "tax_rule": "COUNTRY",
            "vat_number": "",
        }
    )
    store.seed(S, "clients", swiss)
    article_id = 900
    for service in world.services:
        if service.article is None:
            continue
        article_id += 1
        number, title = service.article
        store.seed(
            S,
            "articles",
            _article(article_id, number, title, "je Stunde", num(service.rate), HOUR, "SERVICE"),
        )
    for lumpsum in world.lumpsum_services:
        article_id += 1
        unit = MONTH if lumpsum.unit == "Monat" else PIECE
        kind = "SERVICE" if unit == MONTH else "PRODUCT"
        store.seed(
            S,
            "articles",
            _article(
                article_id,
                f"ART-2{lumpsum.key:02d}",
                lumpsum.name,
                "",
                num(lumpsum.price),
                unit,
                kind,
            ),
        )
    _seed_invoices(store, world, book)


def _client(
    key: int, name: str, first: str, last: str, street: str, zip_code: str, city: str
) -> dict[str, Any]:
    number = str(20 + key)
    return {
        "id": client_id(key), "created": f"2024-0{1 + key % 9}-1{key % 10}T10:15:00+01:00",
        "archived": "0",
        "client_number": f"KD{number}", "number": number, "number_pre": "KD", "number_length": "0",
        "name": name, "salutation": "", "first_name": first, "last_name": last, "street": street,
        "zip": zip_code, "city": city, "state": "", "country_code": "DE", "address": "",
        "phone": "", "fax": "", "mobile": "", "email": "", "www": "", "tax_number": "",
        "vat_number": "", "bank_account_owner": "", "bank_iban": "", "bank_swift": "",
        "currency_code": "", "locale": "", "tax_rule": "COUNTRY", "net_gross": "SETTINGS",
        "price_group": "", "due_days": "", "discount_rate_type": "", "discount_rate": "",
        "discount_days_type": "", "discount_days": "", "note": "", "customfield": "",
    }  # fmt: skip


def _article(
    article_id: int, number: str, title: str, description: str, price: str, unit: str, kind: str
) -> dict[str, Any]:
    pre, _, digits = number.rpartition("-")
    return {
        "id": str(article_id), "created": "2024-01-15T09:30:00+01:00", "archived": "0",
        "article_number": number, "number": digits, "number_pre": f"{pre}-" if pre else "",
        "number_length": "0", "type": kind, "title": title, "description": description,
        "sales_price": price, "sales_price2": "", "sales_price3": "", "sales_price4": "",
        "sales_price5": "", "currency_code": "EUR", "unit_id": unit, "tax_id": VAT19,
        "purchase_price": "", "purchase_price_net_gross": "", "supplier_id": "", "customfield": "",
    }  # fmt: skip


def _seed_invoices(store: Store, world: World, book: InvoiceBook) -> None:
    """Two completed invoices from last month (one paid) and one open draft, so lists, status
    filters and "add to an existing draft" have something to show."""
    dated = first_of_month(world.today, 1) + dt.timedelta(days=1)
    history = (
        (1, 196, [("901", "12.5", "Entwicklung Webshop"), ("902", "3", "Workshop Anforderungen")]),
        (5, 197, [("901", "8", "Kundenportal: Login über SSO")]),
    )
    for key, number, lines in history:
        invoice = book.create(
            {
                "client_id": client_id(key),
                "date": dated.isoformat(),
                "title": f"Rechnung {first_of_month(world.today, 2):%m/%Y}",
                "invoice-items": {
                    "invoice-item": [
                        {"article_id": a, "quantity": q, "description": d} for a, q, d in lines
                    ]
                },
            },
            store.seed,
        )
        stamp = dt.datetime.combine(dated, dt.time(10, 0), BERLIN).isoformat()
        paid = invoice["total_gross"] if key == 5 else "0"
        due = dt.date.fromisoformat(invoice["due_date"])
        status = "PAID" if key == 5 else ("OVERDUE" if due < world.today else "OPEN")
        invoice.update(
            {
                "status": status,
                "number": str(number),
                "invoice_number": f"RE{number}",
                "created": stamp,
                "updated": stamp,
                "paid_amount": paid,
                "open_amount": num(0) if key == 5 else invoice["total_gross"],
            }
        )
        store.seed(S, "invoices", invoice)
    book.create(
        {
            "client_id": client_id(3),
            "date": (world.today - dt.timedelta(days=3)).isoformat(),
            "title": "Rechnung Projektportal",
            "invoice-items": {
                "invoice-item": {"article_id": "903", "quantity": "4", "description": "Wireframes"}
            },
        },
        store.seed,
    )
