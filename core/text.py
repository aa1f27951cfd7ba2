"""Text from the APIs is data: the one sanitiser for everything timebill shows or writes.

Notes and names can carry terminal escape sequences (ESC [ ... m, OSC 8 links, bells), other
control characters, bidi controls or invisible formatting characters; printed raw they would
recolour, retitle or garble the terminal, and on an invoice they make a text read differently
than it is. Every mode removes the same characters and keeps everything printable (umlauts,
emoji, RTL letters); the modes differ only in line breaks and spacing:

- `Mode.TERMINAL`: one line for a terminal cell; line breaks and tabs become spaces.
- `Mode.TERMINAL_LINES`: as TERMINAL, but newlines stay (an error message over several lines).
- `Mode.INVOICE_LINE`: a line title: one line, runs of spaces collapsed, the ends trimmed.
- `Mode.INVOICE_TEXT`: a line description: paragraphs kept (at most one blank line between
  them), runs of spaces collapsed, every line trimmed.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, and C1 CSI:
# removed whole, so no "[31m" remnant stays behind once the ESC itself is gone.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Line breaks, tabs and Unicode line/paragraph separators (U+2028/U+2029 break lines in some
# terminals): a space, or a newline where the mode keeps lines.
_BREAKS = frozenset("\n\r\t\v\f\u0085\u2028\u2029")
_NEWLINES = frozenset("\n\r\u0085\u2028\u2029")
# ZWJ/ZWNJ join emoji and scripts: the only invisible formatting characters kept.
_JOINERS = frozenset("\u200d\u200c")
_SPACES = re.compile(r"[ \u00a0]{2,}")


class Mode(Enum):
    TERMINAL = "terminal"
    TERMINAL_LINES = "terminal_lines"
    INVOICE_LINE = "invoice_line"
    INVOICE_TEXT = "invoice_text"


def sanitize(text: object, mode: Mode = Mode.TERMINAL) -> str:
    """`text` without escape sequences, control characters (Cc) and invisible formatting
    characters (Cf: bidi controls, zero-width spaces, soft hyphens; ZWJ/ZWNJ kept), shaped as
    `mode` says (see the module doc). None is ""."""
    if text is None:
        return ""
    value = _ESCAPES.sub("", str(text)).replace("\r\n", "\n")
    lines = mode in (Mode.TERMINAL_LINES, Mode.INVOICE_TEXT)
    kept: list[str] = []
    for ch in value:
        if ch in _BREAKS:
            kept.append("\n" if lines and ch in _NEWLINES else " ")
        elif ch in _JOINERS or unicodedata.category(ch) not in ("Cc", "Cf"):
            kept.append(ch)
    out = "".join(kept)
    if mode is Mode.TERMINAL or mode is Mode.TERMINAL_LINES:
        return out
    tidy = (_SPACES.sub(" ", line).strip() for line in out.split("\n"))
    if mode is Mode.INVOICE_LINE:
        return " ".join(line for line in tidy if line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(tidy)).strip()


def clean(text: object, *, keep_newlines: bool = False) -> str:
    """`sanitize` for a terminal: one line, or (`keep_newlines`) several."""
    return sanitize(text, Mode.TERMINAL_LINES if keep_newlines else Mode.TERMINAL)


def one_line(text: object, width: int | None = None) -> str:
    """`clean` text on a single line, whitespace collapsed, cut to `width` with an ellipsis."""
    value = " ".join(clean(text).split())
    if width is not None and len(value) > width:
        return value[: max(0, width - 1)] + "…"
    return value


def counted(count: int, one: str, many: str) -> str:
    """`count` with its noun in the right number: "1 entry", "3 entries"."""
    return f"{count} {one if count == 1 else many}"
