"""The `timebill` console script: the headless commands come from timebill.core.cli.main; only the app
itself loads textual (so `timebill --help` and cron jobs start fast)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from timebill.core.settings.model import Settings


def launch_app(settings: Settings, config_path: Path | None) -> int:
    from timebill.tui.app import run_app

    return run_app(settings, config_path=config_path)


def main(argv: Sequence[str] | None = None) -> int:
    from timebill.core.cli.main import main as cli_main

    return cli_main(argv, launch_app=launch_app)


if __name__ == "__main__":
    sys.exit(main())
