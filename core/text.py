"""Text from the APIs is data: make it safe to print in a terminal.

Notes and names can carry terminal escape sequences (ESC [ ... m, OSC 8 links, bells), other
control characters or bidi overrides; printed raw they would recolour, retitle or garble the
terminal. `clean` removes them and keeps everything printable (umlauts, emoji, RTL letters).
"""

from __future__ import annotations

import re
import unicodedata

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, and C1 CSI.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Bidi embedding/override/isolate controls: they can reorder what the user sees.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def clean(text: object, *, keep_newlines: bool = False) -> str:
    """`text` without escape sequences, control or bidi-control characters; tabs and (unless
    `keep_newlines`) newlines become spaces."""
    if text is None:
        return ""
    value = _ESCAPES.sub("", str(text)).translate(_BIDI)
    out = []
    for ch in value:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\r\n\u2028\u2029":
            # U+2028/U+2029 (line and paragraph separators) break lines in some terminals.
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d\u200c":
            # Cc: C0/C1 controls (ESC, BEL, NUL, ...); Cf: invisible formatting (ZWJ kept for emoji).
            continue
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: object, width: int | None = None) -> str:
    """`clean` text on a single line, whitespace collapsed, cut to `width` with an ellipsis."""
    value = " ".join(clean(text).split())
    if width is not None and len(value) > width:
        return value[: max(0, width - 1)] + "…"
    return value
