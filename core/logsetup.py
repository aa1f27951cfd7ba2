"""The support log (`--log-file` / TIMEBILL_LOG): request lines with keys redacted.

timebill.core.http already redacts what it logs; this filter is the second lock on the door: every
record that reaches the file passes through it, whichever logger wrote it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from timebill.core.secrets import redact

_secrets: set[str] = set()


def add_secrets(values: Iterable[object]) -> None:
    for value in values:
        getter = getattr(value, "get_secret_value", None)
        text = str(getter() if getter else value or "")
        if len(text) >= 4:
            _secrets.add(text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = redact(record.getMessage(), _secrets)
            record.args = None
        return True


def configure(path: str | os.PathLike[str] | None) -> None:
    if not path:
        return
    logger = logging.getLogger("timebill")
    target = os.path.abspath(path)
    if any(getattr(h, "baseFilename", None) == target for h in logger.handlers):
        return  # configured again in the same process (tests, the app): one line per request
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactSecrets())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
