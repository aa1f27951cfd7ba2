"""`timebill invoice --all-customers`: the month-end run.

One plan per Billomat client with open billable entries, shown and created one after another.
Each plan is its own journal transaction, so a failure in one leaves the others intact.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from timebill.core.billing import assign
from timebill.core.billing.journal import EntriesInProgressError, Journal
from timebill.core.billing.transaction import BillingError, create_invoice
from timebill.core.cli.invoice import (
    EXIT_FAILED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_UNFINISHED,
    Ask,
    _article_choice,
    _load_billomat,
    _progress,
    say,
    warn,
)
from timebill.core.cli.plan_view import money, render_plan
from timebill.core.errors import TimebillError
from timebill.core.invoicing.builder import PlanOptions, plans_by_client
from timebill.core.text import clean


async def month_end(
    *,
    source: Any,
    billomat: Any,
    journal: Journal,
    account: str,
    start: Any,
    end: Any,
    base: PlanOptions,
    flags: dict[str, Any],
    args: argparse.Namespace,
    ask: Ask,
) -> int:
    entries, data, services = await asyncio.gather(
        source.entries(start, end, billable=True, billed=False),
        _load_billomat(billomat),
        source.services(),
    )
    customers = {e.customer_id: e.customer_name or "" for e in entries if e.customer_id}
    used_services = {e.service_id: e.service_name or "" for e in entries if e.service_id}
    resolution = assign.resolve(
        journal,
        account,
        customers=customers,
        services=used_services,
        clients=data.clients,
        articles=data.articles,
        taxes=data.taxes,
        article_choice=_article_choice(args.article, services, data.articles),
        remember=not args.dry_run,
    )
    for note in resolution.notes:
        say(f"Assigned {note}.")
    assignments = resolution.assignments
    client_options = {
        client_id: assign.client_options(
            journal, account, assignments.client(client_id), base, flags
        )
        for client_id in set(assignments.clients.values())
    }
    run = plans_by_client(
        entries, assignments, base, client_options=client_options, in_progress=journal.held(account)
    )
    for customer in run.unassigned:
        near = assign.suggestions(customer.customer_name, data.clients, "name", limit=2)
        hint = ", ".join(f"{clean(c.name)} ({c.id})" for c in near)
        warn(
            f"Skipped {clean(customer.customer_name)}: {len(customer.entry_ids)} open entries but no "
            "Billomat client. Assign one once with `timebill invoice --customer "
            f'"{clean(customer.customer_name)}" --client ID`'
            + (f" (similar: {hint})" if hint else "")
            + "."
        )
    for failure in run.failed:
        warn(f"Skipped {clean(failure.client_name or failure.client_id)}: {failure.error}")
    if not run.plans:
        say(f"Nothing to bill from {start:%d.%m.%Y} to {end:%d.%m.%Y}.")
        # Open entries left without a client are work for the user, not "nothing to do".
        return EXIT_FAILED if run.failed or run.unassigned else EXIT_NOTHING

    say(f"Month-end run {start:%d.%m.%Y} – {end:%d.%m.%Y}: {len(run.plans)} drafts to create.\n")
    code = EXIT_FAILED if run.failed or run.unassigned else EXIT_OK
    created = 0
    for number, result in enumerate(run.plans, start=1):
        plan = result.plan
        say(f"[{number}/{len(run.plans)}] " + render_plan(plan))
        if args.dry_run:
            say("")
            continue
        if plan.implausible and not args.allow_implausible:
            warn(
                f"  skipped: {len(plan.implausible)} implausible entries (see above); correct "
                "them in the tracker, or pass --allow-implausible.\n"
            )
            code = EXIT_FAILED
            continue
        if not args.yes and not ask("Create this draft?"):
            say("  skipped.\n")
            continue
        try:
            outcome = await create_invoice(
                plan,
                source=source,
                billomat=billomat,
                journal=journal,
                account=account,
                progress=_progress,
            )
        except (BillingError, EntriesInProgressError, TimebillError) as exc:
            warn(f"  failed: {exc}\n")
            code = EXIT_FAILED
            continue
        assign.remember_client_options(
            journal, account, plan.client_id, client_options[plan.client_id]
        )
        if outcome.state == "done":
            created += 1
            say(
                f"  draft {outcome.invoice_number or '-'} (id {outcome.invoice_id}) created, "
                f"{len(outcome.marked)} entries marked billed, gross {money(plan.total_gross, plan.currency)}.\n"
            )
        else:
            warn(f"  {outcome.message}\n")
            code = max(code, EXIT_UNFINISHED) if code != EXIT_FAILED else code
    if args.dry_run:
        say("Dry run: nothing created.")
    else:
        say(f"Created {created} of {len(run.plans)} drafts.")
    return code
