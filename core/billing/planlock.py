"""Which plans a timebill process is working on right now.

The journal's unique index keeps two sessions (two SSH logins) from planning the same entries,
but a plan already in the journal can be picked up twice: session A is creating its draft while
session B runs `timebill resume`, finds the plan pending, finds no draft yet and creates one;
then A's draft lands too. So whoever works on a plan holds an OS lock on a small file named
for it, beside the journal, for as long as it creates the draft or marks the entries. The OS
drops the lock when the process ends, however it ends (kill -9, a crash, a closed SSH
session): a lock never outlives its session, and resume can tell a plan another session is
finishing from one left behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None  # type: ignore[assignment]

FOLDER = "running"


def _path(journal_path: Path, plan_id: str) -> Path:
    return Path(journal_path).parent / FOLDER / f"{plan_id}.lock"


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        elif msvcrt is not None:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def claim(journal_path: Path, plan_id: str) -> Iterator[bool]:
    """Hold the plan's lock for the `with` block; yields False (and holds nothing) when another
    process holds it. flock locks belong to the open file, so two claims in one process exclude
    each other too (the app and a worker, two tests)."""
    path = _path(journal_path, plan_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield _try_lock(fd)
    finally:
        os.close(fd)  # closing the file releases the lock


def busy(journal_path: Path, plan_id: str) -> bool:
    """True while another process (or another claim in this one) works on the plan."""
    if not _path(journal_path, plan_id).exists():
        return False
    with claim(journal_path, plan_id) as claimed:
        return not claimed


def forget(journal_path: Path, plan_id: str) -> None:
    """Remove the lock file of a finished plan (call while holding its claim). A process that
    opened the old file meanwhile locks a file nobody else will: harmless, since everyone reads
    the plan's state again after claiming it, and a finished plan has nothing left to do."""
    with contextlib.suppress(OSError):
        _path(journal_path, plan_id).unlink()
