"""The invoice builder: time entries + assignments + options -> InvoicePlan. Pure, no I/O.

Rules a reviewer should know (each guarded by tests/test_invoicing*.py):

- Guards: billed, running, in-progress (journal), non-billable (unless `include_non_billable`),
  duplicate, negative-duration entries and entries of another customer never enter a plan. They
  are EXCLUDED and reported in `PlanResult.skipped` with a reason, so a preview can say why an
  entry is missing; if nothing is left, `build_plan` raises NothingToBillError.
- Rate of a time entry, first that exists: `PlanOptions.rate_override` (per client) > the source
  named by `rate_source` ("article": the article's sales_price; "entry": the tracker's rate) >
  the other of the two. A price or tracker rate of 0 counts as missing: Billomat's default
  sales_price is 0 and mite reports 0 for "no rate"; an override of 0 is taken as meant. A rate
  missing everywhere raises RateMissingError naming the services and entries.
- A line never mixes rates, articles, taxes or units: a group whose entries differ in any of
  them is SPLIT into one line per combination (never averaged).
- Quantity: minutes rounded up per entry or per line (`round_to`, `round_per`), summed, turned
  into hours: 2 places where exact, else 6 (timebill.core.money.hours), so with no rounding the
  net is the tracker's value within a cent per line whatever the grouping. The article's unit name is used as is
  (default "Stunde"); the quantity is hours whatever the unit says.
- Tax: the client's tax rule (timebill.core.invoicing.taxrule) or the user's override per client;
  a 0 % treatment (reverse charge, outside the EU, NO_TAX) puts 0 % on every line and its note
  into `tax_note`; else the article's tax (by tax_id among the
  given taxes, else the article's rate); else the default (`default_vat`, else the Billomat tax
  marked default). No rate anywhere is a PlanError.
- clockodo lump sums become one line each (quantity lumpsum_quantity or 1, unit "Pauschale",
  unit_price = amount / quantity when that is exact in cents, else 1 × amount), always free
  text (article_id None) so an hourly article's values are never copied onto them.
- Texts: the invoice title, intro and closing note and the line title and description are
  templates (fields in timebill.core.invoicing.texts: LINE_FIELDS, INVOICE_FIELDS); an unknown
  field is a PlanError naming it. Values are filled in once (braces in notes stay text), then
  cleaned and cut to TITLE_MAX / DESCRIPTION_MAX; an empty intro or note leaves the Billomat
  account's own text.
- Lines are ordered by group (date for "entry"/"day", names otherwise), then article, rate;
  lump sums follow by date. Totals come from timebill.core.money, the rule the emulator shares.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Literal

from timebill.core.errors import NothingToBillError, PlanError, RateMissingError
from timebill.core.invoicing import plausibility, taxrule
from timebill.core.invoicing import texts as text
from timebill.core.invoicing.choices import Grouping, RoundPer
from timebill.core.invoicing.lines import LineBuilder
from timebill.core.invoicing.models import (
    MARKER_PREFIX,
    Assignments,
    ClientFailure,
    MonthEndPlans,
    PlanOptions,
    PlanResult,
    SkippedEntry,
    SkipReason,
    UnassignedCustomer,
)
from timebill.core.invoicing.texts import Language
from timebill.core.models import BillomatClient, InvoiceLine, InvoicePlan, NetGross, TimeEntry
from timebill.core.money import cents, line_total_net, totals

__all__ = [
    "Assignments",
    "ClientFailure",
    "Grouping",
    "Language",
    "MonthEndPlans",
    "NothingToBillError",
    "PlanError",
    "PlanOptions",
    "PlanResult",
    "RateMissingError",
    "RoundPer",
    "SkipReason",
    "SkippedEntry",
    "UnassignedCustomer",
    "build_plan",
    "edit_line",
    "marker_for",
    "open_entries",
    "plans_by_client",
]


def marker_for(plan_id: str) -> str:
    return f"{MARKER_PREFIX}{plan_id}"


def _skip(entry_id: str, reason: SkipReason, language: Language) -> SkippedEntry:
    return SkippedEntry(entry_id, reason, text.SKIP_MESSAGES[language][reason])


def _guard(
    entry: TimeEntry, in_progress: Collection[str], include_non_billable: bool
) -> SkipReason | None:
    if entry.billed:
        return "billed"
    if entry.running:
        return "running"
    if entry.id in in_progress:
        return "in_progress"
    if not entry.billable and not include_non_billable:
        return "not_billable"
    if entry.kind == "time" and entry.minutes < 0:
        return "invalid"
    return None


def open_entries(
    entries: Iterable[TimeEntry],
    *,
    in_progress: Collection[str] = frozenset(),
    include_non_billable: bool = False,
    language: Language = "de",
) -> tuple[list[TimeEntry], list[SkippedEntry]]:
    """The entries that may be billed (first occurrence of each id), and why the others may not."""
    seen: set[str] = set()
    kept: list[TimeEntry] = []
    skipped: list[SkippedEntry] = []
    for entry in entries:
        reason: SkipReason | None = "duplicate" if entry.id in seen else None
        seen.add(entry.id)
        reason = reason or _guard(entry, in_progress, include_non_billable)
        if reason:
            skipped.append(_skip(entry.id, reason, language))
        else:
            kept.append(entry)
    return kept, skipped


def _nothing_to_bill(client: str, skipped: Sequence[SkippedEntry], language: Language) -> str:
    counts = Counter(item.message for item in skipped)
    detail = ", ".join(f"{count} {message}" for message, count in counts.most_common())
    if language == "de":
        return f"Keine abrechenbaren Einträge für {client}" + (f" ({detail})." if detail else ".")
    return f"No billable entries for {client}" + (f" ({detail})." if detail else ".")


def build_plan(
    entries: Iterable[TimeEntry],
    assignments: Assignments,
    options: PlanOptions | None = None,
    *,
    client_id: str,
    customer_ids: Collection[str] | None = None,
    in_progress: Collection[str] = frozenset(),
    plan_id: str | None = None,
) -> PlanResult:
    """The plan billing `entries` to Billomat client `client_id`.

    Only entries whose customer is assigned to `client_id` (and, if given, is in `customer_ids`)
    are billed; `in_progress` holds the ids of entries in unfinished journal plans."""
    options = options or PlanOptions()
    language = options.language
    # A template the user wrote fails before anything else, whatever the entries.
    text.check_templates(options.model_dump(include=set(text.TEMPLATES)))
    candidates, skipped = open_entries(
        entries,
        in_progress=in_progress,
        include_non_billable=options.include_non_billable,
        language=language,
    )
    selected: list[TimeEntry] = []
    for entry in candidates:
        reason: SkipReason | None = None
        if not entry.customer_id:
            reason = "no_customer"
        elif (mapped := assignments.client_for(entry)) is None:
            reason = "unassigned"
        elif mapped != client_id or (
            customer_ids is not None and entry.customer_id not in customer_ids
        ):
            reason = "other_customer"
        if reason:
            skipped.append(_skip(entry.id, reason, language))
        else:
            selected.append(entry)

    client = assignments.client(client_id)
    client_name = client.name if client else ""
    if not selected:
        raise NothingToBillError(_nothing_to_bill(client_name or client_id, skipped, language))
    sources = {entry.source for entry in selected}
    if len(sources) > 1:
        raise PlanError(
            "The entries come from both mite and clockodo; an invoice bills one tracker at a time.",
            entry_ids=[entry.id for entry in selected],
        )

    tax = taxrule.decide(client, options.tax_rule, options.reverse_charge)
    net_gross: NetGross = client.net_gross if client else "NET"
    lines = LineBuilder(
        assignments, options, tax=tax, net_gross=net_gross, client_name=client_name
    ).lines(selected)
    start = min(entry.date for entry in selected)
    end = max(entry.date for entry in selected)
    plan_id = plan_id or uuid.uuid4().hex
    return PlanResult(
        plan=_assemble(
            plan_id=plan_id,
            source=selected[0].source,
            client_id=client_id,
            client=client,
            options=options,
            lines=lines,
            start=start,
            end=end,
            customers=text.names(entry.customer_name for entry in selected),
            tax=tax,
            net_gross=net_gross,
        ).model_copy(update={"implausible": plausibility.check(selected)}),
        skipped=tuple(skipped),
    )


def _assemble(
    *,
    plan_id: str,
    source: Literal["mite", "clockodo"],
    client_id: str,
    client: BillomatClient | None,
    options: PlanOptions,
    lines: Sequence[InvoiceLine],
    start: dt.date,
    end: dt.date,
    customers: str,
    tax: taxrule.TaxDecision,
    net_gross: NetGross,
) -> InvoicePlan:
    language = options.language
    period = text.format_range(start, end, language)
    fields = {
        "date": period,
        "period": period,
        "start": text.format_date(start, language),
        "end": text.format_date(end, language),
        "client": text.clean_text(client.name) if client else "",
        "customer": customers,
    }
    template = options.invoice_title_template or text.DEFAULT_INVOICE_TITLE[language]
    title = text.render(template, fields, text.INVOICE_FIELDS, "invoice title")

    def paragraphs(template: str, what: str) -> str:
        rendered = text.render(template, fields, text.INVOICE_FIELDS, what)
        return text.trim(text.clean_text(rendered, multiline=True), text.DESCRIPTION_MAX)

    summed = totals(lines, net_gross)
    return InvoicePlan(
        id=plan_id,
        marker=marker_for(plan_id),
        source=source,
        client_id=client_id,
        client_name=client.name if client else "",
        currency=options.currency or (client.currency_code if client else None) or "EUR",
        title=text.trim(text.clean_text(title), text.TITLE_MAX),
        # Empty: the Billomat account's own intro and closing note (payment terms) apply.
        intro=paragraphs(options.intro, "intro"),
        # The tax note is not part of `note`: it is added to the draft's texts, whatever they
        # are (the account's payment terms, or the user's note), see timebill.core.billomat.
        note=paragraphs(options.note, "closing note"),
        service_start=start,
        service_end=end,
        lines=tuple(lines),
        entry_ids=tuple(entry_id for line in lines for entry_id in line.entry_ids),
        total_net=summed.net,
        taxes=summed.taxes,
        total_gross=summed.gross,
        net_gross=net_gross,
        tax_treatment=tax.treatment,
        tax_reason=tax.reason,
        tax_country=tax.country,
        tax_vat_id=tax.vat_number,
        tax_note=tax.note(language),
        exact_net=exact_net(lines),
    )


def exact_net(lines: Iterable[InvoiceLine]) -> Decimal | None:
    """The lines' value at the tracker's exact minutes, in cents; None if a line was edited."""
    values = [line.exact_net for line in lines]
    if any(value is None for value in values):
        return None
    return cents(sum((value for value in values if value is not None), Decimal(0)))


def _decimal(value: Decimal | int | str, what: str) -> Decimal:
    try:
        number = (
            Decimal(str(value).strip().replace(",", "."))
            if isinstance(value, str)
            else Decimal(value)
        )
    except ArithmeticError:
        raise PlanError(f"{what} {value!r} is not a number.") from None
    if not number.is_finite() or number < 0:
        raise PlanError(f"{what} must be a number of 0 or more, not {value}.")
    return number


def edit_line(
    plan: InvoicePlan,
    index: int,
    *,
    title: str | None = None,
    description: str | None = None,
    quantity: Decimal | int | str | None = None,
    unit_price: Decimal | int | str | None = None,
) -> InvoicePlan:
    """The plan with one line changed by the user, its net and the plan's totals recomputed.

    A changed quantity drops the line's rounding note: it no longer says how the number came about."""
    if not 0 <= index < len(plan.lines):
        raise PlanError(f"There is no line {index + 1}; the plan has {len(plan.lines)} lines.")
    line = plan.lines[index]
    update: dict[str, object] = {}
    if title is not None:
        cleaned = text.clean_text(title)
        if not cleaned:
            raise PlanError("A line needs a title.")
        update["title"] = text.trim(cleaned, text.TITLE_MAX)
    if description is not None:
        update["description"] = text.trim(
            text.clean_text(description, multiline=True), text.DESCRIPTION_MAX
        )
    new_quantity = line.quantity
    new_price = line.unit_price
    if quantity is not None:
        new_quantity = LineBuilder.two_places(_decimal(quantity, "The quantity"))
        update["quantity"] = new_quantity
        if new_quantity != line.quantity:
            update["rounding_note"] = ""
    if unit_price is not None:
        new_price = LineBuilder.two_places(_decimal(unit_price, "The price"))
        update["unit_price"] = new_price
    update["total_net"] = line_total_net(new_quantity, new_price, line.tax_rate, plan.net_gross)
    if new_quantity != line.quantity or new_price != line.unit_price:
        # The user's number, not the tracker's: there is no exact value to compare with.
        update["exact_net"] = None
    lines = list(plan.lines)
    lines[index] = line.model_copy(update=update)
    summed = totals(lines, plan.net_gross)
    return plan.model_copy(
        update={
            "lines": tuple(lines),
            "total_net": summed.net,
            "taxes": summed.taxes,
            "total_gross": summed.gross,
            "exact_net": exact_net(lines),
        }
    )


