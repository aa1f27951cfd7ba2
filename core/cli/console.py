"""How the billing commands talk to the terminal: exit codes, output, the confirmation prompt
and the marking progress. Shared by `timebill invoice` (one customer or --all-customers),
`resume` and `sync`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from timebill.core.billing.drafts import SweepAction
from timebill.core.billing.freshness import EntryChange
from timebill.core.cli.exit_codes import (  # noqa: F401 (the billing commands take them from here)
    EXIT_CHANGED,
    EXIT_DECLINED,
    EXIT_FAILED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_SKIPPED,
    EXIT_UNFINISHED,
    EXIT_USAGE,
)
from timebill.core.text import clean

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


def show_progress(stage: str, done: int, total: int) -> None:
    if stage == "marking" and total:
        warn(f"  marking entries billed: {done}/{total}")


def changed_text(changes: Sequence[EntryChange]) -> str:
    """What changed, one entry a line (the app shows the same list in its preview)."""
    count = len({c.entry_id for c in changes})
    lines = [
        f"timebill: {count} of the planned entries changed since the preview; nothing was "
        "billed. Plan the invoice again:"
    ]
    lines += [f"  {change}" for change in changes]
    return "\n".join(lines)


def say_swept(actions: Sequence[SweepAction]) -> None:
    """Late copies found and removed (or that could not be removed) by the sweep."""
    for action in actions:
        (say if action.done else warn)(action.message)
