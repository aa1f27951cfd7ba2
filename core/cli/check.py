"""`timebill check`: does each configured service answer with our keys?"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from timebill.core.connect import TRACKER_TITLES, open_billomat, open_source
from timebill.core.errors import TimebillError
from timebill.core.models import Account
from timebill.core.text import clean, one_line

if TYPE_CHECKING:
    from timebill.core.settings.model import Settings

Row = tuple[str, bool, str]


def describe(account: Account) -> str:
    parts = [clean(account.name)]
    if account.user_name:
        parts.append(
            f"user {clean(account.user_name)}" + (f" ({account.role})" if account.role else "")
        )
    return ", ".join(parts)


async def _verify(title: str, opener: Callable[[Settings], Any], settings: Settings) -> Row:
    try:
        async with opener(settings) as client:
            return (title, True, one_line(describe(await client.verify())))
    except TimebillError as exc:
        # One line per service, whatever the adapter's message looks like.
        return (title, False, one_line(str(exc)))


async def check(settings: Settings) -> list[Row]:
    """One (service, ok, text) row per service; every failure has its own one-line text.

    Both services are asked at once: an unreachable host is retried with backoff, and the other
    service's answer should not wait for that."""
    tracker = TRACKER_TITLES.get(settings.tracker or "", "time tracker")
    rows = await asyncio.gather(
        _verify(tracker, open_source, settings),
        _verify("Billomat", open_billomat, settings),
    )
    return list(rows)
