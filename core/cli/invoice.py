"""`timebill invoice`, `timebill resume`, `timebill sync`: billing without the app (cron, scripts).

Exit codes: 0 done (or a dry run shown), 1 failed (nothing created unless the message says so),
3 nothing to bill, 4 a draft was created but some entries are not marked yet (`timebill resume`),
5 not confirmed at the prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from timebill.core.billing import assign, planlock
from timebill.core.billing.journal import Journal
from timebill.core.billing.transaction import (
    BillingResult,
    create_invoice,
    deleted_drafts,
    release,
    resume,
)
from timebill.core.cli.entries import find_customer
from timebill.core.cli.plan_view import draft_total_line, implausible_lines, money, render_plan
from timebill.core.connect import open_billomat, open_journal, open_source, tracker_account
from timebill.core.errors import TimebillError
from timebill.core.invoicing.builder import (
    NothingToBillError,
    PlanOptions,
    PlanResult,
    SkippedEntry,
    build_plan,
    open_entries,
)
from timebill.core.invoicing.texts import SKIP_MESSAGES
from timebill.core.models import Article, BillomatClient, Customer, Service, Tax, TimeEntry
from timebill.core.periods import period_text
from timebill.core.periods import resolve as resolve_period
from timebill.core.text import clean, one_line

EXIT_OK, EXIT_FAILED, EXIT_NOTHING, EXIT_UNFINISHED, EXIT_DECLINED = 0, 1, 3, 4, 5

Ask = Callable[[str], bool]


def ask_stdin(question: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        print(f"{question} -- no terminal to ask: pass --yes to confirm.", file=sys.stderr)
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes", "j", "ja")
    except EOFError:
        return False


def say(text: str = "") -> None:
    print(text, flush=True)


def warn(text: str) -> None:
    # Warnings carry services' error texts: data, never acted on by the terminal.
    print(clean(text, keep_newlines=True), file=sys.stderr, flush=True)


def run(command: str, settings: Any, args: argparse.Namespace, ask: Ask = ask_stdin) -> int:
    handler = {"invoice": _invoice, "resume": _resume, "sync": _sync}[command]
    with open_journal(settings) as journal:
        return asyncio.run(handler(settings, args, journal, ask))


@dataclass
class BillomatData:
    clients: list[BillomatClient]
    articles: list[Article]
    taxes: list[Tax]


def _progress(stage: str, done: int, total: int) -> None:
    if stage == "marking" and total:
        warn(f"  marking entries billed: {done}/{total}")


def _article_choice(
    values: list[str], services: list[Service], articles: list[Article]
) -> dict[str, str]:
    """`--article SERVICE=ID` by service name (case-insensitive) or id; the article must exist
    (checked here, before anything is remembered)."""
    known = {article.id for article in articles}
    chosen: dict[str, str] = {}
    for value in values:
        service_ref, sep, article_id = value.partition("=")
        if not sep or not service_ref.strip() or not article_id.strip():
            raise TimebillError(
                f"--article {value!r}: expected SERVICE=ARTICLE_ID, e.g. --article Entwicklung=901."
            )
        match = next(
            (s for s in services if s.id == service_ref.strip()), None
        ) or assign.exact_match(service_ref, services, "name")
        if match is None:
            raise TimebillError(
                f"--article {value!r}: the tracker has no service {service_ref.strip()!r}."
            )
        if article_id.strip() not in known:
            raise TimebillError(
                f"--article {value!r}: Billomat has no article with id {article_id.strip()}."
            )
        chosen[match.id] = article_id.strip()
    return chosen


def _options(args: argparse.Namespace, settings: Any) -> tuple[PlanOptions, dict[str, Any]]:
    base = PlanOptions(default_vat=settings.invoice.default_vat)
    flags: dict[str, Any] = {
        "grouping": args.group_by,
        "round_to": None
        if args.round is None
        else (0 if args.round == "none" else int(args.round)),
        "round_per": args.round_per,
        "tax_rule": args.tax_rule.replace("-", "_") if args.tax_rule else None,
    }
    try:
        if args.rate is not None and args.rate.strip().lower() == "none":
            flags["rate_override"] = assign.CLEAR
        elif args.rate is not None:
            flags["rate_override"] = _decimal(args.rate, "--rate")
        if args.vat is not None:
            flags["default_vat"] = _decimal(args.vat, "--vat")
            flags["reverse_charge"] = flags["default_vat"] == 0
    except ValueError as exc:
        raise TimebillError(str(exc)) from None
    return base, flags


def _decimal(text: str, flag: str) -> Any:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{flag} {text!r} is not a number (use a dot: 19.5).") from None
    if value < 0 or (flag == "--vat" and value > 100):
        raise ValueError(f"{flag} {text!r} is out of range.")
    return value


async def _load_billomat(billomat: Any) -> BillomatData:
    clients, articles, taxes = await asyncio.gather(
        billomat.clients(), billomat.articles(), billomat.taxes()
    )
    return BillomatData(clients, articles, taxes)


async def _invoice(settings: Any, args: argparse.Namespace, journal: Journal, ask: Ask) -> int:
    if args.all_customers and (args.client or args.into_draft):
        flag = "--client" if args.client else "--into-draft"
        raise TimebillError(
            f"{flag} names one client's draft: use it with --customer, not --all-customers."
        )
    start, end = resolve_period(args.start, args.end, args.period)
    account = tracker_account(settings)
    base, flags = _options(args, settings)
    async with open_source(settings) as source, open_billomat(settings) as billomat:
        customers, services = await asyncio.gather(source.customers(), source.services())
        if args.all_customers:
            from timebill.core.cli.month_end import month_end

            return await month_end(
                source=source,
                billomat=billomat,
                journal=journal,
                account=account,
                start=start,
                end=end,
                base=base,
                flags=flags,
                args=args,
                ask=ask,
            )
        customer = find_customer(customers, args.customer)
        entries, data = await asyncio.gather(
            source.entries(start, end, customer_id=customer.id), _load_billomat(billomat)
        )
        result = _plan(
            entries,
            start,
            end,
            customer,
            services,
            data,
            journal,
            account,
            base,
            flags,
            args,
        )
        if result is None:
            return EXIT_FAILED
        if isinstance(result, str):
            say(result)
            return EXIT_NOTHING
        plan_result, options = result
        plan = plan_result.plan
        # The period as resolved from what was typed (01.11.26 is 2026).
        say(f"Period: {period_text(start, end)}")
        say(render_plan(plan, plan_result.skipped))
        if args.into_draft:
            draft, before, after = await billomat.draft_totals(args.into_draft, plan.lines)
            if draft.status != "DRAFT" or draft.client_id != plan.client_id:
                warn(
                    f"timebill: invoice {args.into_draft} is not a draft of this client "
                    f"(status {draft.status}, client {draft.client_id}); nothing created."
                )
                return EXIT_FAILED
            say(draft_total_line(draft.invoice_number or draft.id, before, after, plan.currency))
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
        target = f"draft {args.into_draft}" if args.into_draft else "a new draft"
        if not args.yes and not ask(
            f"\nCreate {target} in Billomat and mark {len(plan_result.plan.entry_ids)} entries billed?"
        ):
            say("Not confirmed: nothing created.")
            return EXIT_DECLINED
        outcome = await create_invoice(
            plan_result.plan,
            source=source,
            billomat=billomat,
            journal=journal,
            account=account,
            into_draft=args.into_draft,
            progress=_progress,
        )
        assign.remember_client_options(journal, account, plan_result.plan.client_id, options)
        if outcome.state == "done" and outcome.into_draft and outcome.invoice_id:
            now = await billomat.invoice(outcome.invoice_id)
            say(
                f"Draft {now.invoice_number or now.id} now: net {money(now.total_net, plan.currency)}, "
                f"gross {money(now.total_gross, plan.currency)}, service period {now.supply_date}."
            )
        return _report(outcome, settings, lines=len(plan_result.plan.lines))


def _plan(
    entries: list[TimeEntry],
    start: dt.date,
    end: dt.date,
    customer: Customer,
    services: list[Service],
    data: BillomatData,
    journal: Journal,
    account: str,
    base: PlanOptions,
    flags: dict[str, Any],
    args: argparse.Namespace,
) -> tuple[PlanResult, PlanOptions] | str | None:
    client_choice = {customer.id: args.client} if args.client else None
    if args.client and not any(c.id == args.client for c in data.clients):
        warn(f"timebill: Billomat has no client with id {args.client}; nothing created.")
        return None
    held = journal.held(account)
    candidates, skipped = open_entries(entries, in_progress=held, language="en")
    if not candidates:
        busy = elsewhere(journal, account, skipped)
        return nothing_to_bill(clean(customer.name), start, end, skipped, busy=busy)
    used_services = {e.service_id: e.service_name or "" for e in candidates if e.service_id}
    resolution = assign.resolve(
        journal,
        account,
        customers={customer.id: customer.name},
        services=used_services,
        clients=data.clients,
        articles=data.articles,
        taxes=data.taxes,
        client_choice=client_choice,
        article_choice=_article_choice(args.article, services, data.articles),
        remember=not args.dry_run,
    )
    for note in resolution.notes:
        say(f"Assigned {note}.")
    if customer.id in resolution.unassigned_customers:
        near = assign.suggestions(customer.name, data.clients, "name", limit=3)
        hint = ", ".join(f"{clean(c.name)} ({c.id})" for c in near)
        warn(
            f"timebill: customer {clean(customer.name)} has no Billomat client yet: pass "
            f"--client ID" + (f" (similar: {hint})" if hint else "") + ". Nothing created."
        )
        return None
    client_id = resolution.assignments.clients[customer.id]
    client = resolution.assignments.client(client_id)
    options = assign.client_options(journal, account, client, base, flags)
    rate = "the client's rate" if options.rate_override is not None else "the tracker's rate"
    for service_id, name in resolution.free_text_services.items():
        say(
            f"Service {clean(name)} ({service_id}) has no Billomat article: free-text line at {rate}."
        )
    try:
        result = build_plan(
            entries,
            resolution.assignments,
            options,
            client_id=client_id,
            customer_ids={customer.id},
            in_progress=held,
        )
    except NothingToBillError:
        return nothing_to_bill(clean(customer.name), start, end, skipped)
    return result, options


def elsewhere(journal: Journal, account: str, skipped: Sequence[SkippedEntry]) -> int:
    """How many of the skipped in-progress entries another timebill session (another SSH
    login, the app) is billing right now: their plan's lock is held (timebill.core.billing.planlock)."""
    waiting = {item.entry_id for item in skipped if item.reason == "in_progress"}
    if not waiting:
        return 0
    count = 0
    for record in journal.unfinished(account):
        mine = waiting.intersection(record.entry_ids)
        if mine and planlock.busy(journal.path, record.id):
            count += len(mine)
    return count


