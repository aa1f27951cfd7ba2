"""`timebill abandon PLAN --delete-draft | --keep-draft`: give up a plan that cannot be finished.

The draft (or, for `--into-draft` plans, the plan's lines in it) is deleted or kept as chosen,
and exactly the entries the plan marked billed are released in the tracker
(timebill.core.billing.abandon). Exit codes: 0 abandoned, 1 failed (the plan stays as it was,
or the message says what is left), 2 no plan has that id, 5 not confirmed.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from timebill.core.billing.abandon import UnknownPlanError, abandon, find_plan
from timebill.core.billing.journal import Journal
from timebill.core.cli.invoice import EXIT_DECLINED, EXIT_FAILED, EXIT_OK, Ask, ask_stdin, say, warn
from timebill.core.connect import open_billomat, open_journal, open_source
from timebill.core.errors import UsageError
from timebill.core.text import counted, one_line


def run(settings: Any, args: argparse.Namespace, ask: Ask = ask_stdin) -> int:
    with open_journal(settings) as journal:
        return asyncio.run(_abandon(settings, args, journal, ask))


async def _abandon(settings: Any, args: argparse.Namespace, journal: Journal, ask: Ask) -> int:
    try:
        record = find_plan(journal, args.plan)
    except UnknownPlanError as exc:
        raise UsageError(
            f"{exc} `timebill sync` lists the unfinished plans with their ids."
        ) from None
    plan = record.plan
    draft = record.into_draft or record.invoice_id or "not created (or not known)"
    say(
        f"Plan {record.id[:8]} for {one_line(plan.client_name or plan.client_id)}: {record.state}, "
        f"{counted(len(record.entry_ids), 'entry', 'entries')} ({len(record.marked_ids)} marked billed), draft {draft}."
    )
    action = "delete its draft" if args.delete_draft else "keep its draft"
    if record.into_draft:
        action = "remove its lines from draft" if args.delete_draft else "keep its lines in draft"
        action += f" {record.into_draft}"
    if not args.yes and not ask(
        f"Abandon it: {action} and release {counted(len(record.marked_ids), 'entry', 'entries')}?"
    ):
        say("Not confirmed: nothing changed.")
        return EXIT_DECLINED
    async with open_billomat(settings) as billomat, open_source(settings) as source:
        result = await abandon(
            record.id,
            delete_draft=args.delete_draft,
            billomat=billomat,
            source=source,
            journal=journal,
        )
    for deleted in result.deleted:
        say(f"Deleted {'line' if record.into_draft else 'draft'} {deleted}.")
    if not result.ok:
        warn(f"timebill: {result.message}")
        for entry_id, why in list(result.failed.items())[:10]:
            warn(f"  {entry_id}: {why}")
        return EXIT_FAILED
    say(result.message)
    return EXIT_OK
