"""`timebill invoice`, `timebill resume`, `timebill sync`: billing without the app (cron, scripts).
The billing service (timebill.core.billing.service) does the work; this module shows its answers.

Exit codes: 0 done (or a dry run shown), 1 failed (nothing created unless the message says so),
2 bad usage (an unknown customer, a bad date or flag), 3 nothing to bill, 4 a plan is unfinished:
a draft was created but some entries are not marked yet, or an earlier draft request may still
land (`timebill resume`), 5 not confirmed (at the prompt, or no terminal to ask and no --yes),
6 the planned entries changed in the tracker (billed, locked, deleted, edited) or are on another
timebill draft: nothing was billed, plan again, 7 the month-end run finished but skipped
customers (no Billomat client, implausible entries, a plan that cannot be built).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from timebill.core.billing.outcomes import Created, NoClient, NothingToBill, TargetError
from timebill.core.billing.service import BillingService
from timebill.core.billomat.links import invoice_url
from timebill.core.cli.console import (
    EXIT_CHANGED,
    EXIT_DECLINED,
    EXIT_FAILED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_UNFINISHED,
    Ask,
    ask_stdin,
    changed_text,
    say,
    say_swept,
    show_progress,
    warn,
)
from timebill.core.cli.entries import find_customer
from timebill.core.cli.exit_codes import worst
from timebill.core.cli.invoice_flags import article_choice, option_overrides
from timebill.core.cli.month_end import month_end
from timebill.core.cli.plan_view import draft_total_line, implausible_lines, render_plan
from timebill.core.connect import open_billomat, open_source
from timebill.core.errors import TimebillError, UsageError
from timebill.core.invoicing.texts import SKIP_MESSAGES
from timebill.core.money import format_amount as money
from timebill.core.periods import period_text
from timebill.core.periods import resolve as resolve_period
from timebill.core.settings.model import Settings
from timebill.core.text import clean, counted, one_line


def run(command: str, settings: Settings, args: argparse.Namespace, ask: Ask = ask_stdin) -> int:
    handler = {"invoice": _invoice, "resume": _resume, "sync": _sync}[command]
    with BillingService.open(settings) as service:
        return asyncio.run(handler(service, args, ask))


async def _invoice(service: BillingService, args: argparse.Namespace, ask: Ask) -> int:
    if args.all_customers and (args.client or args.into_draft or args.create_client):
        flag = (
            "--client" if args.client else "--into-draft" if args.into_draft else "--create-client"
        )
        raise UsageError(
            f"{flag} names one client's draft: use it with --customer, not --all-customers."
        )
    start, end = resolve_period(args.start, args.end, args.period)
    overrides = option_overrides(args)
    async with service.connect() as (source, billomat):
        customers, services = await asyncio.gather(source.customers(), source.services())
        if args.all_customers:
            return await month_end(
                service,
                source=source,
                billomat=billomat,
                start=start,
                end=end,
                services=services,
                overrides=overrides,
                args=args,
                ask=ask,
            )
        customer = find_customer(customers, args.customer)
        entries, catalog = await asyncio.gather(
            source.entries(start, end, customer_id=customer.id),
            service.load_catalog(billomat, include_archived=True),
        )
        if args.client and catalog.client(args.client.strip()) is None:
            raise UsageError(unknown_client(service, args.client.strip(), customer.name))
        planned = service.plan_customer(
            entries,
            customer,
            overrides=overrides,
            client_id=args.client,
            article_choice=article_choice(args.article, services, catalog.articles),
            remember=not args.dry_run,
        )
        if isinstance(planned, NothingToBill):
            say(nothing_to_bill(planned, start, end))
            return EXIT_NOTHING
        for note in planned.notes:
            say(f"Assigned {note}.")
        if isinstance(planned, NoClient) and args.create_client and not args.client:
            if args.dry_run:
                say(
                    f"Dry run: would create Billomat client {clean(customer.name)} for "
                    f"{clean(customer.name)}; nothing created."
                )
                return EXIT_OK
            try:
                client = await service.create_client(customer, billomat)
            except TimebillError as exc:
                # An answer lost on the way may hide a client that was created: the next run
                # finds it by its exact name instead of creating a second one.
                warn(
                    f"timebill: creating Billomat client {clean(customer.name)} failed: "
                    f"{clean(str(exc))}. Nothing billed; run the command again (a client "
                    "created after all is then found by its name)."
                )
                return EXIT_FAILED
            say(
                f"Created Billomat client {clean(client.name)} ({client.id}) for "
                f"{clean(customer.name)}."
            )
            planned = service.plan_customer(
                entries,
                customer,
                overrides=overrides,
                article_choice=article_choice(args.article, services, catalog.articles),
            )
            if isinstance(planned, NothingToBill):
                say(nothing_to_bill(planned, start, end))
                return EXIT_NOTHING
            for note in planned.notes:
                say(f"Assigned {note}.")
        if isinstance(planned, NoClient):
            warn(no_client(planned))
            return EXIT_FAILED
        rate = (
            "the client's rate"
            if planned.options.rate_override is not None
            else "the tracker's rate"
        )
        for service_id, name in planned.free_text_services.items():
            say(
                f"Service {clean(name)} ({service_id}) has no Billomat article: free-text line at {rate}."
            )
        plan = planned.result.plan
        target = None
        if args.into_draft:
            try:
                target = await service.check_target(billomat, args.into_draft, plan.client_id)
            except TargetError as exc:  # the id typed cannot take this plan: bad usage
                raise UsageError(str(exc)) from None
        # The period as resolved from what was typed (01.11.26 is 2026).
        say(f"Period: {period_text(start, end)}")
        say(render_plan(plan, planned.result.skipped))
        if target is not None:
            _, before, after = await billomat.draft_totals(target.invoice_id, plan.lines)
            number = target.invoice.invoice_number or target.invoice_id
            say(draft_total_line(number, before, after, plan.currency))
        if plan.implausible and not args.allow_implausible and not args.dry_run:
            for line in implausible_lines(plan):
                warn(line)
            warn(
                f"timebill: {len(plan.implausible)} implausible entries (see above): correct them "
                "in the tracker, or pass --allow-implausible to bill them as they are. Nothing "
                "created."
            )
            return EXIT_FAILED
        if args.dry_run:
            say("\nDry run: nothing created.")
            return EXIT_OK
        where = f"draft {args.into_draft}" if args.into_draft else "a new draft"
        if not args.yes and not ask(
            f"\nCreate {where} in Billomat and mark {counted(len(plan.entry_ids), 'entry', 'entries')} billed?"
        ):
            say("Not confirmed: nothing created.")
            return EXIT_DECLINED
        outcome = await service.create(
            plan,
            planned.options,
            source=source,
            billomat=billomat,
            into=target,
            progress=show_progress,
            entries=entries,
        )
        code = _report(outcome, service.settings, lines=len(plan.lines))
        result = outcome.result
        if result is not None and result.state == "done" and result.into_draft:
            now = await billomat.invoice(result.invoice_id)
            say(
                f"Draft {now.invoice_number or now.id} now: net {money(now.total_net, plan.currency)}, "
                f"gross {money(now.total_gross, plan.currency)}, service period {now.supply_date}."
            )
        return code


def unknown_client(service: BillingService, client_id: str, customer_name: str) -> str:
    """`--client ID` names no Billomat client (archived ones count): the clients named like the
    customer, so the right id is at hand."""
    similar = ", ".join(f"{clean(c.name)} ({c.id})" for c in service.similar_clients(customer_name))
    return (
        f"--client {client_id}: Billomat has no client with this id"
        + (
            f"; clients named like {clean(customer_name)}: {similar}"
            if similar
            else f" nor one named like {clean(customer_name)}; check the id in Billomat, or "
            "pass --create-client instead"
        )
        + ". Nothing created."
    )


def no_client(planned: NoClient) -> str:
    hint = ", ".join(f"{clean(c.name)} ({c.id})" for c in planned.similar)
    return (
        f"timebill: customer {clean(planned.customer_name)} has no Billomat client yet: pass "
        f"--client ID or --create-client"
        + (f" (similar: {hint})" if hint else "")
        + ". Nothing created."
    )


def nothing_to_bill(nothing: NothingToBill, start: dt.date, end: dt.date) -> str:
    """Why there is nothing to bill, in the CLI's language (the plan's texts may be German)."""
    counts = Counter(SKIP_MESSAGES["en"][item.reason] for item in nothing.skipped)
    detail = ", ".join(f"{n} {why}" for why, n in counts.most_common())
    if nothing.busy:
        after = (
            f" Another timebill session is billing {nothing.busy} of these entries right now; "
            "if it does not finish, `timebill resume` does."
        )
    elif nothing.unfinished:
        after = " Run `timebill resume` to finish the unfinished invoice."
    else:
        after = ""
    return (
        f"No billable entries for {clean(nothing.customer_name)} from {start:%d.%m.%Y} to {end:%d.%m.%Y}"
        + (f" ({detail})" if detail else " (the tracker lists no entries in this period)")
        + ". Nothing created."
        + after
    )


def _report(outcome: Created, settings: Any, *, lines: int) -> int:
    result = outcome.result
    if outcome.kind == "changed":
        warn(changed_text(outcome.changes))
        return EXIT_CHANGED
    if result is None:  # nothing was recorded: held by another plan, refused, a wrong target
        warn(f"timebill: {outcome.error}")
        return EXIT_FAILED
    if result.state == "done":
        again = " (found again after an interrupted run)" if result.found_existing else ""
        draft = f"draft {result.invoice_number or '-'} (id {result.invoice_id})"
        done = f"{lines} lines added to {draft}" if result.into_draft else f"D{draft[1:]} created"
        say(f"{done}{again}; {counted(len(result.marked), 'entry', 'entries')} marked billed.")
        say(f"Open it in Billomat: {invoice_url(settings, result.invoice_id)}")
        if result.gone:
            warn(f"timebill: {result.message}")
        return EXIT_OK
    warn(f"timebill: {result.message}")
    return EXIT_UNFINISHED if result.state == "created" else EXIT_FAILED


async def _resume(service: BillingService, args: argparse.Namespace, ask: Ask) -> int:
    async with service.connect() as (source, billomat):
        if not service.unfinished():
            say_swept(await service.sweep(billomat))
            say("Nothing to resume: every invoice is finished.")
            return EXIT_OK
        results = await service.resume(source=source, billomat=billomat, progress=show_progress)
        swept = await service.sweep(billomat)
    code = EXIT_OK
    for outcome in results:
        plan = f"Plan {outcome.plan_id[:8]}"
        if outcome.state == "done":
            how = "found in Billomat" if outcome.found_existing else "created"
            say(
                f"{plan}: draft {outcome.invoice_number or outcome.invoice_id} {how}, entries marked billed."
            )
            if outcome.gone:
                warn(f"{plan}: {outcome.message}")
        elif outcome.state == "abandoned" and outcome.changes:
            say(f"{plan}: dropped, nothing billed: its entries changed since it was planned.")
            for change in outcome.changes:
                say(f"  {change}")
            code = max(code, EXIT_CHANGED)
        elif outcome.state == "abandoned":
            say(f"{plan}: dropped. {outcome.message}")
        elif outcome.waiting_until is not None:
            warn(f"{plan}: waiting. {outcome.message}")
            code = EXIT_UNFINISHED if code == EXIT_OK else code
        else:
            warn(f"{plan}: still unfinished. {outcome.message}")
            code = EXIT_UNFINISHED if code == EXIT_OK else code
    say_swept(swept)
    return code


async def _sync(service: BillingService, args: argparse.Namespace, ask: Ask) -> int:
    async with open_billomat(service.settings) as billomat:
        report = await service.sync_report(billomat)
    code = EXIT_OK
    for record in report.pending:
        since = record.created_at.replace("T", " ")[:16]
        say(
            f"Unfinished: plan {record.id[:8]} for {one_line(record.plan.client_name or record.plan.client_id)} "
            f"({record.state} since {since} UTC, {counted(len(record.entry_ids), 'entry', 'entries')}): "
            f"`timebill resume` finishes it, `timebill abandon {record.id[:8]}` gives it up."
        )
    say_swept(report.swept)
    for item in report.unproven:
        record = item.record
        warn(
            f"Draft {record.invoice_number or record.invoice_id} (plan {record.id[:8]}) looks "
            f"gone, but nothing was released: {item.reason}."
        )
        code = EXIT_FAILED
    if report.account_error:
        warn(f"timebill: {report.account_error}")
        return EXIT_FAILED
    if not report.gone:
        if not report.unproven:
            say("In sync: every draft timebill created still exists in Billomat.")
        return code
    async with open_source(service.settings) as source:
        for record in report.gone:
            plan = record.plan
            say(
                f"Draft {record.invoice_number or record.invoice_id} for {one_line(plan.client_name or plan.client_id)} "
                f"({plan.service_start:%d.%m.%Y} – {plan.service_end:%d.%m.%Y}, {counted(len(record.entry_ids), 'entry', 'entries')}, "
                f"net {money(plan.total_net, plan.currency)}) was deleted in Billomat."
            )
            if not args.yes and not ask(
                "Release its entries in the tracker, so they can be billed again?"
            ):
                say("  kept as billed.")
                code = worst([code, EXIT_DECLINED])
                continue
            result = await service.release(record, source=source)
            if result.failed:
                warn(
                    f"  {counted(len(result.failed), 'entry', 'entries')} could not be released: "
                    + "; ".join(f"{k}: {v}" for k, v in list(result.failed.items())[:5])
                )
                code = EXIT_FAILED
            else:
                say(f"  released {counted(len(result.succeeded), 'entry', 'entries')}.")
    return code
