"""What billing needs of Billomat: the seam between the billing code and the adapter
(`timebill.core.billomat.client.Billomat` fits it; tests may pass anything else that does)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    async def verify(self) -> Account: ...

    async def clients(self) -> list[BillomatClient]: ...

    async def taxes(self) -> list[Tax]: ...

    async def articles(self) -> list[Article]: ...

    async def create_draft(self, plan: InvoicePlan) -> Invoice:
        """One POST with every line; the plan's marker lands in the invoice's customfield."""
        ...

    async def add_items(
        self,
        invoice_id: str,
        lines: Iterable[InvoiceLine],
        *,
        markers: Sequence[str] | None = None,
    ) -> list[InvoiceItem]: ...

    async def drafts(self, client_id: str | None = None) -> list[Invoice]: ...

    async def find_by_marker(self, marker: str, client_id: str | None = None) -> Invoice | None: ...

    async def invoice(self, invoice_id: str) -> Invoice: ...

    async def invoice_items(self, invoice_id: str) -> list[InvoiceItem]: ...
