"""What billing needs of Billomat: the seam between the billing code and the adapter
(`timebill.core.billomat.client.Billomat` fits it; tests may pass anything else that does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from timebill.core.models import (
    Account,
    Article,
    BillomatClient,
    Invoice,
    InvoiceLine,
    InvoicePlan,
    Tax,
)

if TYPE_CHECKING:  # the wire module loads httpx; the seam does not need it at run time
    from timebill.core.billomat.wire import InvoiceItem


class BillomatApi(Protocol):
    @property
    def account_key(self) -> str:
        """The account this adapter talks to, as recorded with each plan."""
        ...

    async def verify(self) -> Account: ...

    async def clients(self) -> list[BillomatClient]: ...

    async def taxes(self) -> list[Tax]: ...

    async def articles(self) -> list[Article]: ...

    async def create_draft(self, plan: InvoicePlan, customfield: str | None = None) -> Invoice:
        """One POST with every line; `customfield` (default: the plan's marker) is stored."""
        ...

    async def add_items(
        self,
        invoice_id: str,
        lines: Iterable[InvoiceLine],
        *,
        markers: Sequence[str] | None = None,
        before_each: Callable[[int], None] | None = None,
        period: tuple[dt.date, dt.date] | None = None,
        note: str = "",
    ) -> list[InvoiceItem]: ...

    async def drafts(self, client_id: str | None = None) -> list[Invoice]: ...

    async def find_by_marker(self, marker: str, client_id: str | None = None) -> Invoice | None: ...

    async def find_all_by_marker(
        self, marker: str, client_id: str | None = None
    ) -> list[Invoice]: ...

    async def find_untagged_copies(self, plan: InvoicePlan) -> list[Invoice]: ...

    async def untagged_copies(
        self, plan: InvoicePlan, drafts: Iterable[Invoice]
    ) -> list[Invoice]: ...

    async def set_customfield(self, invoice_id: str, value: str) -> None: ...

    async def invoice_gone(self, invoice_id: str) -> bool: ...

    async def delete_item(self, item_id: str) -> None: ...

    async def delete_invoice(self, invoice_id: str) -> None: ...

    async def invoice(self, invoice_id: str) -> Invoice: ...

    async def invoice_items(self, invoice_id: str) -> list[InvoiceItem]: ...
