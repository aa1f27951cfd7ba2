"""One sanitiser for the terminal and the invoice: the same characters go in every mode (what a
terminal would act on, what makes a text read differently than it is), only line breaks and
spacing differ."""

from __future__ import annotations

import pytest
from timebill.core.invoicing.texts import clean_text
from timebill.core.text import Mode, clean, counted, sanitize

HOSTILE = (
    "\x1b[31mRot\x1b[0m \u202eevil\u202c Zero\u200bwidth soft\u00adhyphen \ufeffBOM "
    "\u200eLRM \x9b2J\x07 Familie 👨\u200d👩\u200d👧 مرحبا"
)
SAFE = "Rot evil Zerowidth softhyphen BOM LRM  Familie 👨\u200d👩\u200d👧 مرحبا"


@pytest.mark.parametrize("mode", list(Mode))
def test_every_mode_removes_the_same_characters(mode: Mode) -> None:
    assert " ".join(sanitize(HOSTILE, mode).split()) == " ".join(SAFE.split())


def test_modes_differ_only_in_breaks_and_spacing() -> None:
    text = "  Workshop\tvorbereitet \r\n\r\n\r\n\u2028 Folien  fertig  "
    assert sanitize(text, Mode.TERMINAL) == "  Workshop vorbereitet" + " " * 6 + "Folien  fertig  "
    assert clean(text) == sanitize(text, Mode.TERMINAL)
    assert sanitize(text, Mode.TERMINAL_LINES) == "  Workshop vorbereitet \n\n\n\n Folien  fertig  "
    assert sanitize(text, Mode.INVOICE_LINE) == "Workshop vorbereitet Folien fertig"
    assert sanitize(text, Mode.INVOICE_TEXT) == "Workshop vorbereitet\n\nFolien fertig"
    assert clean_text(text, multiline=True) == sanitize(text, Mode.INVOICE_TEXT)
    assert sanitize(None) == ""


def test_counts_take_the_singular_for_one() -> None:
    assert counted(1, "entry", "entries") == "1 entry"
    assert [counted(n, "line", "lines") for n in (0, 2)] == ["0 lines", "2 lines"]
