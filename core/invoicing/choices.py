"""The vocabularies of invoice options, said once: the builder's types, the CLI's choices and
the app's cycling and labels all come from these (no pydantic here: `timebill --help` reads it)."""

from __future__ import annotations

from typing import Literal, get_args

Grouping = Literal["entry", "day", "service", "project", "project_service", "user"]
"""One line per entry, day, service, project, project and service, or user."""
RoundTo = Literal[0, 5, 6, 10, 15, 30]
"""Round durations up to this many minutes (0: exact)."""
RoundPer = Literal["entry", "line"]
"""Round each entry, or each line's sum."""

GROUPINGS: tuple[Grouping, ...] = get_args(Grouping)
ROUND_TO: tuple[RoundTo, ...] = get_args(RoundTo)
ROUND_PER: tuple[RoundPer, ...] = get_args(RoundPer)
