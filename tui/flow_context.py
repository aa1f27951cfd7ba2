"""What the billing screens share: settings, the journal, the tracker account, the Billomat
catalog (clients, articles, taxes) and the assignment rules on top of timebill.core.billing.assign.

No widgets here: the screens (assign, preview, month-end, done) and timebill.tui.flow import it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from timebill.core.billing import assign
from timebill.core.billing.journal import Journal
from timebill.core.connect import open_billomat, open_journal, tracker_account
from timebill.core.invoicing.builder import Assignments, PlanOptions
from timebill.core.models import Article, BillomatClient, Tax, TimeEntry

if TYPE_CHECKING:
    from timebill.core.settings.model import Settings

# A service the user chose to bill without an article is remembered as an assignment to ""
# (no Billomat article has that id): timebill.core.billing.assign.resolve ignores ids that are not articles, so the
# service stays free text, and the Assign screen does not ask about it again.
FREE_TEXT = ""


@dataclass(frozen=True)
class Catalog:
    """The Billomat objects the assignments point at (read once per flow)."""

    clients: tuple[BillomatClient, ...] = ()
    articles: tuple[Article, ...] = ()
    taxes: tuple[Tax, ...] = ()

    def client(self, client_id: str | None) -> BillomatClient | None:
        return next((c for c in self.clients if c.id == client_id), None)

    def article(self, article_id: str | None) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)


async def load_catalog(settings: Settings) -> Catalog:
    async with open_billomat(settings) as billomat:
        clients, articles, taxes = await asyncio.gather(
            billomat.clients(), billomat.articles(), billomat.taxes()
        )
    return Catalog(
        tuple(c for c in clients if not c.archived),
        tuple(a for a in articles if not a.archived),
        tuple(taxes),
    )


@dataclass
class BillingContext:
    """One billing session: open it once per flow (or month-end screen), close it at the end."""

    settings: Settings
    journal: Journal
    account: str
    catalog: Catalog | None = None
    owns_journal: bool = True

    @classmethod
    def open(cls, settings: Settings, journal_path: str | Path | None = None) -> BillingContext:
        journal = Journal(journal_path) if journal_path is not None else open_journal(settings)
        return cls(settings, journal, tracker_account(settings))

    def close(self) -> None:
        if self.owns_journal:
            self.journal.close()

    @property
    def tracker(self) -> str:
        return str(self.settings.tracker)

    @property
    def base_options(self) -> PlanOptions:
        return PlanOptions(default_vat=self.settings.invoice.default_vat)

    def client_options(self, client_id: str) -> PlanOptions:
        client = self.catalog.client(client_id) if self.catalog else None
        return assign.client_options(self.journal, self.account, client, self.base_options)

    def held(self) -> set[str]:
        return self.journal.held(self.account)

    # -- assignments ------------------------------------------------------------------------
    def free_text_decided(self) -> set[str]:
        """Services the user chose to bill as free text."""
        return {
            service_id
            for service_id, article_id in self.journal.assignments(self.account, "service").items()
            if article_id == FREE_TEXT
        }

    def resolve(
        self,
        customers: Mapping[str, str],
        services: Mapping[str, str],
        *,
        client_choice: Mapping[str, str] | None = None,
        article_choice: Mapping[str, str] | None = None,
    ) -> assign.Resolution:
        """timebill.core.billing.assign.resolve over the catalog, remembering matches and choices; services the
        user left as free text stay free text (no name match overrides that choice)."""
        catalog = self.catalog or Catalog()
        article_choice = dict(article_choice or {})
        free = self.free_text_decided() - set(article_choice)
        asked = {sid: name for sid, name in services.items() if sid not in free}
        resolution = assign.resolve(
            self.journal,
            self.account,
            customers=customers,
            services=asked,
            clients=catalog.clients,
            articles=catalog.articles,
            taxes=catalog.taxes,
            client_choice=client_choice,
            article_choice=article_choice,
            remember=True,
        )
        resolution.free_text_services.update(
            {sid: name for sid, name in services.items() if sid in free}
        )
        return resolution

    def keep_free_text(self, service_id: str, name: str) -> None:
        self.journal.assign(self.account, "service", service_id, FREE_TEXT, name)


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
