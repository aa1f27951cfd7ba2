"""A small invoicing world for the builder's unit tests: articles, clients, taxes, and entries
made to order (`entry`, `lumpsum`), with the assignments that connect them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from timebill.core.invoicing.builder import Assignments
from timebill.core.models import Article, BillomatClient, Tax, TimeEntry

D = Decimal
VAT19 = Tax(id="t19", name="MwSt", rate=D("19.00"), is_default=True)
VAT7 = Tax(id="t7", name="MwSt", rate=D("7"))
CONSULTING = Article(id="a1", title="Beratung", sales_price=D("95"), tax_id="t19", unit_name="Std.")
DEVELOPMENT = Article(id="a2", title="Entwicklung", sales_price=D("110"), tax_id="t19")
BOOKS = Article(id="a3", title="Fachbuch-Lektorat", sales_price=D("60"), tax_id="t7")
MUELLER = BillomatClient(id="c1", name="Müller & Söhne GmbH", currency_code="EUR")
SCHAEFER = BillomatClient(id="c2", name="Bäckerei Schäfer KG")
HOEFER = BillomatClient(id="c3", name="Hoefer Logistik AG", currency_code="CHF")

SERVICES = {"s1": "Beratung", "s2": "Entwicklung", "s3": "Lektorat", "s9": "Schulung"}
PROJECTS = {"p1": "Webshop-Relaunch", "p2": "SEO-Betreuung", "p3": "Filial-App"}
USERS = {"u1": "Anna Schmidt", "u2": "Jonas Weber"}
CUSTOMERS = {"k1": "Müller & Söhne GmbH", "k2": "Bäckerei Schäfer KG", "k3": "Höfer Logistik AG"}


def entry(
    entry_id: int | str,
    day: int,
    minutes: int = 60,
    *,
    service: str = "s1",
    project: str = "p1",
    user: str = "u1",
    customer: str = "k1",
    month: int = 10,
    **fields: Any,
) -> TimeEntry:
    return TimeEntry(
        id=str(entry_id),
        source=fields.pop("source", "mite"),
        date=dt.date(2026, month, day),
        minutes=minutes,
        customer_id=customer,
        customer_name=CUSTOMERS[customer],
        project_id=project,
        project_name=PROJECTS[project],
        service_id=service,
        service_name=SERVICES[service],
        user_id=user,
        user_name=USERS[user],
        **fields,
    )


def lumpsum(
    entry_id: int, day: int, amount: str, quantity: str | None = None, **fields: Any
) -> TimeEntry:
    return entry(
        entry_id,
        day,
        0,
        kind="lumpsum",
        source="clockodo",
        lumpsum_amount=D(amount),
        lumpsum_quantity=D(quantity) if quantity else None,
        **fields,
    )


ASSIGN = Assignments(
    clients={"k1": "c1", "k2": "c2", "k3": "c3"},
    articles={"s1": "a1", "s2": "a2", "s3": "a3"},
    billomat_clients=(MUELLER, SCHAEFER, HOEFER),
    billomat_articles=(CONSULTING, DEVELOPMENT, BOOKS),
    taxes=(VAT19, VAT7),
)