def nothing_to_bill(
    who: str, start: dt.date, end: dt.date, skipped: Sequence[SkippedEntry], *, busy: int = 0
) -> str:
    """Why there is nothing to bill, in the CLI's language (the plan's texts may be German).
    `busy`: how many of the entries another session is billing right now."""
    counts = Counter(SKIP_MESSAGES["en"][item.reason] for item in skipped)
    detail = ", ".join(f"{n} {why}" for why, n in counts.most_common())
    unfinished = any(item.reason == "in_progress" for item in skipped)
    if busy:
        after = (
            f" Another timebill session is billing {busy} of these entries right now; "
            "if it does not finish, `timebill resume` does."
        )
    elif unfinished:
        after = " Run `timebill resume` to finish the unfinished invoice."
    else:
        after = ""
    return (
        f"No billable entries for {who} from {start:%d.%m.%Y} to {end:%d.%m.%Y}"
        + (f" ({detail})" if detail else " (the tracker lists no entries in this period)")
        + ". Nothing created."
        + after
    )


def _report(outcome: BillingResult, settings: Any, *, lines: int) -> int:
    if outcome.state == "done":
        again = " (found again after an interrupted run)" if outcome.found_existing else ""
        draft = f"draft {outcome.invoice_number or '-'} (id {outcome.invoice_id})"
        done = f"{lines} lines added to {draft}" if outcome.into_draft else f"D{draft[1:]} created"
        say(f"{done}{again}; {len(outcome.marked)} entries marked billed.")
        say(f"Open it in Billomat: {invoice_url(settings, outcome.invoice_id)}")
        return EXIT_OK
    warn(f"timebill: {outcome.message}")
    return EXIT_UNFINISHED if outcome.state == "created" else EXIT_FAILED


