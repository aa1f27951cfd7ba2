"""Binding descriptions in the user's language.

Textual reads BINDINGS when a class is defined, before the language is known; so descriptions
are written as i18n keys ("key.entry_list.toggle") and each node swaps in the text when it is
created (every node holds its own copy of its bindings, so nothing shared is changed).
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode
from timebill.tui.i18n import t


def localize_bindings(node: DOMNode) -> None:
    """Replace descriptions and tooltips that are i18n keys ("key.…") by their text."""
    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        mapping[key] = [
            replace(
                binding,
                description=_text(binding.description),
                tooltip=_text(binding.tooltip),
            )
            for binding in bindings
        ]


def _text(value: str) -> str:
    return t(value) if value.startswith("key.") else value
