"""Errors of the invoice builder (re-exported by core.invoicing).

They live apart from core/errors.py (shared by every module) and from core/invoicing.py so the
text helpers in core/invoice_text.py can raise them without an import cycle."""

from __future__ import annotations

from collections.abc import Iterable

from core.errors import TimebillError


class PlanError(TimebillError, ValueError):
    """The entries, assignments or options cannot make a correct invoice; nothing was created.

    `entry_ids` names the entries concerned, where there are any, so a screen can highlight them."""

    def __init__(self, message: str, *, entry_ids: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.entry_ids: tuple[str, ...] = tuple(entry_ids)


class RateMissingError(PlanError):
    """No hourly rate for some entries: no override, no article price, no rate on the entry."""


class NothingToBillError(PlanError):
    """After the guards, no entry is left to bill (all billed, running, in progress, ...)."""
