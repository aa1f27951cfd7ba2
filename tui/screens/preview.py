"""Preview: the invoice plan for one Billomat client, as it will be created.

Grouping (g), rounding (r, R) and the client's invoice texts (x) rebuild the lines at once
with timebill.core.invoicing.builder.build_plan (pure, no network); Enter edits a line; d
chooses a new draft or one of the client's drafts; a reopens the assignments; c creates the
draft in a worker that is never cancelled half-way (the action is disabled while it runs) and
shows the marking of the entries as progress.

In the month-end queue the preview can also be marked reviewed (v) for "create all".
Dismisses with a PreviewOutcome, or None when the user goes back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker
from timebill.core.billing import assign
from timebill.core.billing.catalog import customers_of, services_of
from timebill.core.billing.outcomes import Created
from timebill.core.billing.service import BillingService
from timebill.core.billing.transaction import BillingResult
from timebill.core.connect import open_billomat
from timebill.core.errors import AuthenticationError, TimebillError
from timebill.core.invoicing import taxrule
from timebill.core.invoicing.builder import Assignments, PlanError, PlanOptions, SkippedEntry
from timebill.core.invoicing.choices import GROUPINGS, ROUND_TO
from timebill.core.models import Invoice, InvoicePlan, TimeEntry
from timebill.core.money import Amount, Totals, with_lines
from timebill.core.text import clean, one_line
from timebill.tui.billing_notices import notice
from timebill.tui.i18n import register, t
from timebill.tui.screens.confirm import ConfirmScreen
from timebill.tui.screens.draft_picker import DraftChoice, DraftPickerScreen
from timebill.tui.screens.line_edit import LineEditScreen
from timebill.tui.widgets import numbers
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.plan_table import PlanTable
from timebill.tui.widgets.plan_text import (
    draft_total_text,
    implausible_text,
    options_text,
    period_text,
    rounding_text,
    skipped_text,
    tax_text,
    totals_text,
)
from timebill.tui.widgets.progress_panel import ProgressPanel
from timebill.tui.widgets.worker_errors import notify_failure

STRINGS = {
    "preview.entries": {
        "en": "{count} entries, {hours} h",
        "de": "{count} Einträge, {hours} Std.",
        "en_one": "1 entry, {hours} h",
        "de_one": "1 Eintrag, {hours} Std.",
    },
    "preview.creating": {
        "en": "Creating the draft in Billomat…",
        "de": "Der Entwurf wird in Billomat angelegt…",
    },
    "preview.adding": {
        "en": "Adding the lines to draft {draft}…",
        "de": "Die Positionen werden Entwurf {draft} hinzugefügt…",
    },
    "preview.marking": {
        "en": "Marking entries billed in {tracker}: {done} of {total}",
        "de": "Einträge in {tracker} als abgerechnet markieren: {done} von {total}",
    },
    "preview.edits_reset": {
        "en": "Your line edits were reset: the lines were built anew.",
        "de": "Ihre Änderungen an Positionen wurden verworfen: die Positionen wurden neu gebildet.",
    },
    "preview.no_plan": {"en": "Nothing to bill: {reason}", "de": "Nichts abzurechnen: {reason}"},
    "preview.implausible_confirm": {
        "en": "Take these entries as they are?",
        "de": "Diese Einträge so übernehmen?",
    },
    "preview.implausible_yes": {"en": "take them", "de": "übernehmen"},
    "key.preview.tax_rule": {"en": "VAT rule", "de": "USt.-Regel"},
    "key.preview.grouping": {"en": "Group", "de": "Gruppe"},
    "key.preview.rounding": {"en": "Round", "de": "Runden"},
    "key.preview.round_per": {"en": "Round per", "de": "Runden je"},
    "key.preview.edit_line": {"en": "Edit", "de": "Ändern"},
    "key.preview.target": {"en": "Draft", "de": "Entwurf"},
    "key.preview.assign": {"en": "Assign", "de": "Zuordnen"},
    "key.preview.texts": {"en": "Texts", "de": "Texte"},
    "preview.texts_saved": {
        "en": "Texts saved for {client}; they apply to its next invoices too.",
        "de": "Texte für {client} gespeichert; sie gelten auch für die nächsten Rechnungen.",
    },
    "preview.texts_title": {"en": "Invoice title: {title}", "de": "Rechnungstitel: {title}"},
    "key.preview.create": {"en": "Create", "de": "Anlegen"},
    "key.preview.review": {"en": "Reviewed", "de": "Geprüft"},
    "key.preview.back": {"en": "Back", "de": "Zurück"},
}
STRINGS.update(
    {
        "preview.confirm.title": {"en": "Create this draft?", "de": "Diesen Entwurf anlegen?"},
        "preview.confirm.title_into": {
            "en": "Add these lines to draft {draft}?",
            "de": "Diese Positionen zu Entwurf {draft} hinzufügen?",
        },
        "preview.confirm.client": {"en": "Client: {client}", "de": "Kunde: {client}"},
        "preview.confirm.entries": {
            "en": "{count} entries, {hours} h",
            "de": "{count} Einträge, {hours} Std.",
            "en_one": "1 entry, {hours} h",
            "de_one": "1 Eintrag, {hours} Std.",
        },
        "preview.confirm.money": {
            "en": "Net {net} · gross {gross} {currency}",
            "de": "Netto {net} · brutto {gross} {currency}",
        },
        "preview.confirm.marks": {
            "en": "The entries are then marked billed in {tracker}.",
            "de": "Die Einträge werden danach in {tracker} als abgerechnet markiert.",
        },
        "preview.confirm.yes": {"en": "create", "de": "anlegen"},
        "preview.lost.creating": {
            "en": "a draft being created (timebill resume finishes it)",
            "de": "ein Entwurf, der gerade angelegt wird (timebill resume stellt ihn fertig)",
        },
        "preview.lost.edited": {
            "en": "the edited lines of the preview",
            "de": "die bearbeiteten Positionen der Vorschau",
        },
    }
)
register(STRINGS)


@dataclass(frozen=True)
class PreviewOutcome:
    """What the preview ended with: a draft created (or a failure that left the plan in the
    journal), or in the month-end queue a plan marked reviewed."""

    kind: Literal["created", "reviewed", "failed"]
    plan: InvoicePlan
    options: PlanOptions
    into_draft: str | None = None
    draft_label: str = ""
    result: BillingResult | None = None
    # The draft's totals with the lines added, as the preview computed them (into a draft only).
    draft_total: Totals | None = None


class PreviewScreen(Screen[PreviewOutcome | None]):
    CSS_PATH = "preview.tcss"
    AUTO_FOCUS = "#preview-lines"
    BINDINGS: ClassVar[list[BindingType]] = [
        # The Footer shows the first ones at 80 columns: most important first.
        Binding("c", "create", "key.preview.create", id="preview.create"),
        Binding("v", "review", "key.preview.review", id="preview.review"),
        Binding("g", "grouping", "key.preview.grouping", id="preview.grouping", show=False),
        Binding("r", "rounding", "key.preview.rounding", id="preview.rounding", show=False),
        Binding("R", "round_per", "key.preview.round_per", id="preview.round_per", show=False),
        Binding("t", "tax_rule", "key.preview.tax_rule", id="preview.tax_rule", show=False),
        Binding("d", "target", "key.preview.target", id="preview.target", show=False),
        Binding("a", "assign", "key.preview.assign", id="preview.assign"),
        Binding("x", "texts", "key.preview.texts", id="preview.texts"),
        Binding("e", "edit_line", "key.preview.edit_line", id="preview.edit_line", show=False),
        Binding("escape", "back", "key.preview.back", id="preview.back", show=False),
    ]

    class Progress(Message):
        def __init__(self, stage: str, done: int, total: int) -> None:
            super().__init__()
            self.stage = stage
            self.done = done
            self.total = total

    def __init__(
        self,
        service: BillingService,
        entries: Sequence[TimeEntry],
        assignments: Assignments,
        *,
        client_id: str,
        customer_ids: Collection[str],
        queue: bool = False,
        reviewed: PreviewOutcome | None = None,
        position: str = "",
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self.service = service
        self.entries = list(entries)
        self.assignments = assignments
        self.client_id = client_id
        self.customer_ids = frozenset(customer_ids)
        self.queue = queue
        self.position = position
        self.held = service.held()
        self.options = reviewed.options if reviewed else service.client_options(client_id)
        self.into_draft = reviewed.into_draft if reviewed else None
        self.draft_label = reviewed.draft_label if reviewed else ""
        self.plan: InvoicePlan | None = reviewed.plan if reviewed else None
        self.plan_id = self.plan.id if self.plan else None
        self.skipped: tuple[SkippedEntry, ...] = ()
        self.problem = ""
        self.edited = reviewed is not None
        self.creating = False
        self.minutes = {e.id: e.minutes for e in self.entries if e.kind == "time"}
        # The chosen draft and its items' amounts, read once when it is chosen.
        self.draft: tuple[Invoice, list[Amount]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="preview-head", markup=False)
        yield Static(id="preview-options", markup=False)
        yield PlanTable(id="preview-lines")
        yield Static(id="preview-detail", markup=False)
        yield Static(id="preview-totals", markup=False)
        yield Static(id="preview-money", markup=False)
        yield Static(id="preview-implausible", markup=False)
        yield Static(id="preview-skipped", markup=False)
        yield ProgressPanel(id="preview-progress")
        yield Footer()

    def on_mount(self) -> None:
        if self.plan is None:
            self.rebuild()
        else:
            self.show()
        if self.into_draft:
            self.load_draft(self.into_draft)

    # -- the plan --------------------------------------------------------------------------
    @property
    def client_name(self) -> str:
        client = self.assignments.client(self.client_id)
        return client.name if client else self.client_id

    def rebuild(self) -> None:
        """The plan from the entries and the current options; pure and instant."""
        if self.edited and self.plan is not None:
            self.notify(t("preview.edits_reset"), timeout=4, markup=False)
        self.edited = False
        try:
            result = self.service.plan(
                self.entries,
                self.assignments,
                self.options,
                client_id=self.client_id,
                customer_ids=self.customer_ids,
                in_progress=self.held,
                plan_id=self.plan_id,
            )
        except PlanError as exc:
            self.plan, self.skipped, self.problem = None, (), str(exc)
        else:
            self.plan, self.skipped, self.problem = result.plan, result.skipped, ""
            self.plan_id = result.plan.id
        self.show()
        self.refresh_bindings()

    def show(self) -> None:
        plan = self.plan
        head = Text()
        if self.position:
            head.append(f"{self.position}  ", style="dim")
        head.append(one_line(self.client_name), style="bold")
        if plan is not None:
            minutes = sum(self.minutes.get(entry_id, 0) for entry_id in plan.entry_ids)
            head.append(f" · {period_text(plan)} · ")
            head.append(
                t("preview.entries", count=len(plan.entry_ids), hours=numbers.hours(minutes))
            )
        self.query_one("#preview-head", Static).update(head)
        self.query_one("#preview-options", Static).update(
            options_text(self.options, self.into_draft, self.draft_label)
        )
        self.query_one(PlanTable).show_plan(plan)
        totals = self.query_one("#preview-totals", Static)
        if plan is None:
            totals.update(Text(t("preview.no_plan", reason=clean(self.problem)), style="bold"))
        else:
            totals.update(totals_text(plan))
        self._show_money()
        skipped = skipped_text(self.skipped)
        widget = self.query_one("#preview-skipped", Static)
        widget.update(skipped)
        widget.display = bool(skipped.plain)
        self._show_detail()

    def draft_totals(self) -> tuple[Totals, Totals] | None:
        """The chosen draft's totals now and with this plan's lines, once the draft is read."""
        if self.plan is None or self.draft is None or self.draft[0].id != self.into_draft:
            return None
        invoice, amounts = self.draft
        return with_lines(amounts, self.plan.lines, invoice.net_gross)

    def _show_money(self) -> None:
        plan = self.plan
        text = Text()
        if plan is not None:
            text.append_text(tax_text(plan))
            if rounding := rounding_text(plan):
                text.append("\n" + rounding)
            if totals := self.draft_totals():
                label = self.draft_label or self.into_draft or ""
                text.append("\n" + draft_total_text(label, *totals, plan.currency), style="bold")
        self.query_one("#preview-money", Static).update(text)
        warning = self.query_one("#preview-implausible", Static)
        warning.update(implausible_text(plan) if plan is not None else Text())
        warning.display = bool(plan is not None and plan.implausible)

    @work(group="draft", exclusive=True, exit_on_error=False)
    async def load_draft(self, invoice_id: str) -> None:
        async with open_billomat(self.service.settings) as billomat:
            self.draft = await billomat.draft_amounts(invoice_id)
        self._show_money()

    def _show_detail(self) -> None:
        table = self.query_one(PlanTable)
        index = table.line_index
        detail = Text()
        if self.plan is not None and index is not None:
            line = self.plan.lines[index]
            detail.append(one_line(line.title), style="bold")
            if line.description:
                detail.append("\n" + one_line(line.description))
            if line.rounding_note:
                detail.append(f"  ({one_line(line.rounding_note)})", style="dim")
            if line.quantity != line.quantity.quantize(Decimal("0.01")):
                # The table shows two places; the line bills the minutes exactly.
                detail.append(
                    f"  {line.quantity:f} × {numbers.amount(line.unit_price)}", style="dim"
                )
        self.query_one("#preview-detail", Static).update(detail)

    @on(DataTable.RowHighlighted, "#preview-lines")
    def _line_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#preview-lines")
    def _line_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_line()

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "review" and not self.queue:
            return False
        if self.creating:
            return None
        if action in ("create", "review", "edit_line", "target") and self.plan is None:
            return None
        return True

    def _set_option(self, **changes: object) -> None:
        self.options = self.options.model_copy(update=changes)
        self.rebuild()

    def action_grouping(self) -> None:
        index = GROUPINGS.index(self.options.grouping)
        self._set_option(grouping=GROUPINGS[(index + 1) % len(GROUPINGS)])

    def action_rounding(self) -> None:
        index = ROUND_TO.index(self.options.round_to)
        self._set_option(round_to=ROUND_TO[(index + 1) % len(ROUND_TO)])

    def action_round_per(self) -> None:
        self._set_option(round_per="line" if self.options.round_per == "entry" else "entry")

    def action_tax_rule(self) -> None:
        """The next VAT treatment for this client: its Billomat rule (auto), then each override."""
        index = taxrule.OVERRIDES.index(self.options.tax_rule)
        following = taxrule.OVERRIDES[(index + 1) % len(taxrule.OVERRIDES)]
        # The old --vat 0 would turn "auto" into 0 % again: the choice made here wins.
        self._set_option(tax_rule=following, reverse_charge=False)

    def action_edit_line(self) -> None:
        index = self.query_one(PlanTable).line_index
        if self.plan is None or index is None or self.creating:
            return

        def edited(plan: InvoicePlan | None) -> None:
            if plan is not None:
                self.plan = plan
                self.edited = True
                self.show()

        self.app.push_screen(LineEditScreen(self.plan, index), edited)

    def action_target(self) -> None:
        def chosen(choice: DraftChoice | None) -> None:
            if choice is not None:
                self.into_draft, self.draft_label = choice.invoice_id, choice.label
                self.show()
                if choice.invoice_id:
                    self.load_draft(choice.invoice_id)

        self.app.push_screen(
            DraftPickerScreen(
                self.service.settings, self.client_id, self.client_name, self.into_draft
            ),
            chosen,
        )

    def action_assign(self) -> None:
        from timebill.tui.screens.assign import AssignScreen

        def assigned(resolution: assign.Resolution | None) -> None:
            if resolution is not None:
                self._reassigned(resolution.assignments)

        self.app.push_screen(
            AssignScreen(
                self.service, customers_of(self.entries), services_of(self.entries), always=True
            ),
            assigned,
        )

    def action_texts(self) -> None:
        """The client's invoice texts: saved ones are remembered for the client at once (an
        explicit choice, kept even if no draft follows), and the lines are built anew."""
        from timebill.tui.screens.texts import TextsScreen

        def saved(options: PlanOptions | None) -> None:
            if options is None or self.creating:
                return
            self.options = options
            self.service.remember_texts(self.client_id, options)
            self.rebuild()
            # The lines show their new texts; the invoice's title is seen nowhere else.
            message = t("preview.texts_saved", client=one_line(self.client_name))
            if self.plan is not None:
                message += "\n" + t("preview.texts_title", title=one_line(self.plan.title))
            self.notify(message, timeout=6, markup=False)

        self.app.push_screen(TextsScreen(self.options, one_line(self.client_name)), saved)

    def _reassigned(self, assignments: Assignments) -> None:
        self.assignments = assignments
        first = next(iter(sorted(self.customer_ids)), None)
        client_id = assignments.clients.get(first) if first else None
        if client_id is not None and client_id != self.client_id:
            self.client_id = client_id
            self.options = self.service.client_options(client_id)
            self.into_draft, self.draft_label = None, ""
        self.customer_ids = frozenset(
            c for c in self.customer_ids if assignments.clients.get(c) == self.client_id
        )
        self.rebuild()

    def action_back(self) -> None:
        self.dismiss(None)

    def _confirmed(self, then: Callable[[], None]) -> None:
        """`then`, at once, or after an explicit yes when the plan has implausible entries."""
        plan = self.plan
        if plan is None or not plan.implausible:
            then()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(
            ConfirmScreen(
                t("preview.implausible_confirm"),
                [implausible_text(plan)],
                t("preview.implausible_yes"),
            ),
            answered,
        )

    def action_review(self) -> None:
        if self.plan is not None and self.queue:
            self._confirmed(self._reviewed)

    def _reviewed(self) -> None:
        if self.plan is not None:
            self.dismiss(
                PreviewOutcome(
                    "reviewed", self.plan, self.options, self.into_draft, self.draft_label
                )
            )

    def work_at_risk(self) -> str | None:
        if self.creating:
            return t("preview.lost.creating")
        if self.edited:
            return t("preview.lost.edited")
        return None

    def action_create(self) -> None:
        """Ask first: creating locks the entries in the tracker, one key must not do that."""
        plan = self.plan
        if plan is None or self.creating:
            return
        minutes = sum(self.minutes.get(entry_id, 0) for entry_id in plan.entry_ids)
        if self.into_draft:
            title = t("preview.confirm.title_into", draft=self.draft_label or self.into_draft)
        else:
            title = t("preview.confirm.title")
        lines: list[Text | str] = [
            Text(t("preview.confirm.client", client=one_line(self.client_name)), style="bold"),
            t(
                "preview.confirm.entries",
                count=numbers.count(len(plan.entry_ids)),
                hours=numbers.hours(minutes, grouping=True),
            ),
            t(
                "preview.confirm.money",
                net=numbers.amount(plan.total_net, grouping=True),
                gross=numbers.amount(plan.total_gross, grouping=True),
                currency=plan.currency,
            ),
            Text(t("preview.confirm.marks", tracker=self.service.tracker), style="dim"),
        ]

        if plan.implausible:
            # One question for both: the entries that look wrong are listed in it.
            lines += ["", implausible_text(plan)]

        def answered(yes: bool | None) -> None:
            if yes and self.plan is plan:
                self._start_create(plan)

        self.app.push_screen(ConfirmScreen(title, lines, t("preview.confirm.yes")), answered)

    def _start_create(self, plan: InvoicePlan) -> None:
        if self.creating:
            return
        self.creating = True
        self.refresh_bindings()
        panel = self.query_one(ProgressPanel)
        if self.into_draft:
            panel.begin(t("preview.adding", draft=self.draft_label or self.into_draft))
        else:
            panel.begin(t("preview.creating"))
        self.create(plan, self.into_draft)

    # -- creating --------------------------------------------------------------------------
    def _progress(self, stage: str, done: int, total: int) -> None:
        # Called by timebill.core.billing.transaction inside the worker, which runs on this event loop: a message
        # is all it takes to update the bar between two requests.
        self.post_message(self.Progress(stage, done, total))

    def on_preview_screen_progress(self, message: PreviewScreen.Progress) -> None:
        if message.stage == "marking":
            text = t(
                "preview.marking",
                tracker=self.service.tracker,
                done=message.done,
                total=message.total,
            )
            self.query_one(ProgressPanel).update(text, message.done, message.total)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_failure(self, event) and event.worker.group == "create":
            self._stop_creating()

    def _stop_creating(self) -> None:
        self.creating = False
        self.query_one(ProgressPanel).end()
        self.refresh_bindings()

    # Never exclusive: cancelling a POST half-way leaves its outcome unknown.
    @work(group="create", exit_on_error=False)
    async def create(self, plan: InvoicePlan, into_draft: str | None) -> None:
        service = self.service
        totals = self.draft_totals() if into_draft else None
        try:
            async with service.connect() as (source, billomat):
                created = await service.create(
                    plan,
                    self.options,
                    source=source,
                    billomat=billomat,
                    into=into_draft,
                    progress=self._progress,
                    entries=self.entries,
                )
        except TimebillError as exc:  # the adapters could not be set up (a setting missing)
            created = Created("refused", error=str(exc), auth=isinstance(exc, AuthenticationError))
        self._stop_creating()
        title, message, severity = notice(created)
        if message:
            self.notify(message, title=title, severity=severity, timeout=15, markup=False)  # type: ignore[arg-type]
        outcome = PreviewOutcome(
            "created" if created.created else "failed",
            plan,
            self.options,
            into_draft,
            self.draft_label,
            created.result,
            totals[1] if totals else None,
        )
        if created.recorded:
            self.dismiss(outcome)
        elif created.kind == "held":
            # Another plan took some entries meanwhile: show the plan without them.
            self.held = service.held()
            self.rebuild()
