"""Arguments of `timebill invoice`, `resume`, `sync` and `abandon` (argparse only: kept light so that
`timebill --help` does not load pydantic or httpx)."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation

from timebill.core.errors import UsageError
from timebill.core.invoicing.choices import GROUPINGS, ROUND_PER, ROUND_TO

# --round takes "none" for 0 (exact durations).
ROUNDINGS = tuple("none" if step == 0 else str(step) for step in ROUND_TO)
# An hourly rate above this is a typo (a day or month rate, an extra zero), not a price.
MAX_RATE = Decimal(100_000)


def parse_number(text: str, flag: str, *, upper: Decimal | int) -> Decimal:
    """`--rate`/`--vat`: a plain decimal between 0 and `upper`. NaN and Infinity are not
    amounts, and a huge exponent (1e400) would overflow the cent arithmetic later."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UsageError(f"{flag} {text!r} is not a number (use a dot: 19.5).") from None
    if not value.is_finite():
        raise UsageError(f"{flag} {text!r} is not a number (use digits, e.g. 95 or 19.5).")
    if value < 0 or value > upper:
        raise UsageError(f"{flag} {text!r} is out of range (0 to {upper}).")
    return value


TAX_RULES = ("auto", "domestic", "reverse-charge", "outside-eu", "no-tax")


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    invoice = sub.add_parser(
        "invoice",
        parents=[common],
        help="create a Billomat draft from a customer's open entries (or --all-customers)",
        description="Plan a draft from the open billable entries of a period, show it, and create "
        "it after confirmation; the entries are then marked billed in the tracker.",
    )
    who = invoice.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", metavar="NAME", help="the tracker's customer name or id")
    who.add_argument(
        "--all-customers", action="store_true", help="month-end run: one draft per Billomat client"
    )
    invoice.add_argument(
        "--from", dest="start", metavar="DATE", help="first day (default: first of last month)"
    )
    invoice.add_argument(
        "--to", dest="end", metavar="DATE", help="last day (default: end of last month)"
    )
    invoice.add_argument(
        "--period",
        choices=("this-month", "last-month", "this-quarter", "last-quarter"),
        help="a preset instead of --from/--to",
    )
    invoice.add_argument(
        "--group-by",
        choices=GROUPINGS,
        help="one line per ... (default: the client's last choice, else service)",
    )
    invoice.add_argument(
        "--round",
        choices=ROUNDINGS,
        help="round durations up to N minutes (default: the client's last choice, else none)",
    )
    invoice.add_argument(
        "--round-per",
        choices=ROUND_PER,
        help="apply rounding per entry or per line (default: the client's last choice, else entry)",
    )
    invoice.add_argument(
        "--rate",
        metavar="AMOUNT",
        help="hourly rate for this client, before article prices and tracker rates; "
        "remembered for the client ('none' forgets it)",
    )
    invoice.add_argument(
        "--vat",
        metavar="PERCENT",
        help="VAT rate for lines whose article names none; 0 = every line 0 %%: a client "
        "whose tax rule gives 0 %% keeps its note, a domestic one gets the reverse-charge note "
        "(remembered for the client)",
    )
    invoice.add_argument(
        "--tax-rule",
        choices=TAX_RULES,
        help="VAT treatment for this client instead of its Billomat tax rule (auto: the rule; "
        "remembered for the client)",
    )
    add_text_flags(invoice)
    invoice.add_argument(
        "--allow-implausible",
        action="store_true",
        help="bill entries that look wrong (over 24 h on a day, a negative rate) as they are",
    )
    invoice.add_argument(
        "--client", metavar="ID", help="the Billomat client id (overrides the remembered one)"
    )
    invoice.add_argument(
        "--create-client",
        action="store_true",
        help="create the customer's Billomat client (named like it) when none is assigned "
        "or has its name",
    )
    invoice.add_argument(
        "--article",
        metavar="SERVICE=ID",
        action="append",
        default=[],
        help="map a tracker service (name or id) to a Billomat article id; repeatable",
    )
    invoice.add_argument("--into-draft", metavar="ID", help="add the lines to this existing draft")
    invoice.add_argument("--dry-run", action="store_true", help="show the plan, create nothing")
    invoice.add_argument("--yes", "-y", action="store_true", help="do not ask before creating")

    sub.add_parser(
        "resume", parents=[common], help="finish invoices a crash or a failure left unfinished"
    )
    sync = sub.add_parser(
        "sync",
        parents=[common],
        help="find drafts deleted in Billomat and release their entries in the tracker",
    )
    sync.add_argument("--yes", "-y", action="store_true", help="release without asking")
    add_abandon(sub, common)


# --flag -> (PlanOptions field, help). The texts are templates (README: Invoice texts).
TEXT_FLAGS = {
    "--title": ("invoice_title_template", "the invoice title; '' for the default"),
    "--intro": ("intro", "the text above the lines; '' for the Billomat account's"),
    "--closing-note": (
        "note",
        "the text below the lines; '' for the Billomat account's (payment terms)",
    ),
    "--line-title": ("title_template", "each line's title, e.g. '{project}: {service}'"),
    "--line-text": ("description_template", "each line's description (default '{notes}')"),
}


def add_text_flags(invoice: argparse.ArgumentParser) -> None:
    texts = invoice.add_argument_group(
        "invoice texts",
        "Templates, remembered for the client. Invoice texts may use {period} {date} {start} "
        "{end} {client} {customer}; lines also {service} {project} {user} {article} {note} "
        "{hours}.",
    )
    for flag, (field, text) in TEXT_FLAGS.items():
        texts.add_argument(flag, dest=field, metavar="TEXT", help=text)


def add_abandon(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    command = sub.add_parser(
        "abandon",
        parents=[common],
        help="give up an unfinished invoice: delete or keep its draft, release its entries",
        description="Give up a plan `timebill resume` cannot finish (its target draft was "
        "deleted, an entry is gone, ...). The entries it marked billed are released in the "
        "tracker; its draft is deleted or kept as you choose. `timebill sync` lists plan ids.",
    )
    command.add_argument("plan", metavar="PLAN", help="the plan id (its first 8 characters do)")
    what = command.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--delete-draft",
        action="store_true",
        help="delete the plan's draft (or its lines in an existing draft)",
    )
    what.add_argument("--keep-draft", action="store_true", help="leave the draft in Billomat")
    command.add_argument("--yes", "-y", action="store_true", help="do not ask before abandoning")
