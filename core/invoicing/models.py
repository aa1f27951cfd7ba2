"""Options, assignments and results of the invoice builder (timebill.core.invoicing.builder re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from timebill.core.errors import PlanError
from timebill.core.invoicing import texts as text
from timebill.core.invoicing.choices import Grouping, RoundPer, RoundTo
from timebill.core.invoicing.taxrule import Override
from timebill.core.invoicing.texts import Language
from timebill.core.models import Article, BillomatClient, InvoicePlan, Tax, TimeEntry

SkipReason = Literal[
    "duplicate",
    "billed",
    "running",
    "in_progress",
    "not_billable",
    "invalid",
    "no_customer",
    "unassigned",
    "other_customer",
]
MARKER_PREFIX = "timebill:"


class PlanOptions(BaseModel):
    """How one client's entries become lines. The journal remembers one set per client."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grouping: Grouping = "service"
    """One line per entry, day, service, project, project and service, or user."""
    round_to: RoundTo = 0
    """Round durations up to this many minutes (0: exact)."""
    round_per: RoundPer = "entry"
    """Round each entry, or each line's sum."""
    rate_source: Literal["article", "entry"] = "entry"
    """Preferred rate: the tracker's rate on the entry (it carries customer- and project-specific
    rates, which is what the user agreed with the client) or the Billomat article's price; the
    other is the fallback."""
    rate_override: Decimal | None = Field(default=None, ge=0)
    """A fixed hourly rate for this client, before anything else."""
    language: Language = "de"
    title_template: str | None = None
    """Line title; None: a default that fits the grouping (see timebill.core.invoicing.texts)."""
    description_template: str = text.DEFAULT_DESCRIPTION
    lumpsum_title_template: str = text.DEFAULT_LUMPSUM_TITLE
    invoice_title_template: str | None = None
    """None: "Invoice, service period {period}" in the plan's language."""
    notes_separator: str = "\n"
    default_unit: str = "Stunde"
    lumpsum_unit: str = "Pauschale"
    default_vat: Decimal | None = Field(default=None, ge=0, le=100)
    """VAT rate in percent where the article has none; None: the Billomat tax marked default."""
    default_tax_name: str = "MwSt"
    reverse_charge: bool = False
    """The old `--vat 0`: 0 % VAT. A client whose tax rule already gives 0 % keeps its rule's
    note; a domestic client gets the reverse charge (see timebill.core.invoicing.taxrule)."""
    tax_rule: Override = "auto"
    """The client's tax rule from Billomat ("auto"), or the user's choice for this client."""

    include_non_billable: bool = False
    intro: str = ""
    """The invoice's intro, a template like the invoice title; empty: the Billomat account's."""
    note: str = ""
    """The closing note, a template like the invoice title; empty: the Billomat account's
    (payment terms). A tax note is added after either."""
    currency: str | None = None
    """None: the Billomat client's currency, else EUR."""


class Assignments(BaseModel):
    """Tracker -> Billomat mapping, plus the Billomat objects the ids point at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clients: dict[str, str] = {}
    """Tracker customer id -> Billomat client id."""
    articles: dict[str, str] = {}
    """Tracker service id (or project id, see article_by) -> Billomat article id."""
    article_by: Literal["service", "project"] = "service"
    billomat_clients: tuple[BillomatClient, ...] = ()
    billomat_articles: tuple[Article, ...] = ()
    taxes: tuple[Tax, ...] = ()

    def client_for(self, entry: TimeEntry) -> str | None:
        return self.clients.get(entry.customer_id) if entry.customer_id else None

    def client(self, client_id: str) -> BillomatClient | None:
        return next((c for c in self.billomat_clients if c.id == client_id), None)


@dataclass(frozen=True)
class SkippedEntry:
    entry_id: str
    reason: SkipReason
    message: str


@dataclass(frozen=True)
class PlanResult:
    plan: InvoicePlan
    skipped: tuple[SkippedEntry, ...] = ()


@dataclass(frozen=True)
class UnassignedCustomer:
    """A tracker customer with open entries but no Billomat client: the month-end run asks."""

    customer_id: str
    customer_name: str
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class ClientFailure:
    client_id: str
    client_name: str
    error: PlanError


@dataclass(frozen=True)
class MonthEndPlans:
    """One plan per Billomat client with open entries, ordered by client name."""

    plans: tuple[PlanResult, ...]
    unassigned: tuple[UnassignedCustomer, ...] = ()
    failed: tuple[ClientFailure, ...] = ()
    skipped: tuple[SkippedEntry, ...] = ()
