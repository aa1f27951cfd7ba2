"""`timebill check`: does each configured service answer with our keys?"""

from __future__ import annotations

from core.connect import TRACKER_TITLES, open_billomat, open_source
from core.errors import TimebillError
from core.models import Account
from core.text import clean


def describe(account: Account) -> str:
    parts = [clean(account.name)]
    if account.user_name:
        parts.append(
            f"user {clean(account.user_name)}" + (f" ({account.role})" if account.role else "")
        )
    return ", ".join(parts)


async def check(settings) -> list[tuple[str, bool, str]]:  # type: ignore[no-untyped-def]
    """One (service, ok, text) row per service; every failure has its own one-line text."""
    rows: list[tuple[str, bool, str]] = []
    tracker = TRACKER_TITLES.get(settings.tracker or "", "time tracker")
    try:
        async with open_source(settings) as source:
            rows.append((tracker, True, describe(await source.verify())))
    except TimebillError as exc:
        rows.append((tracker, False, str(exc)))
    try:
        async with open_billomat(settings) as billomat:
            rows.append(("Billomat", True, describe(await billomat.verify())))
    except TimebillError as exc:
        rows.append(("Billomat", False, str(exc)))
    return rows
