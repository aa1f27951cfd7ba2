"""The `timebill` console script: the headless commands come from timebill.core.cli.main; only the app
itself loads textual (so `timebill --help` and cron jobs start fast)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from timebill.tui.app import Settings, SettingsLoader


def pause_gc_until_first_frame() -> None:
    """Textual's start allocates some 70,000 objects that all live on, and the cyclic
    garbage collector walked them again and again: a tenth of the time to the first frame.
    The app collects (and freezes what is there) once its first frame is drawn
    (`TimebillApp.on_ready`)."""
    gc.disable()


def launch_app(settings: Settings | SettingsLoader, config_path: Path | None) -> int:
    pause_gc_until_first_frame()
    from timebill.core.cli.exit_codes import EXIT_INTERRUPTED
    from timebill.tui.app import run_app
    from timebill.tui.terminal_watch import watching_terminal

    with watching_terminal(EXIT_INTERRUPTED):
        return run_app(settings, config_path=config_path)


def main(argv: Sequence[str] | None = None) -> int:
    from timebill.core.cli.main import main as cli_main

    return cli_main(argv, launch_app=launch_app)


if __name__ == "__main__":
    sys.exit(main())
