"""Plain-text tables for the headless commands (no rich: `timebill --help` must start fast)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from timebill.core.text import one_line


def _cells(ch: str) -> int:
    """Terminal cells of one character: combining marks (a decomposed "ü" is u + U+0308) and
    joiners take none, East Asian wide characters two."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def width(text: str) -> int:
    return sum(_cells(ch) for ch in text)


def fit(text: str, size: int) -> str:
    """`text` cut or padded to `size` terminal cells."""
    out: list[str] = []
    used = 0
    for ch in text:
        w = _cells(ch)
        if used + w > size:
            if out and size > 0:
                while used + 1 > size and out:
                    used -= width(out.pop())
                out.append("…")
                used += 1
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * max(0, size - used)


def render(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    right: set[int] = frozenset(),  # type: ignore[assignment]
    max_widths: dict[int, int] | None = None,
) -> str:
    """Columns sized to their content (capped by `max_widths`), numbers right-aligned."""
    cells = [[one_line(value) for value in row] for row in rows]
    sizes = [width(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            sizes[i] = max(sizes[i], width(value))
    for i, cap in (max_widths or {}).items():
        sizes[i] = min(sizes[i], cap)

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, value in enumerate(values):
            cell = fit(value, sizes[i])
            parts.append(cell.rstrip().rjust(sizes[i]) if i in right else cell)
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * s for s in sizes])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