def invoice_url(settings: Any, invoice_id: str | None) -> str:
    # UNCERTAIN: Billomat's web address of an invoice; this is the form its web app uses.
    b = settings.billomat
    host = (b.base_url or f"https://{b.billomat_id}.billomat.net").rstrip("/")
    return f"{host}/app/invoices/show/entityId/{invoice_id}"


async def _resume(settings: Any, args: argparse.Namespace, journal: Journal, ask: Ask) -> int:
    account = tracker_account(settings)
    unfinished = journal.unfinished(account)
    if not unfinished:
        say("Nothing to resume: every invoice is finished.")
        return EXIT_OK
    async with open_source(settings) as source, open_billomat(settings) as billomat:
        results = await resume(
            source=source, billomat=billomat, journal=journal, account=account, progress=_progress
        )
    code = EXIT_OK
    for outcome in results:
        if outcome.state == "done":
            how = "found in Billomat" if outcome.found_existing else "created"
            say(
                f"Plan {outcome.plan_id[:8]}: draft {outcome.invoice_number or outcome.invoice_id} {how}, entries marked billed."
            )
        elif outcome.state == "abandoned":
            say(f"Plan {outcome.plan_id[:8]}: dropped. {outcome.message}")
        else:
            warn(f"Plan {outcome.plan_id[:8]}: still unfinished. {outcome.message}")
            code = EXIT_UNFINISHED
    return code


