"""`timebill invoice --all-customers`: the month-end run.

One plan per Billomat client with open billable entries (timebill.core.billing.month_end), shown
and created one after another. Each plan is its own journal transaction, so a failure in one
leaves the others intact.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from typing import Any

from timebill.core.billing.drafts import RecentDrafts
from timebill.core.billing.month_end import month_end_queue
from timebill.core.billing.service import BillingService
from timebill.core.cli.console import (
    EXIT_CHANGED,
    EXIT_DECLINED,
    EXIT_FAILED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_SKIPPED,
    EXIT_UNFINISHED,
    Ask,
    changed_text,
    say,
    say_swept,
    show_progress,
    warn,
)
from timebill.core.cli.exit_codes import worst
from timebill.core.cli.invoice_flags import article_choice
from timebill.core.cli.plan_view import render_plan
from timebill.core.models import Service
from timebill.core.money import format_amount as money
from timebill.core.text import clean, counted


async def month_end(
    service: BillingService,
    *,
    source: Any,
    billomat: Any,
    start: dt.date,
    end: dt.date,
    services: list[Service],
    overrides: dict[str, Any],
    args: argparse.Namespace,
    ask: Ask,
) -> int:
    if not args.dry_run:
        # Late copies of earlier drafts go first, so they are not counted as billed work.
        say_swept(await service.sweep(billomat))
    entries, catalog = await asyncio.gather(
        source.entries(start, end, billable=True, billed=False),
        service.load_catalog(billomat, include_archived=True),
    )
    queue = month_end_queue(
        service,
        entries,
        overrides=overrides,
        article_choice=article_choice(args.article, services, catalog.articles),
        remember=not args.dry_run,
    )
    for note in queue.notes:
        say(f"Assigned {note}.")
    plans = [row for row in queue.rows if row.kind == "plan"]
    failed = [row for row in queue.rows if row.kind == "failed"]
    unassigned = [row for row in queue.rows if row.kind == "unassigned"]
    for row in unassigned:
        near = service.similar_clients(row.name, limit=2)
        hint = ", ".join(f"{clean(c.name)} ({c.id})" for c in near)
        warn(
            f"Skipped {clean(row.name)}: {len(row.entry_ids)} open entries but no "
            "Billomat client. Assign one once with `timebill invoice --customer "
            f'"{clean(row.name)}" --client ID`' + (f" (similar: {hint})" if hint else "") + "."
        )
    for row in failed:
        warn(f"Skipped {clean(row.name)}: {row.message}")
    # Customers with open entries the run leaves alone: they need the user (exit 7), unlike a
    # run that failed (exit 1).
    skipped = [row.name for row in (*unassigned, *failed)]
    if not plans:
        say(
            f"Nothing to bill from {start:%d.%m.%Y} to {end:%d.%m.%Y}"
            + _skipped_text(skipped)
            + "."
        )
        return EXIT_SKIPPED if skipped else EXIT_NOTHING

    say(f"Month-end run {start:%d.%m.%Y} – {end:%d.%m.%Y}: {len(plans)} drafts to create.\n")
    codes: list[int] = []
    created = 0
    recent = RecentDrafts()  # each draft reads the account's drafts once, not twice
    for number, row in enumerate(plans, start=1):
        plan, options = row.plan, row.options
        assert plan is not None and options is not None
        say(f"[{number}/{len(plans)}] " + render_plan(plan))
        if args.dry_run:
            say("")
            continue
        if plan.implausible and not args.allow_implausible:
            warn(
                f"  skipped: {len(plan.implausible)} implausible entries (see above); correct "
                "them in the tracker, or pass --allow-implausible.\n"
            )
            skipped.append(row.name)
            continue
        if not args.yes and not ask("Create this draft?"):
            say("  not confirmed: skipped.\n")
            codes.append(EXIT_DECLINED)
            continue
        outcome = await service.create(
            plan,
            options,
            source=source,
            billomat=billomat,
            progress=show_progress,
            entries=entries,
            recent=recent,
        )
        if outcome.kind == "changed":
            warn("  " + changed_text(outcome.changes).replace("\n", "\n  ") + "\n")
            codes.append(EXIT_CHANGED)
            continue
        result = outcome.result
        if result is None:  # nothing created: held by another plan, refused, failed
            warn(f"  failed: {outcome.error}\n")
            codes.append(EXIT_FAILED)
            continue
        if result.state == "done":
            created += 1
            say(
                f"  draft {result.invoice_number or '-'} (id {result.invoice_id}) created, "
                f"{counted(len(result.marked), 'entry', 'entries')} marked billed, gross {money(plan.total_gross, plan.currency)}.\n"
            )
        else:
            warn(f"  {result.message}\n")
            codes.append(EXIT_UNFINISHED)
    if args.dry_run:
        say("Dry run: nothing created" + _skipped_text(skipped) + ".")
    else:
        say(f"Created {created} of {len(plans)} drafts" + _skipped_text(skipped) + ".")
    return worst([*codes, EXIT_SKIPPED if skipped else EXIT_OK])


def _skipped_text(names: list[str]) -> str:
    if not names:
        return ""
    return f"; skipped {len(names)} customer{'s' if len(names) > 1 else ''}: " + ", ".join(
        clean(name) for name in names
    )
