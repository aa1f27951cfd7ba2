"""API keys in text: revealed only where a request needs them, redacted everywhere else.

Kept apart from `timebill.core.http` so that settings, the log setup and the app's setup screen
can redact without loading httpx.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "***"


def reveal(secret: Any) -> str:
    """The plain value of a key given as `str` or pydantic `SecretStr`."""
    getter = getattr(secret, "get_secret_value", None)
    return str(getter() if getter else secret or "")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every key of four or more characters replaced by `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text
