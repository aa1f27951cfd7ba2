"""DeletedDrafts: drafts timebill created that were deleted in Billomat since. Their entries are
still marked billed in the tracker although no invoice holds them; `l` releases them (mite:
unlocked, clockodo: billable again) so they can be billed anew.

Hidden while there are none. `check()` looks in a worker (the check sweeps late copies of drafts
first, timebill.core.billing.sync, and says what it removed); `Released` is posted after a
release.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker
from timebill.core.billing.journal import PlanRecord
from timebill.core.billing.service import BillingService
from timebill.core.connect import open_billomat, open_source
from timebill.core.errors import TimebillError
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t
from timebill.tui.swept import notify_swept
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.numbers import money
from timebill.tui.widgets.worker_errors import notify_failure

STRINGS = {
    "deleted.title": {
        "en": "Deleted in Billomat, entries still marked billed (l releases them):",
        "de": "In Billomat gelöscht, Einträge noch abgerechnet (l gibt sie frei):",
    },
    "deleted.row": {
        "en": "Draft {draft} · {client} · {start} – {end} · {count} entries · net {net}",
        "de": "Entwurf {draft} · {client} · {start} – {end} · {count} Einträge · netto {net}",
        "en_one": "Draft {draft} · {client} · {start} – {end} · 1 entry · net {net}",
        "de_one": "Entwurf {draft} · {client} · {start} – {end} · 1 Eintrag · netto {net}",
    },
    "deleted.check_failed": {
        "en": "Could not check for deleted drafts",
        "de": "Gelöschte Entwürfe konnten nicht geprüft werden",
    },
    "deleted.release_failed": {
        "en": "Releasing the entries failed",
        "de": "Die Einträge konnten nicht freigegeben werden",
    },
    "deleted.released": {
        "en": "Released {count} entries: they can be billed again.",
        "de": "{count} Einträge freigegeben: sie können neu abgerechnet werden.",
        "en_one": "Released 1 entry: it can be billed again.",
        "de_one": "1 Eintrag freigegeben: er kann neu abgerechnet werden.",
    },
    "deleted.partly": {
        "en": "{count} entries could not be released: {reasons}. Try again with l.",
        "de": "{count} Einträge konnten nicht freigegeben werden: {reasons}. Mit l erneut versuchen.",
        "en_one": "1 entry could not be released: {reasons}. Try again with l.",
        "de_one": "1 Eintrag konnte nicht freigegeben werden: {reasons}. Mit l erneut versuchen.",
    },
    "key.deleted.release": {"en": "Release entries", "de": "Einträge freigeben"},
}
register(STRINGS)


def deleted_text(record: PlanRecord) -> Text:
    plan = record.plan
    return Text(
        t(
            "deleted.row",
            draft=record.invoice_number or record.invoice_id or "?",
            client=one_line(plan.client_name or plan.client_id, 28),
            start=f"{plan.service_start:%d.%m.}",
            end=f"{plan.service_end:%d.%m.%Y}",
            count=len(record.entry_ids),
            net=money(plan.total_net, plan.currency),
        )
    )


class DeletedDrafts(Vertical):
    DEFAULT_CSS = """
    DeletedDrafts { height: auto; display: none; }
    DeletedDrafts.-shown { display: block; }
    DeletedDrafts > Static { color: $warning; padding: 0 1; }
    DeletedDrafts > DataTable { height: auto; max-height: 4; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "release", "key.deleted.release", id="deleted.release"),
    ]

    class Released(Message):
        def __init__(self, record: PlanRecord) -> None:
            super().__init__()
            self.record = record

    def __init__(self, service: BillingService, *, id: str | None = None) -> None:
        super().__init__(id=id)
        localize_bindings(self)
        self.service = service
        self.records: list[PlanRecord] = []
        self.releasing = False

    def compose(self) -> ComposeResult:
        yield Static(Text(t("deleted.title")))
        yield DataTable(cursor_type="row", show_header=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_column("", key="draft")

    @work(exclusive=True, group="deleted-drafts", exit_on_error=False)
    async def check(self) -> None:
        service = self.service
        try:
            async with open_billomat(service.settings) as billomat:
                report = await service.sync_report(billomat)
        except TimebillError as exc:
            self.notify(
                clean(str(exc)), title=t("deleted.check_failed"), severity="warning", markup=False
            )
            return
        notify_swept(self.app, report.swept)
        self.show(report.gone)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_failure(self, event):
            self.releasing = False
            self.refresh_bindings()

    def show(self, records: list[PlanRecord]) -> None:
        self.records = list(records)
        table = self.query_one(DataTable)
        table.clear()
        for record in self.records:
            table.add_row(deleted_text(record), key=record.id)
        self.set_class(bool(self.records), "-shown")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "release":
            return None if self.releasing or not self.records else True
        return True

    def action_release(self) -> None:
        index = self.query_one(DataTable).cursor_row
        if self.releasing or not 0 <= index < len(self.records):
            return
        self.releasing = True
        self.refresh_bindings()
        self.release_entries(self.records[index])

    @work(group="deleted-release", exit_on_error=False)
    async def release_entries(self, record: PlanRecord) -> None:
        service = self.service
        try:
            async with open_source(service.settings) as source:
                result = await service.release(record, source=source)
        except TimebillError as exc:
            self.notify(
                clean(str(exc)), title=t("deleted.release_failed"), severity="error", markup=False
            )
            return
        finally:
            self.releasing = False
            self.refresh_bindings()
        if result.failed:
            reasons = "; ".join(f"{k}: {v}" for k, v in list(result.failed.items())[:3])
            self.notify(
                t("deleted.partly", count=len(result.failed), reasons=clean(reasons)),
                title=t("deleted.release_failed"),
                severity="error",
                timeout=12,
                markup=False,
            )
            return
        self.notify(t("deleted.released", count=len(result.succeeded)), markup=False)
        self.show([r for r in self.records if r.id != record.id])
        self.post_message(self.Released(record))
