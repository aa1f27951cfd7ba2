"""Entries that look wrong before they go on an invoice: more than 24 hours on one entry or for
one person on one day, or a negative hourly rate. They are not dropped (a long day may be true);
the preview shows them and creating needs an explicit yes (CLI: --allow-implausible)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from timebill.core.invoicing.texts import Language, format_date
from timebill.core.models import Implausible, TimeEntry

DAY = 24 * 60


def check(entries: Iterable[TimeEntry]) -> tuple[Implausible, ...]:
    found: list[Implausible] = []
    days: dict[tuple[str, object], list[TimeEntry]] = {}
    for entry in entries:
        if entry.kind != "time":
            continue
        who = entry.user_name or entry.user_id or ""
        if entry.minutes > DAY:
            found.append(
                Implausible(
                    kind="long_entry",
                    entry_ids=(entry.id,),
                    day=entry.date,
                    amount=Decimal(entry.minutes),
                    who=who,
                )
            )
        if entry.hourly_rate is not None and entry.hourly_rate < 0:
            found.append(
                Implausible(
                    kind="negative_rate",
                    entry_ids=(entry.id,),
                    day=entry.date,
                    amount=entry.hourly_rate,
                    who=who,
                )
            )
        days.setdefault((entry.user_id or who, entry.date), []).append(entry)
    for same_day in days.values():
        minutes = sum(entry.minutes for entry in same_day)
        if len(same_day) > 1 and minutes > DAY:
            first = same_day[0]
            found.append(
                Implausible(
                    kind="long_day",
                    entry_ids=tuple(entry.id for entry in same_day),
                    day=first.date,
                    amount=Decimal(minutes),
                    who=first.user_name or first.user_id or "",
                )
            )
    return tuple(sorted(found, key=lambda item: (item.day, item.kind, item.entry_ids)))


def _duration(minutes: Decimal) -> str:
    whole = int(minutes)
    return f"{whole // 60}:{whole % 60:02d} h"


def describe(item: Implausible, language: Language) -> str:
    day = format_date(item.day, "de")  # the CLI prints dates as dd.mm.yyyy too
    ids = ", ".join(item.entry_ids[:5]) + (" …" if len(item.entry_ids) > 5 else "")
    who = f" ({item.who})" if item.who else ""
    if language == "de":
        if item.kind == "long_entry":
            return f"Eintrag {ids} am {day}{who}: {_duration(item.amount)} in einem Eintrag"
        if item.kind == "long_day":
            return f"{day}{who}: {_duration(item.amount)} an einem Tag (Einträge {ids})"
        return f"Eintrag {ids} am {day}{who}: negativer Stundensatz {item.amount}"
    if item.kind == "long_entry":
        return f"entry {ids} on {day}{who}: {_duration(item.amount)} in one entry"
    if item.kind == "long_day":
        return f"{day}{who}: {_duration(item.amount)} in one day (entries {ids})"
    return f"entry {ids} on {day}{who}: negative hourly rate {item.amount}"


def summary(items: Sequence[Implausible], language: Language) -> list[str]:
    return [describe(item, language) for item in items]
