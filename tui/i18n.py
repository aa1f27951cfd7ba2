"""UI text in English and German.

Each screen or widget module declares its own strings next to the code that shows them
(`STRINGS = {"key": {"en": "...", "de": "..."}}`, then `register(STRINGS)`), and calls `t("key")`.
The language is German when the setting says so or, with "auto", when the locale is German.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping

LANGUAGES = ("en", "de")
_catalog: dict[str, dict[str, str]] = {}
_language = "en"


def register(strings: Mapping[str, Mapping[str, str]]) -> None:
    """Add UI strings: each key has a text per language ("en", "de"), and may have a singular
    per language ("en_one", "de_one") that `t` takes when its `count` field is 1."""
    for key, texts in strings.items():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"UI string {key!r} lacks {', '.join(missing)}")
        singulars = [f"{lang}_one" for lang in LANGUAGES if f"{lang}_one" in texts]
        if singulars and len(singulars) != len(LANGUAGES):
            raise ValueError(f"UI string {key!r} has a singular in only some languages")
        _catalog[key] = dict(texts)


def detect_language(setting: str = "auto", environ: Mapping[str, str] | None = None) -> str:
    """ "en" or "de": the setting if it names one, else the locale (LC_ALL, LC_MESSAGES, LANG)."""
    if setting in LANGUAGES:
        return setting
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(name, "")
        if value:
            return "de" if value.lower().startswith("de") else "en"
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "de" if code.lower().startswith("de") else "en"


def set_language(language: str) -> None:
    global _language
    _language = language if language in LANGUAGES else "en"


def language() -> str:
    return _language


def t(key: str, **fields: object) -> str:
    """The text for `key` in the current language (its singular when `count` is 1), with
    `fields` filled in. Values from the
    APIs passed as fields stay plain text: show the result with markup off."""
    texts = _catalog.get(key)
    if texts is None:
        return key
    text = texts.get(_language) or texts["en"]
    if fields.get("count") in (1, "1"):
        text = texts.get(f"{_language}_one", text)
    return text.format(**fields) if fields else text
