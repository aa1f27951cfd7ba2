"""The billing flow: a selection of entries -> Assign -> Preview -> create -> Done, once per
Billomat client in the selection; and the month-end run.

How the app wires it (everything else happens inside):

    from timebill.tui.flow import BillingDone, bill_selection, month_end

    async def on_entries_screen_bill_requested(self, message) -> None:
        await bill_selection(self, message.entries, settings=self.settings)

    async def on_entries_screen_month_end_requested(self, message) -> None:
        await month_end(self, message.start, message.end, settings=self.settings)

    def on_billing_done(self, message: BillingDone) -> None:   # entries screen or app
        self.reload()                                           # entries now shown billed

- `bill_selection` shows its screens one after another with `push_screen_wait`, which needs a
  worker. Called from a worker, it runs to the end of the flow; called from an event handler
  or action, it starts its own worker (group FLOW_GROUP, on the app) and returns at once. One
  flow at a time: a call while one runs only brings a notification.
- `month_end` pushes the Month-end screen (which walks its queue in its own workers) and
  returns once it is shown.
- When a flow created, filled or released anything, `BillingDone` is posted to the screen
  that was on top when the flow started (the entries screen); it bubbles on to the app.
  A handler that reloads should `message.stop()` so the app does not reload as well.
- The Assign screen is skipped when every customer and service of the selection already has
  an assignment (remembered, same name, or a service kept as free text).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.worker import NoActiveWorker, Worker, get_current_worker
from timebill.core.billing.catalog import client_groups, customers_of, services_of
from timebill.core.billing.service import BillingService
from timebill.core.billomat.links import invoice_url
from timebill.core.errors import TimebillError
from timebill.core.models import TimeEntry
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.screens.assign import AssignScreen
from timebill.tui.screens.done import DoneScreen
from timebill.tui.screens.month_end import MonthEndScreen
from timebill.tui.screens.preview import PreviewScreen

if TYPE_CHECKING:
    from timebill.core.settings.model import Settings

__all__ = [
    "FLOW_GROUP",
    "BillingDone",
    "bill_selection",
    "month_end",
    "start_billing",
]

STRINGS = {
    "flow.busy": {
        "en": "An invoice is already being prepared: finish or leave it first.",
        "de": "Es wird schon eine Rechnung vorbereitet: erst abschließen oder verlassen.",
    },
    "flow.nothing": {
        "en": "Nothing to bill: select open entries first (space selects, a selects all).",
        "de": "Nichts abzurechnen: erst offene Einträge auswählen (Leertaste, a für alle).",
    },
    "flow.unassigned": {
        "en": "Not billed, no Billomat client: {names}.",
        "de": "Nicht abgerechnet, kein Billomat-Kunde: {names}.",
    },
    "flow.journal_failed": {
        "en": "The billing journal cannot be opened",
        "de": "Das Abrechnungsjournal lässt sich nicht öffnen",
    },
    "flow.crashed": {
        "en": "Billing stopped unexpectedly",
        "de": "Die Abrechnung wurde unerwartet beendet",
    },
    "flow.crashed_hint": {
        "en": "{error}\nThe journal keeps anything started: run “resume unfinished invoices”.",
        "de": "{error}\nDas Journal hält Begonnenes fest: „Unfertige Rechnungen fortsetzen“ ausführen.",
    },
}
register(STRINGS)

FLOW_GROUP = "billing-flow"
log = logging.getLogger(__name__)


class BillingDone(Message):
    """Billing changed entries in the tracker (drafts created, entries marked or released):
    whoever shows entries should reload them."""

    def __init__(self, invoice_ids: Iterable[str] = (), *, released: bool = False) -> None:
        super().__init__()
        self.invoice_ids = tuple(invoice_ids)
        self.released = released


def _announce(app: App[Any], origin: DOMNode | None, message: BillingDone) -> None:
    target = origin if origin is not None and origin.is_attached else app
    target.post_message(message)


def _open_service(
    app: App[Any], settings: Any, journal_path: str | Path | None
) -> BillingService | None:
    try:
        return BillingService.open(settings, journal_path)
    except (TimebillError, OSError) as exc:
        app.notify(
            clean(str(exc)),
            title=t("flow.journal_failed"),
            severity="error",
            timeout=12,
            markup=False,
        )
        return None


def _busy(app: App[Any]) -> bool:
    return any(w.group == FLOW_GROUP and not w.is_finished for w in app.workers)


def start_billing(
    app: App[Any],
    entries: Sequence[TimeEntry],
    *,
    settings: Settings,
    journal_path: str | Path | None = None,
) -> Worker[None] | None:
    """Start the flow in a worker of the app; None (and a notification) if one is running."""
    if _busy(app):
        app.notify(t("flow.busy"), severity="warning", markup=False)
        return None
    return app.run_worker(
        _bill(app, list(entries), settings, journal_path),
        name="billing",
        group=FLOW_GROUP,
        exit_on_error=False,
    )


async def bill_selection(
    app: App[Any],
    entries: Sequence[TimeEntry],
    *,
    settings: Settings,
    journal_path: str | Path | None = None,
) -> None:
    """Bill `entries`: Assign (when needed) -> Preview -> create -> Done, per Billomat client."""
    try:
        get_current_worker()
    except NoActiveWorker:
        start_billing(app, entries, settings=settings, journal_path=journal_path)
        return
    await _bill(app, list(entries), settings, journal_path)


async def _bill(
    app: App[Any], entries: list[TimeEntry], settings: Settings, journal_path: str | Path | None
) -> None:
    origin = app.screen
    # Billed entries and running timers can never be billed: they are not asked about.
    entries = [e for e in entries if e.customer_id and not e.billed and not e.running]
    if not entries:
        app.notify(t("flow.nothing"), severity="warning", markup=False)
        return
    service = _open_service(app, settings, journal_path)
    if service is None:
        return
    created: list[str] = []
    changed = False
    try:
        resolution = await app.push_screen_wait(
            AssignScreen(service, customers_of(entries), services_of(entries))
        )
        if resolution is None:
            return
        if resolution.unassigned_customers:
            names = ", ".join(one_line(n, 30) for n in resolution.unassigned_customers.values())
            app.notify(
                t("flow.unassigned", names=names), severity="warning", timeout=8, markup=False
            )
        groups = client_groups(entries, resolution.assignments)
        if not groups:
            app.notify(t("flow.nothing"), severity="warning", markup=False)
        index = 0
        while index < len(groups):
            group = groups[index]
            outcome = await app.push_screen_wait(
                PreviewScreen(
                    service,
                    group.entries,
                    resolution.assignments,
                    client_id=group.client_id,
                    customer_ids=group.customer_ids,
                    position=f"{index + 1}/{len(groups)}" if len(groups) > 1 else "",
                )
            )
            if outcome is None:
                break
            if outcome.kind != "created" or outcome.result is None:
                changed = True  # a failed plan stays in the journal: its entries show in progress
                break
            changed = True
            result = outcome.result
            if result.invoice_id:
                created.append(result.invoice_id)
            following = groups[index + 1].client_name if index + 1 < len(groups) else None
            choice = await app.push_screen_wait(
                DoneScreen(
                    result,
                    outcome.plan,
                    url=invoice_url(settings, result.invoice_id),
                    tracker=service.tracker,
                    into_draft=outcome.into_draft,
                    next_name=following,
                    draft_total=outcome.draft_total,
                )
            )
            if choice != "next":
                break
            index += 1
    except Exception as exc:  # a bug must not pass silently in a worker that exits quietly
        log.exception("billing flow failed")
        app.notify(
            t("flow.crashed_hint", error=clean(f"{type(exc).__name__}: {exc}")),
            title=t("flow.crashed"),
            severity="error",
            timeout=20,
            markup=False,
        )
        changed = True
    finally:
        service.close()
        if changed:
            _announce(app, origin, BillingDone(created))


async def month_end(
    app: App[Any],
    start: dt.date,
    end: dt.date,
    *,
    settings: Settings,
    journal_path: str | Path | None = None,
) -> None:
    """Push the Month-end screen for `start`..`end`; BillingDone follows when it is left after
    creating or releasing anything."""
    service = _open_service(app, settings, journal_path)
    if service is None:
        return
    origin = app.screen
    screen = MonthEndScreen(service, start, end, owns_service=True)

    def closed(changed: bool | None) -> None:
        if changed:
            ids = [r.result.invoice_id for r in screen.rows if r.result and r.result.invoice_id]
            _announce(app, origin, BillingDone(ids))

    await app.push_screen(screen, callback=closed)
