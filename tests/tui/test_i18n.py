"""UI strings: both languages for every key, and the singular where a count is one."""

from __future__ import annotations

import pytest
from timebill.tui.i18n import register, set_language, t

register(
    {
        "test.entries": {
            "en": "{count} entries marked",
            "de": "{count} Einträge markiert",
            "en_one": "1 entry marked",
            "de_one": "1 Eintrag markiert",
        }
    }
)


@pytest.mark.parametrize(
    ("language", "count", "text"),
    [
        ("en", 1, "1 entry marked"),
        ("en", "1", "1 entry marked"),  # counts formatted for the screen
        ("en", 3, "3 entries marked"),
        ("de", 1, "1 Eintrag markiert"),
        ("de", "1.000", "1.000 Einträge markiert"),
    ],
)
def test_a_count_of_one_takes_the_singular(language: str, count: object, text: str) -> None:
    set_language(language)
    assert t("test.entries", count=count) == text


def test_a_singular_in_one_language_only_is_refused() -> None:
    with pytest.raises(ValueError, match="singular"):
        register({"test.half": {"en": "{count} x", "de": "{count} x", "en_one": "1 x"}})


def test_every_key_missing_a_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks de"):
        register({"test.english": {"en": "only English"}})
