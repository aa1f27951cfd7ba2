"""Workers run with exit_on_error=False; an error nobody expected (a bug, not a TimebillError,
which the workers turn into their own notifications) must still reach the user."""

from __future__ import annotations

import logging

from textual.widget import Widget
from textual.worker import Worker, WorkerState
from timebill.core.text import clean
from timebill.tui.i18n import register, t

STRINGS = {
    "worker.failed": {"en": "Something went wrong", "de": "Etwas ist schiefgegangen"},
    "worker.failed_hint": {
        "en": "{error}\nDetails are in the log (`timebill locate` shows where). Anything billing started is in the journal: run “resume unfinished invoices”.",
        "de": "{error}\nDetails stehen im Log (`timebill locate` zeigt wo). Begonnene Abrechnungen stehen im Journal: „Unfertige Rechnungen fortsetzen“ ausführen.",
    },
}
register(STRINGS)
log = logging.getLogger(__name__)


def notify_failure(node: Widget, event: Worker.StateChanged) -> bool:
    """Notify about a worker that ended with an unexpected error; True if this one did."""
    if event.state != WorkerState.ERROR:
        return False
    error = event.worker.error
    log.error("worker %s failed", event.worker.name, exc_info=error)
    node.notify(
        t("worker.failed_hint", error=clean(f"{type(error).__name__}: {error}")),
        title=t("worker.failed"),
        severity="error",
        timeout=15,
        markup=False,
    )
    return True
