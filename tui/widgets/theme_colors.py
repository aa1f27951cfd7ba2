"""Theme colours for Rich text (table cells cannot use CSS classes or $variables)."""

from __future__ import annotations

from textual.color import Color, ColorParseError
from textual.dom import DOMNode


def theme_color(node: DOMNode, name: str, fallback: str = "default") -> str:
    """The current theme's `name` colour ("warning", "success", "error", ...) as a Rich colour,
    `fallback` where the theme has none (or with NO_COLOR, where Textual reports none)."""
    try:
        value = node.app.get_css_variables().get(name)
    except Exception:  # no app yet (a node built outside a running app)
        return fallback
    if not value:
        return fallback
    try:
        return Color.parse(value.split()[0]).hex
    except ColorParseError:
        return fallback
