"""The app's tests: every test starts in English, whatever an earlier test in the same worker
process switched the UI language to (the language is process-wide, as in the app)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from timebill.tui import i18n


@pytest.fixture(autouse=True)
def english_first() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language("en")
