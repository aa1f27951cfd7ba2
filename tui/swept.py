"""The sweep's findings (timebill.core.billing.drafts.SweepAction) as notifications: a late copy
of a draft or line that timebill removed, or could not remove. The CLI prints them on stdout;
the app says them here, after every resume."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from timebill.core.billing.drafts import SweepAction
from timebill.tui.i18n import register, t

STRINGS = {
    "swept.title": {"en": "Late copy removed", "de": "Späte Kopie entfernt"},
    "swept.failed_title": {
        "en": "Late copy NOT removed",
        "de": "Späte Kopie NICHT entfernt",
    },
    "swept.draft": {
        "en": "Deleted draft {number} (id {id}): a second draft of plan {plan} that landed late.",
        "de": "Entwurf {number} (ID {id}) gelöscht: ein verspätet angekommener zweiter Entwurf von Plan {plan}.",
    },
    "swept.line": {
        "en": "Removed a duplicate line (item {id}) from draft {number} (plan {plan}).",
        "de": "Doppelte Position (ID {id}) aus Entwurf {number} entfernt (Plan {plan}).",
    },
    "swept.failed": {
        "en": "Delete it in Billomat or run `timebill sync`. {message}",
        "de": "In Billomat löschen oder `timebill sync` ausführen. {message}",
    },
}
register(STRINGS)


def swept_text(action: SweepAction) -> str:
    key = "swept.draft" if action.kind == "draft" else "swept.line"
    text = t(
        key,
        number=action.invoice_number or action.invoice_id,
        id=action.deleted_id,
        plan=action.plan_id[:8],
    )
    return text if action.done else t("swept.failed", message=action.message)


def notify_swept(app: Any, actions: Sequence[SweepAction]) -> None:
    """One notification per late copy: removed (information) or still there (error)."""
    for action in actions:
        app.notify(
            swept_text(action),
            title=t("swept.title" if action.done else "swept.failed_title"),
            severity="information" if action.done else "error",
            timeout=20,
            markup=False,
        )
