"""Every file and folder timebill reads or writes, in one place (`timebill locate` prints them).

The platform's folders come from platformdirs:

- Linux and the BSDs (XDG base directories): config in `$XDG_CONFIG_HOME/timebill` (default
  `~/.config/timebill`), data in `$XDG_DATA_HOME/timebill` (default `~/.local/share/timebill`),
  the log in `$XDG_STATE_HOME/timebill` (default `~/.local/state/timebill`). A relative XDG value
  is invalid by the spec and ignored.
- macOS: config and data in `~/Library/Application Support/timebill`, the log in
  `~/Library/Logs/timebill` (platformdirs honours the XDG variables there too, when set).
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
from pathlib import Path

from platformdirs.api import PlatformDirsABC

APP_NAME = "timebill"
CONFIG_ENV = "TIMEBILL_CONFIG"
DATA_DIR_ENV = "TIMEBILL_DATA_DIR"
CONFIG_FILE_NAME = "config.toml"
JOURNAL_FILE_NAME = "journal.sqlite3"
THEMES_DIR_NAME = "themes"
LOG_FILE_NAME = "timebill.log"


def _env(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def _user_path(value: str) -> Path:
    return Path(os.path.expanduser(value)).absolute()


def _dirs(platform: str | None, *, roaming: bool = False) -> PlatformDirsABC:
    """platformdirs' rules for `platform` (default: this machine's; another one's for tests).
    `opinion=False`: the log goes straight into the log or state folder, no `log/` below it."""
    platform = sys.platform if platform is None else platform
    kind: type[PlatformDirsABC]
    if platform.startswith("win"):
        from platformdirs.windows import Windows as kind
    elif platform == "darwin":
        from platformdirs.macos import MacOS as kind
    else:
        from platformdirs.unix import Unix as kind
    return kind(APP_NAME, appauthor=False, roaming=roaming, opinion=False)


def platform_config_dir(platform: str | None = None) -> Path:
    """The platform's config folder for timebill, ignoring `TIMEBILL_CONFIG`."""
    return Path(_dirs(platform, roaming=True).user_config_dir)


def platform_data_dir(platform: str | None = None) -> Path:
    """The platform's data folder for timebill, ignoring `TIMEBILL_DATA_DIR`."""
    return Path(_dirs(platform).user_data_dir)


def platform_log_dir(platform: str | None = None) -> Path:
    """The platform's folder for log files, ignoring `TIMEBILL_DATA_DIR`."""
    return Path(_dirs(platform).user_log_dir)


def config_file() -> Path:
    """The TOML config file: `$TIMEBILL_CONFIG`, else `config.toml` in the config dir."""
    override = _env(CONFIG_ENV)
    if override:
        return _user_path(override)
    return platform_config_dir() / CONFIG_FILE_NAME


def config_dir() -> Path:
    """The folder holding the config file and user themes."""
    if _env(CONFIG_ENV):
        return config_file().parent
    return platform_config_dir()


def data_dir() -> Path:
    """The folder holding the journal: `$TIMEBILL_DATA_DIR`, else the platform's data dir."""
    override = _env(DATA_DIR_ENV)
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
    if _env(DATA_DIR_ENV):
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