async def _sync(settings: Any, args: argparse.Namespace, journal: Journal, ask: Ask) -> int:
    account = tracker_account(settings)
    async with open_billomat(settings) as billomat:
        gone = await deleted_drafts(billomat=billomat, journal=journal, account=account)
    if not gone:
        say("In sync: every draft timebill created still exists in Billomat.")
        return EXIT_OK
    code = EXIT_OK
    async with open_source(settings) as source:
        for record in gone:
            plan = record.plan
            say(
                f"Draft {record.invoice_number or record.invoice_id} for {one_line(plan.client_name or plan.client_id)} "
                f"({plan.service_start:%d.%m.%Y} – {plan.service_end:%d.%m.%Y}, {len(record.entry_ids)} entries, "
                f"net {money(plan.total_net, plan.currency)}) was deleted in Billomat."
            )
            if not args.yes and not ask(
                "Release its entries in the tracker, so they can be billed again?"
            ):
                say("  kept as billed.")
                continue
            result = await release(record, source=source, journal=journal)
            if result.failed:
                warn(
                    f"  {len(result.failed)} entries could not be released: "
                    + "; ".join(f"{k}: {v}" for k, v in list(result.failed.items())[:5])
                )
                code = EXIT_FAILED
            else:
                say(f"  released {len(result.succeeded)} entries.")
    return code
