"""Entries -> invoice lines: grouping, splitting by rate, rounding, rates, taxes, line texts.

Used by timebill.core.invoicing.builder (where the rules are summarised); pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from timebill.core.errors import PlanError, RateMissingError
from timebill.core.invoicing import texts as text
from timebill.core.invoicing.models import Assignments, PlanOptions
from timebill.core.invoicing.taxrule import TaxDecision
from timebill.core.models import Article, InvoiceLine, NetGross, Tax, TimeEntry
from timebill.core.money import cents, hours, line_net, line_total_net, plain

SortKey = tuple[object, ...]
# How many entry ids an error lists before it says "and N more".
_LISTED = 10


def natural(entry_id: str | None) -> tuple[int, int, str]:
    """Numeric ids sort as numbers ("9" before "10"), others after them as text."""
    if entry_id and entry_id.isdigit():
        return (0, int(entry_id), "")
    return (1, 0, entry_id or "")


def _entry_order(entry: TimeEntry) -> tuple[object, ...]:
    return (entry.date, natural(entry.id))


def _ceil_to(minutes: int, step: int) -> int:
    return minutes if step <= 0 else -(-minutes // step) * step


def _listed(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_LISTED])
    return shown + (f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else "")


@dataclass(frozen=True)
class _Pricing:
    """What decides whether two entries may share a line."""

    article: Article | None
    unit_price: Decimal
    tax_name: str
    tax_rate: Decimal
    unit: str

    def order(self) -> SortKey:
        article_id = self.article.id if self.article else None
        return (natural(article_id), self.unit_price, -self.tax_rate, self.tax_name, self.unit)


@dataclass
class _Bucket:
    group_order: SortKey
    pricing: _Pricing
    entries: list[TimeEntry] = field(default_factory=list)


class LineBuilder:
    def __init__(
        self,
        assignments: Assignments,
        options: PlanOptions,
        *,
        tax: TaxDecision | None = None,
        net_gross: NetGross = "NET",
        client_name: str = "",
    ) -> None:
        self.assignments = assignments
        self.options = options
        self.tax = tax or TaxDecision(
            "reverse_charge" if options.reverse_charge else "domestic", ""
        )
        self.net_gross: NetGross = net_gross
        self.language = options.language
        self._articles = {article.id: article for article in assignments.billomat_articles}
        self._taxes = {tax.id: tax for tax in assignments.taxes}
        title = options.title_template or text.DEFAULT_TITLES[self.language][options.grouping]
        self.title_template = title
        # Fail on a bad template before any work, whatever the entries.
        text.check_template(title, text.LINE_FIELDS, "line title")
        text.check_template(options.description_template, text.LINE_FIELDS, "line description")
        text.check_template(options.lumpsum_title_template, text.LINE_FIELDS, "lump-sum title")
        # {period}: the service period of all the entries on the invoice, set by `lines`.
        self.period = ""
        self.client_name = text.clean_text(client_name)

    @staticmethod
    def two_places(number: Decimal) -> Decimal:
        """Cents where the number has no more precision than that (95 -> 95.00), else as is."""
        return cents(number) if cents(number) == number else plain(number)

    # -- lookups --------------------------------------------------------------------------

    def article_for(self, entry: TimeEntry) -> Article | None:
        key = entry.service_id if self.assignments.article_by == "service" else entry.project_id
        article_id = self.assignments.articles.get(key) if key else None
        if article_id is None:
            return None
        article = self._articles.get(article_id)
        if article is None:
            what = (
                entry.service_name
                if self.assignments.article_by == "service"
                else entry.project_name
            )
            raise PlanError(
                f"The Billomat article {article_id} assigned to {what or key!s} was not found in "
                "Billomat (deleted?). Assign another article or reload the articles.",
                entry_ids=[entry.id],
            )
        return article

    def default_tax(self) -> tuple[str, Decimal]:
        if self.options.default_vat is not None:
            return self.options.default_tax_name, self.options.default_vat
        marked = next((tax for tax in self.assignments.taxes if tax.is_default), None)
        if marked is not None:
            return marked.name, marked.rate
        raise PlanError(
            "No VAT rate is known: set the default VAT rate in the settings, or mark a tax as "
            "default in Billomat."
        )

    def tax_for(self, article: Article | None) -> tuple[str, Decimal]:
        if self.tax.zero:
            if self.options.default_vat is not None:
                return self.options.default_tax_name, Decimal(0)
            marked = next((tax for tax in self.assignments.taxes if tax.is_default), None)
            return (marked.name if marked else self.options.default_tax_name), Decimal(0)
        if article is not None:
            tax: Tax | None = self._taxes.get(article.tax_id) if article.tax_id else None
            if tax is not None:
                return tax.name, plain(tax.rate)
            if article.tax_rate is not None:
                return self.default_tax()[0], plain(article.tax_rate)
        name, rate = self.default_tax()
        return name, plain(rate)

    def rate_for(self, entry: TimeEntry, article: Article | None) -> Decimal | None:
        if self.options.rate_override is not None:
            return self.options.rate_override
        price = article.sales_price if article and article.sales_price else None
        tracker = entry.hourly_rate if entry.hourly_rate else None
        first, second = (
            (price, tracker) if self.options.rate_source == "article" else (tracker, price)
        )
        return first if first is not None else second

    # -- lines ----------------------------------------------------------------------------

    def lines(self, entries: Iterable[TimeEntry]) -> list[InvoiceLine]:
        ordered = sorted(entries, key=_entry_order)
        if ordered:
            self.period = text.format_range(ordered[0].date, ordered[-1].date, self.language)
        times = [entry for entry in ordered if entry.kind == "time"]
        lumpsums = [entry for entry in ordered if entry.kind == "lumpsum"]
        return self._time_lines(times) + [self._lumpsum_line(entry) for entry in lumpsums]

    def _group(self, entry: TimeEntry) -> tuple[SortKey, SortKey]:
        """(identity, order) of the entry's group under the chosen grouping."""
        grouping = self.options.grouping

        def by_name(name: str | None, key: str | None) -> SortKey:
            return ((name or "").casefold(), natural(key))

        if grouping == "entry":
            return (entry.id,), _entry_order(entry)
        if grouping == "day":
            return (entry.date,), (entry.date,)
        if grouping == "service":
            return (entry.service_id,), by_name(entry.service_name, entry.service_id)
        if grouping == "project":
            return (entry.project_id,), by_name(entry.project_name, entry.project_id)
        if grouping == "project_service":
            return (
                (entry.project_id, entry.service_id),
                by_name(entry.project_name, entry.project_id)
                + by_name(entry.service_name, entry.service_id),
            )
        return (entry.user_id,), by_name(entry.user_name, entry.user_id)

    def _time_lines(self, entries: Sequence[TimeEntry]) -> list[InvoiceLine]:
        buckets: dict[tuple[object, ...], _Bucket] = {}
        missing: list[TimeEntry] = []
        for entry in entries:
            article = self.article_for(entry)
            rate = self.rate_for(entry, article)
            if rate is None:
                missing.append(entry)
                continue
            tax_name, tax_rate = self.tax_for(article)
            unit = text.clean_text(article.unit_name or "") if article else ""
            pricing = _Pricing(
                article,
                self.two_places(rate),
                tax_name,
                tax_rate,
                unit or self.options.default_unit,
            )
            identity, order = self._group(entry)
            key = (
                identity,
                article.id if article else None,
                pricing.unit_price,
                tax_name,
                tax_rate,
                pricing.unit,
            )
            buckets.setdefault(key, _Bucket(order, pricing)).entries.append(entry)
        if missing:
            raise self._rate_missing(missing)
        ordered = sorted(buckets.values(), key=lambda b: (b.group_order, b.pricing.order()))
        return [self._time_line(bucket) for bucket in ordered]

    def _rate_missing(self, missing: Sequence[TimeEntry]) -> RateMissingError:
        services = text.names(entry.service_name or entry.service_id for entry in missing)
        ids = [entry.id for entry in missing]
        return RateMissingError(
            f"No hourly rate for {services or 'entries without a service'} (entries {_listed(ids)}): "
            "assign a Billomat article with a price, set a rate in the time tracker, or set a rate "
            "override for this client.",
            entry_ids=ids,
        )

    def _minutes(self, entries: Sequence[TimeEntry]) -> int:
        step = self.options.round_to
        if self.options.round_per == "entry":
            return sum(_ceil_to(entry.minutes, step) for entry in entries)
        return _ceil_to(sum(entry.minutes for entry in entries), step)

    def _fields(self, entries: Sequence[TimeEntry], article: Article | None) -> dict[str, str]:
        language = self.language
        start = min(entry.date for entry in entries)
        end = max(entry.date for entry in entries)
        notes = text.join_notes((entry.note for entry in entries), self.options.notes_separator)
        return {
            "service": text.names(entry.service_name for entry in entries),
            "project": text.names(entry.project_name for entry in entries),
            "customer": text.names(entry.customer_name for entry in entries),
            "client": self.client_name,
            "user": text.names(entry.user_name for entry in entries),
            "article": text.clean_text(article.title) if article else "",
            "date": text.format_range(start, end, language),
            "start": text.format_date(start, language),
            "end": text.format_date(end, language),
            "period": self.period,
            "notes": notes,
            "note": notes,
        }

    def _texts(self, template: str, fields: dict[str, str], fallback: str) -> tuple[str, str]:
        title = text.clean_text(text.render(template, fields, text.LINE_FIELDS, "line title"))
        description = text.clean_text(
            text.render(
                self.options.description_template, fields, text.LINE_FIELDS, "line description"
            ),
            multiline=True,
        )
        title = title or fallback or text.FALLBACK_TITLE[self.language]
        return text.trim(title, text.TITLE_MAX), text.trim(description, text.DESCRIPTION_MAX)

    def _time_line(self, bucket: _Bucket) -> InvoiceLine:
        pricing = bucket.pricing
        quantity = hours(self._minutes(bucket.entries))
        fields = self._fields(bucket.entries, pricing.article)
        fields["hours"] = text.format_hours(quantity, self.language)
        fallback = fields["article"] or fields["project"]
        title, description = self._texts(self.title_template, fields, fallback)
        return InvoiceLine(
            title=title,
            description=description,
            quantity=quantity,
            unit=pricing.unit,
            unit_price=pricing.unit_price,
            tax_name=pricing.tax_name,
            tax_rate=pricing.tax_rate,
            article_id=pricing.article.id if pricing.article else None,
            entry_ids=tuple(entry.id for entry in bucket.entries),
            total_net=line_total_net(
                quantity, pricing.unit_price, pricing.tax_rate, self.net_gross
            ),
            rounding_note=text.rounding_note(
                self.options.round_to, self.options.round_per, self.language
            ),
            exact_net=sum(Decimal(entry.minutes) for entry in bucket.entries)
            * pricing.unit_price
            / 60,
        )

    def _lumpsum_line(self, entry: TimeEntry) -> InvoiceLine:
        amount = entry.lumpsum_amount if entry.lumpsum_amount is not None else entry.revenue
        if amount is None:
            raise PlanError(
                f"The lump sum {entry.id} ({text.clean_text(entry.note) or entry.service_name}) "
                "carries no amount; check it in clockodo.",
                entry_ids=[entry.id],
            )
        quantity = entry.lumpsum_quantity
        quantity = self.two_places(quantity) if quantity and quantity > 0 else Decimal("1.00")
        unit_price = cents(amount / quantity)
        # The lump sum's amount is billed exactly: where amount / quantity is not a whole number
        # of cents, bill it as 1 × amount instead of a price that would not add up.
        if line_net(quantity, unit_price) != cents(amount):
            quantity, unit_price = Decimal("1.00"), self.two_places(amount)
        fields = self._fields([entry], None)
        fields["hours"] = ""
        fallback = text.clean_text(entry.note)
        title, description = self._texts(self.options.lumpsum_title_template, fields, fallback)
        tax_name, tax_rate = self.tax_for(self.article_for(entry))
        return InvoiceLine(
            title=title,
            description="" if description == title else description,
            quantity=quantity,
            unit=self.options.lumpsum_unit,
            unit_price=unit_price,
            tax_name=tax_name,
            tax_rate=tax_rate,
            article_id=None,
            entry_ids=(entry.id,),
            total_net=line_total_net(quantity, unit_price, tax_rate, self.net_gross),
            rounding_note="",
            exact_net=cents(amount),
        )
