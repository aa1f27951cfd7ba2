"""What the billing service answers, as data: the front-ends (the `timebill` commands, the app)
decide how to show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from timebill.core.billing.freshness import EntryChange
from timebill.core.billing.transaction import BillingResult
from timebill.core.errors import TimebillError
from timebill.core.invoicing.builder import PlanOptions, PlanResult, SkippedEntry
from timebill.core.models import BillomatClient, Invoice


class TargetError(TimebillError):
    """The draft named to take the lines cannot take them (missing, not a draft, another
    client's). Nothing was recorded or sent."""


@dataclass(frozen=True)
class DraftTarget:
    """A draft checked to take a plan's lines (timebill.core.billing.service.check_target)."""

    invoice: Invoice

    @property
    def invoice_id(self) -> str:
        return self.invoice.id


@dataclass(frozen=True)
class Planned:
    """One customer's plan, ready to show and create."""

    result: PlanResult
    options: PlanOptions
    notes: tuple[str, ...] = ()
    free_text_services: dict[str, str] = field(default_factory=dict)  # id -> name


@dataclass(frozen=True)
class NothingToBill:
    """No open billable entry; `skipped` says why, `busy` how many of them another timebill
    session is billing right now."""

    customer_name: str
    skipped: tuple[SkippedEntry, ...]
    busy: int = 0

    @property
    def unfinished(self) -> bool:
        return any(item.reason == "in_progress" for item in self.skipped)


@dataclass(frozen=True)
class NoClient:
    """The customer has no Billomat client yet: the user picks one (`similar` helps)."""

    customer_name: str
    similar: tuple[BillomatClient, ...]
    notes: tuple[str, ...] = ()


CustomerPlan = Planned | NothingToBill | NoClient

CreateKind = Literal[
    "done", "unfinished", "abandoned", "held", "failed", "refused", "target", "changed"
]


@dataclass(frozen=True)
class Created:
    """What came of one create: `done`; `unfinished` (draft made, some entries not marked);
    `abandoned` (the plan was dropped); `held` (entries taken by another plan, nothing sent);
    `failed` (the plan stays in the journal for resume); `refused` (a service or a setting
    refused before anything was recorded); `target` (the draft to fill cannot take the lines,
    nothing recorded); `changed` (the planned entries changed in the tracker or sit on another
    timebill draft: nothing billed, `changes` says what). `error` is the service's own text,
    unsanitised."""

    kind: CreateKind
    result: BillingResult | None = None
    error: str = ""
    held: int = 0
    auth: bool = False
    changes: tuple[EntryChange, ...] = ()

    @property
    def created(self) -> bool:
        return self.kind in ("done", "unfinished")

    @property
    def recorded(self) -> bool:
        """The journal changed (entries shown billed or in progress now)."""
        return self.kind not in ("held", "refused", "target", "changed")
