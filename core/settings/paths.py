"""Every file and folder timebill reads or writes, in one place (`timebill locate` prints them).

Platform rules (stdlib only, the same rules platformdirs follows):

- Linux and the BSDs (XDG base directories): config in `$XDG_CONFIG_HOME/timebill` (default
  `~/.config/timebill`), data in `$XDG_DATA_HOME/timebill` (default `~/.local/share/timebill`),
  the log in `$XDG_STATE_HOME/timebill` (default `~/.local/state/timebill`). The XDG spec says a
  relative value is invalid and must be ignored; so do we.
- macOS: config and data in `~/Library/Application Support/timebill`, the log in
  `~/Library/Logs/timebill`.
- Windows: config in `%APPDATA%\\timebill` (roaming: settings follow the user), data and log in
  `%LOCALAPPDATA%\\timebill` (the journal is machine-local state).

Overrides, so tests and unusual setups never touch `~`:

- `TIMEBILL_CONFIG`: the config file itself; the config dir (and with it `themes/`) is its folder.
- `TIMEBILL_DATA_DIR`: the data dir; the log file then lives there too.

Nothing here creates folders: whoever writes a file creates its folder (0700).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "timebill"
CONFIG_ENV = "TIMEBILL_CONFIG"
DATA_DIR_ENV = "TIMEBILL_DATA_DIR"
CONFIG_FILE_NAME = "config.toml"
JOURNAL_FILE_NAME = "journal.sqlite3"
THEMES_DIR_NAME = "themes"
LOG_FILE_NAME = "timebill.log"


def _env(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or None


def _home(environ: Mapping[str, str] | None) -> Path:
    # Path.home() reads $HOME (or USERPROFILE on Windows) from os.environ only; honour a given
    # mapping so the platform rules can be checked without touching the real home.
    if environ is not None:
        home = _env("HOME", environ) or _env("USERPROFILE", environ)
        if home:
            return Path(home)
    return Path.home()


def _xdg(name: str, fallback: str, environ: Mapping[str, str] | None) -> Path:
    value = _env(name, environ)
    if value and os.path.isabs(value):
        return Path(value) / APP_NAME
    return _home(environ) / fallback / APP_NAME


def _user_path(value: str) -> Path:
    return Path(os.path.expanduser(value)).absolute()


def _platform(platform: str | None) -> str:
    platform = sys.platform if platform is None else platform
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "macos"
    return "unix"


def platform_config_dir(
    platform: str | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The platform's config folder for timebill, ignoring `TIMEBILL_CONFIG`."""
    kind = _platform(platform)
    if kind == "windows":
        appdata = _env("APPDATA", environ)
        base = Path(appdata) if appdata else _home(environ) / "AppData" / "Roaming"
        return base / APP_NAME
    if kind == "macos":
        return _home(environ) / "Library" / "Application Support" / APP_NAME
    return _xdg("XDG_CONFIG_HOME", ".config", environ)


def platform_data_dir(
    platform: str | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The platform's data folder for timebill, ignoring `TIMEBILL_DATA_DIR`."""
    kind = _platform(platform)
    if kind == "windows":
        local = _env("LOCALAPPDATA", environ)
        base = Path(local) if local else _home(environ) / "AppData" / "Local"
        return base / APP_NAME
    if kind == "macos":
        return platform_config_dir(platform, environ)
    return _xdg("XDG_DATA_HOME", ".local/share", environ)


def platform_log_dir(platform: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The platform's folder for log files, ignoring `TIMEBILL_DATA_DIR`."""
    kind = _platform(platform)
    if kind == "windows":
        return platform_data_dir(platform, environ) / "Logs"
    if kind == "macos":
        return _home(environ) / "Library" / "Logs" / APP_NAME
    return _xdg("XDG_STATE_HOME", ".local/state", environ)


def config_file() -> Path:
    """The TOML config file: `$TIMEBILL_CONFIG`, else `config.toml` in the config dir."""
    override = _env(CONFIG_ENV, None)
    if override:
        return _user_path(override)
    return platform_config_dir() / CONFIG_FILE_NAME


def config_dir() -> Path:
    """The folder holding the config file and user themes."""
    if _env(CONFIG_ENV, None):
        return config_file().parent
    return platform_config_dir()


def data_dir() -> Path:
    """The folder holding the journal: `$TIMEBILL_DATA_DIR`, else the platform's data dir."""
    override = _env(DATA_DIR_ENV, None)
    if override:
        return _user_path(override)
    return platform_data_dir()


def journal_file() -> Path:
    """The SQLite journal (assignments and billing runs)."""
    return data_dir() / JOURNAL_FILE_NAME


def themes_dir() -> Path:
    """Where users put their own `*.toml` themes."""
    return config_dir() / THEMES_DIR_NAME


def log_file() -> Path:
    """The default log file. With `TIMEBILL_DATA_DIR` set it lives there, so a test run that
    redirects the data dir writes no log under `~` either."""
    if _env(DATA_DIR_ENV, None):
        return data_dir() / LOG_FILE_NAME
    return platform_log_dir() / LOG_FILE_NAME


def locations() -> dict[str, Path]:
    """Everything `timebill locate` shows, by name."""
    return {
        "config file": config_file(),
        "config dir": config_dir(),
        "themes dir": themes_dir(),
        "data dir": data_dir(),
        "journal": journal_file(),
        "log file": log_file(),
    }
