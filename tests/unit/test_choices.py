"""Groupings and roundings are said once (timebill.core.invoicing.choices): the CLI offers
exactly those, the app cycles through exactly those, and each has a label in both languages."""

from __future__ import annotations

import argparse

from timebill.core.cli.main import build_parser
from timebill.core.invoicing.choices import GROUPINGS, ROUND_PER, ROUND_TO
from timebill.core.invoicing.models import PlanOptions
from timebill.tui.widgets.plan_text import STRINGS


def invoice_choices() -> dict[str, tuple[str, ...]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    invoice = sub.choices["invoice"]
    return {a.dest: tuple(a.choices) for a in invoice._actions if a.choices}


def test_the_cli_offers_the_builders_vocabulary() -> None:
    choices = invoice_choices()
    assert choices["group_by"] == GROUPINGS
    assert choices["round"] == ("none", *(str(step) for step in ROUND_TO[1:]))
    assert choices["round_per"] == ROUND_PER
    assert ROUND_TO[0] == 0  # "none"


def test_every_option_value_is_valid_and_labelled_in_both_languages() -> None:
    for grouping in GROUPINGS:
        PlanOptions(grouping=grouping)
        assert set(STRINGS[f"plan.group.{grouping}"]) == {"en", "de"}
    for per in ROUND_PER:
        PlanOptions(round_per=per)
        assert set(STRINGS[f"plan.round.per.{per}"]) == {"en", "de"}
    for step in ROUND_TO:
        PlanOptions(round_to=step)
