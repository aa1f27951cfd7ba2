"""Creating one plan's draft (timebill.core.billing.transaction.create_invoice) and what the user is told about it.

Shared by the preview (one plan) and the month-end run (all reviewed plans): the outcome is
classified once, with the notice that says what happened and what to do. No widgets here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from timebill.core.billing import assign
from timebill.core.billing.journal import EntriesInProgressError
from timebill.core.billing.transaction import BillingError, BillingResult, Progress, create_invoice
from timebill.core.billomat.api import BillomatApi
from timebill.core.errors import AuthenticationError, TimebillError
from timebill.core.invoicing.builder import PlanOptions
from timebill.core.models import InvoicePlan
from timebill.core.text import clean
from timebill.tui.flow_context import BillingContext
from timebill.tui.i18n import register, t

STRINGS = {
    "create.held_title": {
        "en": "Another session is billing these entries",
        "de": "Eine andere Sitzung rechnet diese Einträge ab",
    },
    "create.held": {
        "en": "{count} of the entries are already on an invoice or being billed. Nothing was created: go back and reload the entries.",
        "de": "{count} der Einträge stehen schon auf einer Rechnung oder werden gerade abgerechnet. Nichts wurde angelegt: zurückgehen und die Einträge neu laden.",
    },
    "create.failed_title": {
        "en": "Creating the draft failed",
        "de": "Der Entwurf konnte nicht angelegt werden",
    },
    "create.failed": {
        "en": "{error}\nRun “resume unfinished invoices” (command palette) or `timebill resume` to finish it.",
        "de": "{error}\nMit „Unfertige Rechnungen fortsetzen“ (Befehlspalette) oder `timebill resume` abschließen.",
    },
    "create.refused_title": {"en": "Nothing was created", "de": "Nichts wurde angelegt"},
    "create.open_setup": {
        "en": "Open the setup and check the keys.",
        "de": "Öffnen Sie die Einrichtung und prüfen Sie die Schlüssel.",
    },
    "create.try_again": {"en": "Try again in a moment.", "de": "Gleich noch einmal versuchen."},
    "create.unfinished_title": {
        "en": "The draft exists, some entries are not marked",
        "de": "Der Entwurf existiert, einige Einträge sind nicht markiert",
    },
    "create.abandoned_title": {"en": "The plan was dropped", "de": "Der Plan wurde verworfen"},
}
register(STRINGS)

Kind = Literal["done", "unfinished", "abandoned", "held", "failed", "refused"]


@dataclass(frozen=True)
class Created:
    """What came of one create: `done`, `unfinished` (draft made, some entries not marked),
    `abandoned` (core dropped the plan), `held` (entries taken by another plan, nothing sent),
    `failed` (the plan stays in the journal for resume), `refused` (nothing recorded)."""

    kind: Kind
    result: BillingResult | None = None
    error: str = ""
    held: int = 0
    auth: bool = False

    @property
    def created(self) -> bool:
        return self.kind in ("done", "unfinished")

    @property
    def recorded(self) -> bool:
        """The journal changed (entries shown billed or in progress now)."""
        return self.kind not in ("held", "refused")

    def notice(self) -> tuple[str, str, str]:
        """(title, message, severity) for a notification; ("", "", "") when all went well."""
        if self.kind == "held":
            return t("create.held_title"), t("create.held", count=self.held), "error"
        if self.kind == "failed":
            return t("create.failed_title"), t("create.failed", error=self.error), "error"
        if self.kind == "refused":
            hint = t("create.open_setup") if self.auth else t("create.try_again")
            return t("create.refused_title"), f"{self.error}\n{hint}", "error"
        if self.kind == "abandoned":
            return t("create.abandoned_title"), self.error, "error"
        if self.kind == "unfinished":
            return t("create.unfinished_title"), self.error, "warning"
        return "", "", ""


async def create_plan(
    context: BillingContext,
    plan: InvoicePlan,
    options: PlanOptions,
    *,
    source: Any,
    billomat: BillomatApi,
    into_draft: str | None = None,
    progress: Progress | None = None,
) -> Created:
    """Create (or fill) the draft and mark the entries; on success the client's options are
    remembered for next time."""
    try:
        result = await create_invoice(
            plan,
            source=source,
            billomat=billomat,
            journal=context.journal,
            account=context.account,
            into_draft=into_draft,
            progress=progress,
        )
    except EntriesInProgressError as exc:
        return Created("held", error=clean(str(exc)), held=len(exc.entry_ids))
    except BillingError as exc:
        return Created("failed", error=clean(str(exc)))
    except TimebillError as exc:
        return Created("refused", error=clean(str(exc)), auth=isinstance(exc, AuthenticationError))
    assign.remember_client_options(context.journal, context.account, plan.client_id, options)
    if result.state == "abandoned":
        return Created("abandoned", result, clean(result.message))
    if result.state != "done":
        return Created("unfinished", result, clean(result.message))
    return Created("done", result)
