"""Smoke test of timebill as a user installs it: run by .ci/run with the python of a fresh venv
that has the wheel installed (not editable), from a folder outside the repo.

    python smoke.py WHEEL

Checks the wheel's contents (one import package `timebill`, the themes and stylesheets inside),
that the installed code is the one imported, the console script (`--help`, `--version`,
`locate`), and the app's first screen headless against an in-process sandbox: the three shipped
themes registered and no theme warning.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

SHIPPED = {"timebill-dark", "timebill-light", "timebill-high-contrast"}


def check(condition: object, message: str) -> None:
    if not condition:
        sys.exit(f"smoke: FAILED: {message}")


def check_wheel(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    check(top == {"timebill"}, f"the wheel installs one import package, timebill; found {top}")
    themes = {name for name in names if name.startswith("timebill/themes/")}
    check(
        {f"timebill/themes/{theme}.toml" for theme in SHIPPED} <= themes,
        f"the shipped themes are in the wheel; found {sorted(themes)}",
    )
    styles = [name for name in names if name.endswith(".tcss")]
    check(styles, "the app's stylesheets (*.tcss) are in the wheel")
    print(
        f"smoke: wheel holds timebill/ only, {len(themes)} theme files, {len(styles)} stylesheets"
    )


def check_installed() -> None:
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    import timebill.core

    package = Path(timebill.core.__file__).resolve()
    check(package.is_relative_to(site), f"timebill is imported from the venv, not {package}")
    for generic in ("core", "tui", "themes"):
        check(importlib.util.find_spec(generic) is None, f"no top-level `{generic}` is installed")


def run(bin_dir: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(bin_dir / "timebill"), *args], capture_output=True, text=True, env=env, check=False
    )
    check(
        result.returncode == 0,
        f"timebill {' '.join(args)}: exit {result.returncode}\n{result.stderr}",
    )
    check(result.stderr == "", f"timebill {' '.join(args)} wrote to stderr:\n{result.stderr}")
    return result.stdout


def check_commands(env: dict[str, str], home: Path) -> None:
    bin_dir = Path(sys.executable).parent
    check("invoice" in run(bin_dir, env, "--help"), "timebill --help lists the commands")
    version = run(bin_dir, env, "--version").strip()
    expected = f"timebill {importlib.metadata.version('timebill')}"
    check(version == expected, f"timebill --version printed {version!r}, not {expected!r}")
    located = run(bin_dir, env, "locate")
    check(str(home) in located, f"timebill locate names the folders in use:\n{located}")
    print(f"smoke: --help, --version ({version}), locate")


async def first_screen(folder: Path) -> None:
    from textual.notifications import Notify
    from timebill.core.cli.demo import demo_config
    from timebill.core.sandbox import SandboxServer
    from timebill.core.settings.model import load_settings, save_settings
    from timebill.tui.app import TimebillApp
    from timebill.tui.screens.entries import EntriesScreen

    notes: list[object] = []

    def hook(message: object) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification)

    with SandboxServer() as server:
        config = folder / "config" / "config.toml"
        save_settings(demo_config(server, "mite"), config)
        # As `timebill` starts it: the settings are read after the first frame.
        app = TimebillApp(lambda: load_settings(config), config)
        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            await asyncio.wait_for(app.settings_settled.wait(), timeout=60)
            await app.workers.wait_for_complete()
            await pilot.pause()
            check(app.startup_error is None, f"the settings failed: {app.startup_error}")
            check(isinstance(app.screen, EntriesScreen), f"first screen: {app.screen!r}")
            check(bool(app.screen.rows), "no entries were loaded")
            missing = SHIPPED - set(app.available_themes)
            check(not missing, f"shipped themes not found: {sorted(missing)}")
            check(app.theme == "timebill-dark", f"the app runs in {app.theme}, not timebill-dark")
    warnings = [n for n in notes if getattr(n, "severity", "") in ("warning", "error")]
    check(not warnings, f"the first screen warned: {warnings}")
    print("smoke: first screen headless, themes " + ", ".join(sorted(SHIPPED)) + ", no warning")


def main() -> None:
    check_wheel(Path(sys.argv[1]))
    check_installed()
    with tempfile.TemporaryDirectory(prefix="timebill-smoke-") as folder:
        home = Path(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIMEBILL_")}
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
        )
        os.environ.clear()
        os.environ.update(env)
        check_commands(env, home)
        asyncio.run(first_screen(home))
    print("smoke: passed")


if __name__ == "__main__":
    main()
