"""`timebill sandbox`: serve the emulators until interrupted.

The first line on stdout is one JSON object with the URLs and demo keys (scripts and tests read
it); everything else goes to stderr.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from timebill.core.sandbox.server import SandboxServer


def serve(
    port: int = 0, *, entries: int | None = None, seed: int = 42, state: str | None = None
) -> int:
    try:
        server = SandboxServer(port, entries=entries, seed=seed, state=state)
    except OSError as exc:
        print(f"sandbox: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    print(json.dumps(server.credentials()), flush=True)
    world = server.world
    print(
        f"sandbox: serving mite, clockodo and Billomat at {server.url} "
        f"({len(world.entries)} entries, {world.start} .. {world.today}"
        + (f", state in {state}" if state else "")
        + "). Ctrl+C stops.",
        file=sys.stderr,
        flush=True,
    )
    for name, creds in server.credentials().items():
        shown = ", ".join(f"{k}={v}" for k, v in creds.items())
        print(f"  {name:9} {shown}", file=sys.stderr)
    sys.stderr.flush()
    stop.wait()
    server.stop()
    return 0