def plans_by_client(
    entries: Iterable[TimeEntry],
    assignments: Assignments,
    options: PlanOptions | None = None,
    *,
    client_options: Mapping[str, PlanOptions] | None = None,
    in_progress: Collection[str] = frozenset(),
    plan_ids: Mapping[str, str] | None = None,
) -> MonthEndPlans:
    """The month-end run: one plan per Billomat client that has open entries.

    `client_options` holds the per-client settings (else `options`); `plan_ids` may fix a plan id
    per client. A client whose plan cannot be built (a rate missing, ...) is reported in `failed`
    and the others still get their plans; customers without a client are in `unassigned`."""
    default = options or PlanOptions()
    client_options = client_options or {}
    plan_ids = plan_ids or {}
    # Non-billable inclusion is per client, so screen with it on and re-check per client below.
    candidates, skipped = open_entries(
        entries, in_progress=in_progress, include_non_billable=True, language=default.language
    )
    by_client: dict[str, list[TimeEntry]] = {}
    unassigned: dict[str, list[TimeEntry]] = {}
    for entry in candidates:
        client_id = assignments.client_for(entry)
        client_settings = client_options.get(client_id, default) if client_id else default
        if not entry.billable and not client_settings.include_non_billable:
            skipped.append(_skip(entry.id, "not_billable", default.language))
        elif not entry.customer_id:
            skipped.append(_skip(entry.id, "no_customer", default.language))
        elif client_id is None:
            unassigned.setdefault(entry.customer_id, []).append(entry)
        else:
            by_client.setdefault(client_id, []).append(entry)

    def client_name(client_id: str) -> str:
        client = assignments.client(client_id)
        return client.name if client else ""

    plans: list[PlanResult] = []
    failed: list[ClientFailure] = []
    for client_id in sorted(by_client, key=lambda cid: (client_name(cid).casefold(), cid)):
        try:
            result = build_plan(
                by_client[client_id],
                assignments,
                client_options.get(client_id, default),
                client_id=client_id,
                plan_id=plan_ids.get(client_id),
            )
        except PlanError as error:
            failed.append(ClientFailure(client_id, client_name(client_id), error))
        else:
            plans.append(result)
            skipped.extend(result.skipped)
    return MonthEndPlans(
        plans=tuple(plans),
        unassigned=tuple(
            UnassignedCustomer(
                customer_id,
                text.clean_text(found[0].customer_name or ""),
                tuple(entry.id for entry in found),
            )
            for customer_id, found in sorted(
                unassigned.items(),
                key=lambda item: ((item[1][0].customer_name or "").casefold(), item[0]),
            )
        ),
        failed=tuple(failed),
        skipped=tuple(skipped),
    )
