"""The command line's exit codes, one meaning each (the README's "Exit codes" sentence lists
exactly these). A light module: `timebill --help` and the argument errors import it."""

from __future__ import annotations

from collections.abc import Iterable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOTHING = 3
EXIT_UNFINISHED = 4
EXIT_DECLINED = 5
EXIT_CHANGED = 6
EXIT_SKIPPED = 7
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FAILED: "a service or the configuration failed",
    EXIT_USAGE: "bad usage",
    EXIT_NOTHING: "nothing to bill",
    EXIT_UNFINISHED: "an invoice is unfinished",
    EXIT_DECLINED: "not confirmed",
    EXIT_CHANGED: "the planned entries changed",
    EXIT_SKIPPED: "the month-end run finished but skipped customers",
    EXIT_INTERRUPTED: "interrupted",
}

# A run that met several outcomes exits with the one that needs the user most: a failure
# before changed entries, before an unfinished plan, before a "no" (a cron job without --yes
# created nothing: that is the news), before skipped customers.
_SEVERITY = (EXIT_FAILED, EXIT_CHANGED, EXIT_UNFINISHED, EXIT_DECLINED, EXIT_SKIPPED)


def worst(codes: Iterable[int]) -> int:
    seen = set(codes)
    return next((code for code in _SEVERITY if code in seen), EXIT_OK)
