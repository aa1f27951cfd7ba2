"""The app on a real terminal (a pseudo-terminal): when the terminal goes away and no SIGHUP
reaches timebill (a parent such as make caught it), timebill ends by itself instead of spinning
on the closed terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from entries_env import isolate, write_config
from timebill.core.sandbox import SandboxServer
from timebill.tui.terminal_watch import terminal_gone

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

WAIT = 30.0


def read_until(fd: int, wanted: bytes, deadline: float) -> bytes:
    """What the app wrote to the terminal, until `wanted` appears."""
    seen = b""
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"the app never showed {wanted!r}: {seen[-500:]!r}"
        readable, _, _ = select.select([fd], [], [], left)
        if readable:
            seen += os.read(fd, 65536)
    return seen


def test_a_closed_terminal_is_seen_as_gone() -> None:
    main, side = os.openpty()
    assert not terminal_gone(side)
    os.close(main)
    assert terminal_gone(side)
    os.close(side)


def test_the_app_ends_when_its_terminal_goes_away_without_a_hangup_signal(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = isolate(monkeypatch, tmp_path)
    write_config(sandbox, config)
    main, side = os.openpty()
    # A new session without a controlling terminal: closing the terminal sends no SIGHUP,
    # as when make (or another parent) catches it.
    proc = subprocess.Popen(
        [sys.executable, "-m", "timebill.tui.main"],
        stdin=side,
        stdout=side,
        stderr=side,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"},
        start_new_session=True,
    )
    os.close(side)
    try:
        read_until(main, b"entries", time.monotonic() + WAIT)  # the list has loaded
        os.close(main)
        main = -1
        code = proc.wait(timeout=WAIT)
    finally:
        if main >= 0:
            os.close(main)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130
