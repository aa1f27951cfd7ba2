"""Ends timebill when its terminal goes away and no SIGHUP says so.

A terminal that closes sends SIGHUP to its session leader, and that ends timebill. But a parent
in between may catch it: under `make demo`, closing the terminal left make waiting and timebill
on a terminal that was gone. There Textual's writer thread dies on the first failed write, the
event loop then blocks for good on the writer's full queue, and the input thread reads
end-of-file over and over: a whole core, forever. Nothing on the event loop can help then, so
a thread of its own checks the terminal every few seconds and, once it is gone, ends the
process as SIGHUP would have: at once, like a kill. Whatever was under way is in the journal,
and `timebill resume` finishes it (the kill tests hold that).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CHECK_EVERY = 2.0  # seconds: a lost terminal costs at most this much spinning
log = logging.getLogger("timebill.app")


def terminal_gone(fd: int) -> bool:
    """Whether the terminal on `fd` hung up (a hung-up terminal is no longer a tty)."""
    return not os.isatty(fd)


@contextmanager
def watching_terminal(exit_code: int) -> Iterator[None]:
    """While inside: end the process with `exit_code` once the terminal on stdin is gone.
    Nothing is watched when stdin is no terminal to begin with."""
    stdin = sys.__stdin__
    try:
        fd = stdin.fileno() if stdin is not None else -1
    except (OSError, ValueError):
        fd = -1
    if fd < 0 or terminal_gone(fd):
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(CHECK_EVERY):
            if terminal_gone(fd):
                log.warning("the terminal went away: timebill ends")
                logging.shutdown()  # the log file keeps the line above
                os._exit(exit_code)

    thread = threading.Thread(target=watch, name="terminal watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
