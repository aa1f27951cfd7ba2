"""`timebill invoice` flags turned into what the billing service takes: option overrides
(`--group-by`, `--round`, `--rate`, `--vat`, the texts ...) and article choices (`--article`)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from timebill.core.billing import assign
from timebill.core.cli.invoice_args import MAX_RATE, TEXT_FLAGS, parse_number
from timebill.core.errors import PlanError, UsageError
from timebill.core.invoicing.texts import check_templates
from timebill.core.models import Article, Service


def option_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line (None: not given; assign.CLEAR: `--rate none`)."""
    flags: dict[str, Any] = {
        "grouping": args.group_by,
        "round_to": None
        if args.round is None
        else (0 if args.round == "none" else int(args.round)),
        "round_per": args.round_per,
        "tax_rule": args.tax_rule.replace("-", "_") if args.tax_rule else None,
    }
    flags.update(_texts(args))
    try:
        if args.rate is not None and args.rate.strip().lower() == "none":
            flags["rate_override"] = assign.CLEAR
        elif args.rate is not None:
            flags["rate_override"] = _decimal(args.rate, "--rate")
        if args.vat is not None:
            flags["default_vat"] = _decimal(args.vat, "--vat")
            flags["reverse_charge"] = flags["default_vat"] == 0
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return flags


def _texts(args: argparse.Namespace) -> dict[str, Any]:
    """--title, --intro ... as option overrides, each template checked here: a placeholder
    that does not exist is a usage error before anything is read or created."""
    flags: dict[str, Any] = {}
    for flag, (field, _help) in TEXT_FLAGS.items():
        value = getattr(args, field, None)
        if value is None:
            continue
        try:
            check_templates({field: value})
        except PlanError as exc:
            raise UsageError(f"{flag}: {exc}") from None
        # An empty title is no title: back to the default, which fits the grouping.
        flags[field] = assign.CLEAR if not value and field.endswith("title_template") else value
    return flags


def _decimal(text: str, flag: str) -> Decimal:
    return parse_number(text, flag, upper=100 if flag == "--vat" else MAX_RATE)


def article_choice(
    values: list[str], services: list[Service], articles: tuple[Article, ...]
) -> dict[str, str]:
    """`--article SERVICE=ID` by service name (case-insensitive) or id; the article must exist
    (checked here, before anything is remembered)."""
    known = {article.id for article in articles}
    chosen: dict[str, str] = {}
    for value in values:
        service_ref, sep, article_id = value.partition("=")
        if not sep or not service_ref.strip() or not article_id.strip():
            raise UsageError(
                f"--article {value!r}: expected SERVICE=ARTICLE_ID, e.g. --article Entwicklung=901."
            )
        match = next(
            (s for s in services if s.id == service_ref.strip()), None
        ) or assign.exact_match(service_ref, services, "name")
        if match is None:
            raise UsageError(
                f"--article {value!r}: the tracker has no service {service_ref.strip()!r}."
            )
        if article_id.strip() not in known:
            raise UsageError(
                f"--article {value!r}: Billomat has no article with id {article_id.strip()}."
            )
        chosen[match.id] = article_id.strip()
    return chosen
