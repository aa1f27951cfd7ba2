"""Addresses of Billomat's web app, for the user to open what timebill created."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from timebill.core.settings.model import Settings


def invoice_url(settings: Settings, invoice_id: str | None) -> str:
    # UNCERTAIN: Billomat's web address of an invoice; this is the form its web app uses.
    b = settings.billomat
    host = (b.base_url or f"https://{b.billomat_id}.billomat.net").rstrip("/")
    return f"{host}/app/invoices/show/entityId/{invoice_id}"
