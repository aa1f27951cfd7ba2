"""The protocol every time-tracker adapter follows, and the capability flags the UI reads
instead of asking "which service is this?"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from timebill.core.models import (
    Account,
    Customer,
    MarkResult,
    Project,
    Service,
    SourceName,
    TimeEntry,
    User,
)


@runtime_checkable
class TimeSource(Protocol):
    name: SourceName
    # True where the tracker can mark many entries in one request (clockodo's entrygroups); such
    # an adapter has `mark_in_bulk(ids, start, end) -> MarkResult` (what it marked that way).
    supports_bulk_mark: bool
    # True where entries carry money-only lump sums (clockodo types 2 and 3).
    has_lumpsums: bool

    async def __aenter__(self) -> TimeSource: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def verify(self) -> Account: ...

    async def customers(self) -> list[Customer]: ...

    async def projects(self) -> list[Project]: ...

    async def services(self) -> list[Service]: ...

    async def users(self) -> list[User]: ...

    async def entries(
        self,
        start: dt.date,
        end: dt.date,
        *,
        customer_id: str | None = None,
        project_id: str | None = None,
        service_id: str | None = None,
        user_id: str | None = None,
        billable: bool | None = None,
        billed: bool | None = None,
    ) -> list[TimeEntry]:
        """All entries dated start..end inclusive (all pages), normalized and deduplicated by id."""
        ...

    async def entry(self, entry_id: str) -> TimeEntry | None:
        """One entry by id, or None when the tracker says it does not exist."""
        ...

    async def mark_billed(self, entry_ids: Iterable[str]) -> MarkResult:
        """Mark exactly these entries billed; never touches any other entry."""
        ...

    async def release(self, entry_ids: Iterable[str]) -> MarkResult:
        """Undo `mark_billed` for exactly these entries (mite: unlock; clockodo: billable=1)."""
        ...
