"""The billing use case, headless: assign -> client options -> plan -> check the target draft ->
create -> remember the options; resume, sync and the month-end queue
(timebill.core.billing.month_end). The `timebill` commands and the app both call it and only
show what it answers.

One `BillingService` per billing session (a command run, an app flow, the Month-end screen):
it holds the settings, the journal and the Billomat catalog once read. Network adapters are
passed in per call (`connect()` opens both), so a caller decides how long they stay open.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timebill.core.billing import assign, drafts, planlock, sync, transaction
from timebill.core.billing.catalog import Catalog, read_catalog, services_of
from timebill.core.billing.drafts import RecentDrafts, SweepAction
from timebill.core.billing.freshness import PlanChangedError
from timebill.core.billing.journal import EntriesInProgressError, Journal, PlanRecord
from timebill.core.billing.outcomes import (
    Created,
    CustomerPlan,
    DraftTarget,
    NoClient,
    NothingToBill,
    Planned,
    TargetError,
)
from timebill.core.billing.sync import SyncReport
from timebill.core.billing.transaction import BillingError, BillingResult, Progress
from timebill.core.connect import open_billomat, open_journal, open_source, tracker_account
from timebill.core.errors import AuthenticationError, NotFoundError, TimebillError
from timebill.core.invoicing.builder import (
    Assignments,
    NothingToBillError,
    PlanOptions,
    PlanResult,
    SkippedEntry,
    build_plan,
    open_entries,
)
from timebill.core.models import BillomatClient, Customer, InvoicePlan, MarkResult, TimeEntry
from timebill.core.sources.base import TimeSource
from timebill.core.text import clean

if TYPE_CHECKING:
    from timebill.core.settings.model import Settings

# A service the user chose to bill without an article is remembered as an assignment to ""
# (no Billomat article has that id): assign.resolve ignores ids that are not articles, so the
# service stays free text, and nobody asks about it again.
FREE_TEXT = ""


class BillingService:
    def __init__(self, settings: Settings, journal: Journal, *, owns_journal: bool = True) -> None:
        self.settings = settings
        self.journal = journal
        self.account = tracker_account(settings)
        self.catalog: Catalog | None = None
        self.owns_journal = owns_journal

    @classmethod
    def open(cls, settings: Settings, journal_path: str | Path | None = None) -> BillingService:
        journal = Journal(journal_path) if journal_path is not None else open_journal(settings)
        try:
            return cls(settings, journal)
        except BaseException:
            journal.close()
            raise

    def close(self) -> None:
        if self.owns_journal:
            self.journal.close()

    def __enter__(self) -> BillingService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def tracker(self) -> str:
        return str(self.settings.tracker)

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[tuple[TimeSource, Any]]:
        """(tracker source, Billomat), open for the block."""
        async with open_source(self.settings) as source, open_billomat(self.settings) as billomat:
            yield source, billomat

    async def load_catalog(
        self, billomat: Any = None, *, include_archived: bool = False
    ) -> Catalog:
        """Read clients, articles and taxes from Billomat (opening it when `billomat` is None)
        and keep them for this session."""
        if billomat is None:
            async with open_billomat(self.settings) as opened:
                catalog = await read_catalog(opened, include_archived=include_archived)
        else:
            catalog = await read_catalog(billomat, include_archived=include_archived)
        self.catalog = catalog
        return catalog

    # -- options ---------------------------------------------------------------------------
    @property
    def base_options(self) -> PlanOptions:
        return PlanOptions(default_vat=self.settings.invoice.default_vat)

    def client_options(
        self, client_id: str | None, overrides: Mapping[str, Any] | None = None
    ) -> PlanOptions:
        """Defaults < the client's remembered options < `overrides` (assign.client_options)."""
        client = self.catalog.client(client_id) if self.catalog else None
        return assign.client_options(
            self.journal, self.account, client, self.base_options, overrides
        )

    def held(self) -> set[str]:
        return self.journal.held(self.account)

    # -- assignments -----------------------------------------------------------------------
    def free_text_decided(self) -> set[str]:
        """Services the user chose to bill as free text."""
        return {
            service_id
            for service_id, article_id in self.journal.assignments(self.account, "service").items()
            if article_id == FREE_TEXT
        }

    def keep_free_text(self, service_id: str, name: str) -> None:
        self.journal.assign(self.account, "service", service_id, FREE_TEXT, name)

    def resolve(
        self,
        customers: Mapping[str, str],
        services: Mapping[str, str],
        *,
        client_choice: Mapping[str, str] | None = None,
        article_choice: Mapping[str, str] | None = None,
        remember: bool = True,
    ) -> assign.Resolution:
        """assign.resolve over the catalog; explicit choices and name matches are remembered
        unless `remember` is False; services the user left as free text stay free text (no
        name match overrides that choice)."""
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
            remember=remember,
        )
        resolution.free_text_services.update(
            {sid: name for sid, name in services.items() if sid in free}
        )
        return resolution

    def remember_client(self, customer_ids: Iterable[str], client_id: str) -> None:
        """Remember customer -> client where only the name matched so far (the month-end
        queue plans without writing; a created draft confirms the match)."""
        known = self.journal.assignments(self.account, "customer")
        client = self.catalog.client(client_id) if self.catalog else None
        for customer_id in customer_ids:
            if known.get(customer_id) != client_id:
                label = clean(client.name) if client else client_id
                self.journal.assign(self.account, "customer", customer_id, client_id, label)

    async def create_client(self, customer: Customer, billomat: Any = None) -> BillomatClient:
        """A Billomat client named like the tracker's customer (neither mite nor clockodo gives
        an address through its API, so the name and a note saying where it came from), added to
        the catalog and remembered as the customer's client."""
        note = f"created by timebill from {self.tracker} customer {customer.id}"
        if billomat is None:
            async with open_billomat(self.settings) as opened:
                client = await opened.create_client(customer.name, note=note)
        else:
            client = await billomat.create_client(customer.name, note=note)
        catalog = self.catalog or Catalog()
        self.catalog = dataclasses.replace(catalog, clients=(*catalog.clients, client))
        self.journal.assign(self.account, "customer", customer.id, client.id, clean(client.name))
        return client

    def similar_clients(self, name: str | None, limit: int = 3) -> tuple[BillomatClient, ...]:
        clients = self.catalog.clients if self.catalog else ()
        return tuple(assign.suggestions(name, clients, "name", limit=limit))

    # -- planning --------------------------------------------------------------------------
    def plan(
        self,
        entries: Iterable[TimeEntry],
        assignments: Assignments,
        options: PlanOptions,
        *,
        client_id: str,
        customer_ids: Collection[str],
        plan_id: str | None = None,
        in_progress: Collection[str] | None = None,
    ) -> PlanResult:
        """One client's plan (pure but for reading which entries are held); raises PlanError
        with the reason when there is nothing to bill."""
        return build_plan(
            entries,
            assignments,
            options,
            client_id=client_id,
            customer_ids=customer_ids,
            in_progress=self.held() if in_progress is None else in_progress,
            plan_id=plan_id,
        )

    def plan_customer(
        self,
        entries: Sequence[TimeEntry],
        customer: Customer,
        *,
        overrides: Mapping[str, Any] | None = None,
        client_id: str | None = None,
        article_choice: Mapping[str, str] | None = None,
        remember: bool = True,
    ) -> CustomerPlan:
        """One tracker customer's open entries as a plan for its Billomat client (`client_id`
        picks one; else the remembered or same-named one). Needs the catalog loaded."""
        catalog = self.catalog or Catalog()
        if client_id and catalog.client(client_id) is None:
            raise TimebillError(f"Billomat has no client with id {client_id}; nothing created.")
        held = self.held()
        candidates, skipped = open_entries(entries, in_progress=held, language="en")
        if not candidates:
            return NothingToBill(customer.name, tuple(skipped), busy=self.busy_elsewhere(skipped))
        resolution = self.resolve(
            {customer.id: customer.name},
            services_of(candidates),
            client_choice={customer.id: client_id} if client_id else None,
            article_choice=article_choice,
            remember=remember,
        )
        notes = tuple(resolution.notes)
        if customer.id in resolution.unassigned_customers:
            return NoClient(customer.name, self.similar_clients(customer.name), notes)
        chosen = resolution.assignments.clients[customer.id]
        options = self.client_options(chosen, overrides)
        try:
            result = self.plan(
                entries,
                resolution.assignments,
                options,
                client_id=chosen,
                customer_ids={customer.id},
                in_progress=held,
            )
        except NothingToBillError:
            return NothingToBill(customer.name, tuple(skipped))
        return Planned(result, options, notes, dict(resolution.free_text_services))

    def busy_elsewhere(self, skipped: Sequence[SkippedEntry]) -> int:
        """How many of the skipped in-progress entries another timebill session (another SSH
        login, the app) is billing right now: their plan's lock is held (planlock)."""
        waiting = {item.entry_id for item in skipped if item.reason == "in_progress"}
        if not waiting:
            return 0
        count = 0
        for record in self.journal.unfinished(self.account):
            mine = waiting.intersection(record.entry_ids)
            if mine and planlock.busy(self.journal.path, record.id):
                count += len(mine)
        return count

    # -- the target draft ------------------------------------------------------------------
    async def check_target(self, billomat: Any, invoice_id: str, client_id: str) -> DraftTarget:
        """The draft `invoice_id` may take lines of `client_id`'s plan: it exists, is still a
        draft (not sent, paid or cancelled) and belongs to that client; else TargetError."""
        try:
            invoice = await billomat.invoice(invoice_id)
        except NotFoundError:
            # Only Billomat's own 404 says there is no such invoice; a proxy's page or an
            # unknown account raises here (a failing service, not a wrong id).
            gone = await billomat.invoice_gone(invoice_id)
            if gone:
                raise TargetError(
                    f"Billomat has no invoice {invoice_id} (deleted?); nothing created."
                ) from None
            invoice = await billomat.invoice(invoice_id)  # it answered this time
        if invoice.status != "DRAFT":
            raise TargetError(
                f"Invoice {invoice_id} is not a draft any more (status {invoice.status}): "
                "lines can only be added to a draft; nothing created."
            )
        if invoice.client_id != client_id:
            raise TargetError(
                f"Invoice {invoice_id} is not a draft of this client: it belongs to Billomat "
                f"client {invoice.client_id}, the plan to client {client_id}; nothing created."
            )
        return DraftTarget(invoice)

    # -- creating --------------------------------------------------------------------------
    async def create(
        self,
        plan: InvoicePlan,
        options: PlanOptions,
        *,
        source: TimeSource,
        billomat: Any,
        into: DraftTarget | str | None = None,
        progress: Progress | None = None,
        entries: Iterable[TimeEntry] | None = None,
        recent: RecentDrafts | None = None,
    ) -> Created:
        """Create the draft (or fill the draft `into`, checked first unless already a
        DraftTarget) and mark the entries; the client's options are remembered for next time
        once the journal holds the plan. `entries`: the entries as the preview showed them,
        read again from the tracker right before the draft is created. `recent`: one
        RecentDrafts for the drafts of a run (a month-end), so each reads the drafts once."""
        target = into
        if isinstance(into, str):
            try:
                target = await self.check_target(billomat, into, plan.client_id)
            except TargetError as exc:
                return Created("target", error=str(exc))
            except TimebillError as exc:
                return Created("refused", error=str(exc), auth=isinstance(exc, AuthenticationError))
        try:
            result = await transaction.create_invoice(
                plan,
                source=source,
                billomat=billomat,
                journal=self.journal,
                account=self.account,
                into_draft=target.invoice_id if isinstance(target, DraftTarget) else None,
                progress=progress,
                entries=entries,
                recent=recent,
            )
        except PlanChangedError as exc:
            return Created("changed", error=str(exc), changes=exc.changes)
        except EntriesInProgressError as exc:
            return Created("held", error=str(exc), held=len(exc.entry_ids))
        except BillingError as exc:
            return Created("failed", error=str(exc))
        except TimebillError as exc:
            return Created("refused", error=str(exc), auth=isinstance(exc, AuthenticationError))
        self.remember_options(plan.client_id, options)
        if result.state == "abandoned":
            return Created("abandoned", result, result.message)
        if result.state != "done":
            return Created("unfinished", result, result.message)
        return Created("done", result)

    def remember_options(self, client_id: str, options: PlanOptions) -> None:
        """The one place a client's options are remembered (after a create)."""
        assign.remember_client_options(self.journal, self.account, client_id, options)

    def remember_texts(self, client_id: str, options: PlanOptions) -> None:
        """The client's invoice texts alone, saved in the app (assign.remember_client_texts)."""
        assign.remember_client_texts(self.journal, self.account, client_id, options)

    # -- resume and sync (timebill.core.billing.transaction) -------------------------------
    def unfinished(self) -> list[PlanRecord]:
        return self.journal.unfinished(self.account)

    async def resume(
        self, *, source: TimeSource, billomat: Any, progress: Progress | None = None
    ) -> list[BillingResult]:
        """Finish every unfinished plan of this account, oldest first."""
        return await transaction.resume(
            source=source,
            billomat=billomat,
            journal=self.journal,
            account=self.account,
            progress=progress,
        )

    async def sweep(self, billomat: Any) -> list[SweepAction]:
        """Remove late copies of drafts and lines (a lost request that landed after all)."""
        return await drafts.sweep(billomat=billomat, journal=self.journal, account=self.account)

    async def sync_report(self, billomat: Any) -> SyncReport:
        """Unfinished plans, swept copies, drafts proven gone and those only looking gone."""
        return await sync.check(billomat=billomat, journal=self.journal, account=self.account)

    async def deleted_drafts(self, billomat: Any) -> list[PlanRecord]:
        """Plans whose draft was deleted in Billomat while their entries stay marked billed."""
        return await transaction.deleted_drafts(
            billomat=billomat, journal=self.journal, account=self.account
        )

    async def release(self, record: PlanRecord, *, source: TimeSource) -> MarkResult:
        """Give a deleted draft's entries back to the tracker as open."""
        return await transaction.release(record, source=source, journal=self.journal)
