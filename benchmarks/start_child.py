"""The child of bench_start.py: runs one app headless at 80x24 and prints `READY <seconds>
<screen>` once its first screen is drawn (Textual's Ready event comes with the first frame; the
line is printed after the refresh that follows it). Imports nothing else, so neither app pays
for the benchmark's own modules.

    python benchmarks/start_child.py bare|timebill
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

READY = "READY"


def child(kind: str) -> int:
    """Run one app headless and print READY once its first screen is drawn."""
    started = time.perf_counter()

    def ready(app: Any) -> None:
        took = time.perf_counter() - started
        print(f"{READY} {took:.6f} {type(app.screen).__name__}", flush=True)
        app.exit()

    if kind == "bare":
        from textual.app import App
        from textual.widgets import DataTable, Footer, Header

        class Bare(App[None]):
            def compose(self) -> object:  # type: ignore[override]
                yield Header()
                yield DataTable()
                yield Footer()

            def on_ready(self) -> None:
                self.call_after_refresh(ready, self)

        Bare().run(headless=True, size=(80, 24))
        return 0

    # timebill as `timebill` starts it: the command line parses, then launches the app (which
    # reads its settings from TIMEBILL_CONFIG); only the launcher differs, to run it headless.
    import timebill.tui.main as entry

    def launch(settings: object, config_path: Path | None) -> int:
        entry.pause_gc_until_first_frame()  # as entry.launch_app does
        import timebill.tui.app as timebill_app

        class Timed(timebill_app.TimebillApp):  # type: ignore[misc, name-defined]
            # Textual calls every class's handler along the MRO: the app's own on_ready runs too.
            def on_ready(self) -> None:
                self.call_after_refresh(ready, self)

        Timed(settings, config_path).run(headless=True, size=(80, 24))
        return 0

    entry.launch_app = launch  # type: ignore[assignment]
    return entry.main([])


if __name__ == "__main__":
    sys.exit(child(sys.argv[1]))
