"""Colour themes from TOML files: the shipped ones in `themes/`, the user's in the config dir.

Each file holds one theme with Textual's Theme fields (name, primary, secondary, accent,
foreground, background, surface, panel, success, warning, error, dark, variables). Files are
validated before Textual sees them, so a typo in a user's theme is reported
(all broken files in one notification) instead of breaking the app's CSS; a theme that cannot
be used falls back to the default. Textual's built-in themes stay untouched: ours are added to
the app's registry with `register_theme`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme
from timebill.core.settings.ui import DEFAULT_THEME
from timebill.tui.i18n import register, t

STRINGS = {
    "themes.broken_title": {
        "en": "Some themes could not be loaded",
        "de": "Einige Themes konnten nicht geladen werden",
    },
    "themes.broken_hint": {
        "en": "Fix or remove the files; the other themes work as before.",
        "de": "Korrigieren oder entfernen Sie die Dateien; die anderen Themes funktionieren weiter.",
    },
    "themes.unknown": {
        "en": 'Theme "{name}" is not installed: using "{fallback}".',
        "de": "Theme „{name}“ ist nicht installiert: „{fallback}“ wird verwendet.",
    },
}
register(STRINGS)

# Where the shipped themes live: `themes/` beside the `tui` package (the project root).
SHIPPED_THEMES_DIR = Path(__file__).resolve().parent.parent / "themes"
FALLBACK_THEME = "textual-dark"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_VARIABLE = re.compile(r"[a-z][a-z0-9-]*")
_REFERENCE = re.compile(r"\$[a-z][a-z0-9-]*")
_PERCENT = re.compile(r"\d{1,3}(\.\d+)?%")
_TEXT_STYLES = frozenset(
    {"none", "bold", "b", "italic", "i", "underline", "u", "reverse", "strike", "dim", "not"}
)


def _color(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(
            f"{value!r} is not a colour (use e.g. #1e88e5 or rgb(30,136,229))"
        ) from None
    return value


def _css_value(value: str) -> str:
    """A value Textual's CSS accepts for a theme variable: a colour or $variable, optionally
    followed by an alpha percentage ("#81a1c1 35%"), or text style words ("bold italic")."""
    words = value.split()
    if words and all(word in _TEXT_STYLES for word in words):
        return value
    if 1 <= len(words) <= 2 and (len(words) == 1 or _PERCENT.fullmatch(words[1])):
        if _REFERENCE.fullmatch(words[0]):
            return value
        try:
            Color.parse(words[0])
            return value
        except ColorParseError:
            pass
    raise ValueError(f"{value!r} is not a colour, a $variable or text style words")


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError("must be letters, digits, '-' and '_' (e.g. my-theme)")
    return value


def _variables(values: dict[str, str]) -> dict[str, str]:
    for key, value in values.items():
        if not _VARIABLE.fullmatch(key):
            raise ValueError(f"variable name {key!r} must be lower-case words joined by '-'")
        try:
            _css_value(value)
        except ValueError as err:
            raise ValueError(f"variable {key}: {err}") from None
    return values


_COLORS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "success",
    "warning",
    "error",
)
_FRACTIONS = ("luminosity_spread", "text_alpha")
_FIELDS = frozenset({"name", "dark", "variables", *_COLORS, *_FRACTIONS})


class ThemeFileError(Exception):
    """A theme file that cannot be used; the message names the file and every problem."""


def _theme_fields(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The Theme arguments in a theme file's table, and one "field: problem" per mistake.

    Checked by hand rather than with pydantic: the app installs its themes before its first
    frame, which would otherwise wait for pydantic to load."""
    values: dict[str, Any] = {}
    problems: list[str] = []

    def check(name: str, value: Any, rule: Any) -> None:
        try:
            values[name] = rule(value)
        except ValueError as err:
            problems.append(f"{name}: {err}")

    def text(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        return value

    def fraction(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not 0 <= value <= 1:
            raise ValueError("must be between 0 and 1")
        return float(value)

    def flag(value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    def table(value: Any) -> dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(
                'must be a table of texts, e.g. [variables] block-cursor-text-style = "bold"'
            )
        return _variables(value)

    for name in sorted(set(data) - _FIELDS):
        problems.append(f"{name}: not a theme field")
    for name in ("name", "primary"):
        if name not in data:
            problems.append(f"{name}: missing")
    if "name" in data:
        check("name", data["name"], lambda value: _name(text(value)))
    for name in _COLORS:
        if name in data:
            check(name, data[name], lambda value: _color(text(value)))
    for name in _FRACTIONS:
        if name in data:
            check(name, data[name], fraction)
    if "dark" in data:
        check("dark", data["dark"], flag)
    if "variables" in data:
        check("variables", data["variables"], table)
    return values, problems


def load_theme_file(path: Path) -> Theme:
    """The theme in `path`, or ThemeFileError saying what is wrong with it."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ThemeFileError(f"{path}: cannot be read ({err})") from None
    except tomllib.TOMLDecodeError as err:
        raise ThemeFileError(f"{path}: not valid TOML ({err})") from None
    values, problems = _theme_fields(data)
    if problems:
        raise ThemeFileError(f"{path}: {'; '.join(problems)}")
    return Theme(**values)


@dataclass
class LoadedThemes:
    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def load_themes(folders: Iterable[Path]) -> LoadedThemes:
    """Every `*.toml` theme in `folders` (later folders override earlier ones by name), and one
    problem line per file that could not be used. A missing folder is no problem."""
    loaded = LoadedThemes()
    for folder in folders:
        try:
            files = sorted(folder.glob("*.toml"))
        except OSError:
            files = []
        for path in files:
            try:
                theme = load_theme_file(path)
            except ThemeFileError as err:
                loaded.problems.append(str(err))
                continue
            loaded.themes[theme.name] = theme
    return loaded


def install_themes(app: App[Any], user_dir: Path | None) -> list[str]:
    """Register the shipped themes and the user's (they may replace a shipped one of the same
    name) with `app`; returns the problems found, one line per broken file."""
    folders = [SHIPPED_THEMES_DIR] + ([user_dir] if user_dir is not None else [])
    loaded = load_themes(folders)
    for theme in loaded.themes.values():
        app.register_theme(theme)
    return loaded.problems


def resolve_theme(app: App[Any], wanted: str | None) -> tuple[str, str | None]:
    """The theme to use for the setting `wanted`: it if registered, else timebill's default,
    else Textual's. The second value is a warning when `wanted` was not available."""
    for name in (wanted, DEFAULT_THEME, FALLBACK_THEME):
        if name and app.get_theme(name) is not None:
            warning = None
            if wanted and name != wanted:
                warning = t("themes.unknown", name=wanted, fallback=name)
            return name, warning
    return FALLBACK_THEME, None


def problems_message(problems: list[str]) -> str:
    """All broken theme files in one notification text."""
    return "\n".join([*problems, t("themes.broken_hint")])
