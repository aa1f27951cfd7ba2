"""The app's look before its settings are validated: language and theme, read straight from the
config file and the TIMEBILL_UI* variables.

The app draws its first frame with these and validates the whole settings (pydantic) in a worker
after it: a first frame that waited for pydantic took three times a bare Textual app. Anything
odd here (an unreadable file, a bad value) quietly falls back to the defaults; the validation
that follows reports it properly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from timebill.core.errors import ConfigError
from timebill.core.settings.config_file import read_config_file
from timebill.core.settings.layers import environment_layer, merge

DEFAULT_THEME = "timebill-dark"
LANGUAGES = ("auto", "en", "de")


@dataclass(frozen=True)
class UiChoice:
    language: str = "auto"
    """"auto", "en" or "de"."""
    theme: str | None = None
    """The theme's name as written, None if none is set (the app then uses the default)."""


def first_look(path: Path, environ: Mapping[str, str] | None = None) -> UiChoice:
    """The [ui] language and theme for the config file at `path` and the environment."""
    try:
        file = read_config_file(path)
        env = environment_layer(os.environ if environ is None else environ, ("ui",), ("ui",))
    except (ConfigError, RecursionError):
        return UiChoice()
    file_ui, env_ui = file.get("ui"), env.get("ui")
    ui = merge(
        file_ui if isinstance(file_ui, Mapping) else {},
        env_ui if isinstance(env_ui, Mapping) else {},
    )
    language = ui.get("language")
    theme = ui.get("theme")
    return UiChoice(
        language=language.strip().lower()
        if isinstance(language, str) and language.strip().lower() in LANGUAGES
        else "auto",
        theme=theme.strip() if isinstance(theme, str) and theme.strip() else None,
    )
