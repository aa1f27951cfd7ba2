"""`timebill demo`: the app against a sandbox started in this process, with a throwaway config.

The user's real config and journal are never read or written: TIMEBILL_CONFIG and
TIMEBILL_DATA_DIR point into a temporary folder for the run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timebill.core.sandbox.server import SandboxServer


def demo_config(server: SandboxServer, tracker: str) -> dict[str, Any]:
    creds = server.credentials()
    mite, clockodo, billomat = creds["mite"], creds["clockodo"], creds["billomat"]
    return {
        "tracker": tracker,
        "mite": {
            "account": mite["account"],
            "api_key": mite["api_key"],
            "base_url": mite["base_url"],
        },
        "clockodo": {
            "email": clockodo["email"],
            "api_key": clockodo["api_key"],
            "base_url": clockodo["base_url"],
        },
        "billomat": {
            "billomat_id": billomat["billomat_id"],
            "api_key": billomat["api_key"],
            "base_url": billomat["base_url"],
        },
        "invoice": {"default_vat": 19},
    }


def run_demo(
    launch_app: Callable[[Any, Path | None], int],
    *,
    tracker: str = "mite",
    entries: int | None = None,
) -> int:
    from timebill.core.settings.model import load_settings, save_settings

    with (
        tempfile.TemporaryDirectory(prefix="timebill-demo-") as folder,
        SandboxServer(entries=entries) as server,
    ):
        config = Path(folder) / "config" / "config.toml"
        saved = {name: os.environ.get(name) for name in ("TIMEBILL_CONFIG", "TIMEBILL_DATA_DIR")}
        os.environ["TIMEBILL_CONFIG"] = str(config)
        os.environ["TIMEBILL_DATA_DIR"] = str(Path(folder) / "data")
        try:
            values = demo_config(server, tracker)
            save_settings(values, config)
            # Passed as explicit values too: they beat TIMEBILL_* variables, so a real key in the
            # environment is never sent to the sandbox, nor the demo key to a real service.
            return launch_app(load_settings(config, **values), config)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
