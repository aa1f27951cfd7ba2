"""How the billing commands talk to the terminal: exit codes, output, the confirmation prompt
and the marking progress. Shared by `timebill invoice` (one customer or --all-customers),
`resume` and `sync`."""

from __future__ import annotations

import sys
from collections.abc import Callable

from timebill.core.text import clean

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


def show_progress(stage: str, done: int, total: int) -> None:
    if stage == "marking" and total:
        warn(f"  marking entries billed: {done}/{total}")
