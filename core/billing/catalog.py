"""The Billomat objects plans point at (clients, articles, taxes), read once per billing session,
and how a selection of entries splits by Billomat client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from timebill.core.invoicing.builder import Assignments
from timebill.core.models import Article, BillomatClient, Tax, TimeEntry


@dataclass(frozen=True)
class Catalog:
    clients: tuple[BillomatClient, ...] = ()
    articles: tuple[Article, ...] = ()
    taxes: tuple[Tax, ...] = ()

    def client(self, client_id: str | None) -> BillomatClient | None:
        return next((c for c in self.clients if c.id == client_id), None)

    def article(self, article_id: str | None) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)


async def read_catalog(billomat: Any, *, include_archived: bool = False) -> Catalog:
    """The catalog from Billomat. The app offers only active clients and articles; the command
    line (`--client ID`) also accepts archived ones, as it always has."""
    clients, articles, taxes = await asyncio.gather(
        billomat.clients(), billomat.articles(), billomat.taxes()
    )
    return Catalog(
        tuple(c for c in clients if include_archived or not c.archived),
        tuple(a for a in articles if include_archived or not a.archived),
        tuple(taxes),
    )


def customers_of(entries: Iterable[TimeEntry]) -> dict[str, str]:
    return {e.customer_id: e.customer_name or "" for e in entries if e.customer_id}


def services_of(entries: Iterable[TimeEntry]) -> dict[str, str]:
    return {
        e.service_id: e.service_name or ""
        for e in entries
        if e.service_id and e.kind == "time"
        # Lump sums are always free-text lines (timebill.core.invoicing.builder): they need no article.
    }


@dataclass
class ClientGroup:
    """The part of a selection that goes onto one Billomat client's invoice."""

    client_id: str
    client_name: str
    customer_ids: frozenset[str]
    entries: list[TimeEntry] = field(default_factory=list)


def client_groups(entries: Iterable[TimeEntry], assignments: Assignments) -> list[ClientGroup]:
    """The selection split by Billomat client, ordered by client name; entries of customers
    without a client are left out (the caller says so)."""
    groups: dict[str, ClientGroup] = {}
    for entry in entries:
        client_id = assignments.client_for(entry)
        if client_id is None or entry.customer_id is None:
            continue
        group = groups.get(client_id)
        if group is None:
            client = assignments.client(client_id)
            group = groups[client_id] = ClientGroup(
                client_id, client.name if client else client_id, frozenset()
            )
        group.customer_ids = group.customer_ids | {entry.customer_id}
        group.entries.append(entry)
    return sorted(groups.values(), key=lambda g: (g.client_name.casefold(), g.client_id))
