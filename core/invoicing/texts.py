"""Texts of invoice lines: cleaning text that came from APIs, templates, limits, dates, wording.

Pure functions, no I/O. Everything a user reads on the invoice in German or English lives here."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

from timebill.core.errors import PlanError
from timebill.core.invoicing.choices import Grouping, RoundPer
from timebill.core.text import Mode, sanitize

Language = Literal["de", "en"]

# Billomat publishes no length limits for item texts (UNCERTAIN). 255 fits a VARCHAR title
# column and 4,000 characters is far more than a printed item description can show; texts
# beyond are cut with "…" so the request is never refused for length.
TITLE_MAX = 255
DESCRIPTION_MAX = 4000
ELLIPSIS = "…"

# Fields a line template may use; the same names for every grouping (a field that does not
# apply, e.g. {user} on a lump sum without a user, renders empty). {note} is {notes} by its
# singular name; {period} is the whole invoice's service period, {date} the line's own days.
LINE_FIELDS = frozenset(
    {
        "service",
        "project",
        "customer",
        "client",
        "user",
        "article",
        "date",
        "start",
        "end",
        "period",
        "notes",
        "note",
        "hours",
    }
)
# Fields of the invoice's own texts (title, intro, closing note); {date} is {period}. Each is
# a line field too.
INVOICE_FIELDS = frozenset({"date", "period", "start", "end", "client", "customer"})

# The texts a user sets per client: PlanOptions field -> (its fields, its name in a message).
TEMPLATES: Mapping[str, tuple[frozenset[str], str]] = {
    "invoice_title_template": (INVOICE_FIELDS, "invoice title"),
    "intro": (INVOICE_FIELDS, "intro"),
    "note": (INVOICE_FIELDS, "closing note"),
    "title_template": (LINE_FIELDS, "line title"),
    "description_template": (LINE_FIELDS, "line description"),
    "lumpsum_title_template": (LINE_FIELDS, "lump-sum title"),
}


class TemplateError(PlanError):
    """A template a user wrote cannot render: `field` is the unknown placeholder (None: the
    braces do not pair up, or a field carries a format), `allowed` the placeholders it may use."""

    def __init__(
        self, message: str, *, what: str, field: str | None, allowed: frozenset[str]
    ) -> None:
        super().__init__(message)
        self.what = what
        self.field = field
        self.allowed = allowed


def placeholders(allowed: frozenset[str]) -> str:
    """`allowed` as a user types them: "{customer}, {date}, ..."."""
    return ", ".join("{" + name + "}" for name in sorted(allowed))


DEFAULT_TITLES: Mapping[Language, Mapping[Grouping, str]] = {
    "de": {
        "entry": "{service} am {date}",
        "day": "Leistungen am {date}",
        "service": "{service}",
        "project": "{project}",
        "project_service": "{project} – {service}",
        "user": "{service} ({user})",
    },
    "en": {
        "entry": "{service} on {date}",
        "day": "Services on {date}",
        "service": "{service}",
        "project": "{project}",
        "project_service": "{project} – {service}",
        "user": "{service} ({user})",
    },
}
DEFAULT_DESCRIPTION = "{notes}"
DEFAULT_LUMPSUM_TITLE = "{service}"
DEFAULT_INVOICE_TITLE: Mapping[Language, str] = {
    "de": "Rechnung Leistungszeitraum {period}",
    "en": "Invoice, service period {period}",
}
# The title when a template renders empty (an entry without service or project name).
FALLBACK_TITLE: Mapping[Language, str] = {"de": "Leistungen", "en": "Services"}

# §13b UStG requires this wording on a reverse-charge invoice; the German text stays in the
# English variant because the German tax office reads it.
REVERSE_CHARGE_NOTE: Mapping[Language, str] = {
    "de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)",
    "en": "Reverse charge: the recipient is liable for VAT "
    "(Steuerschuldnerschaft des Leistungsempfängers)",
}


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Text from an API made safe for an invoice: `timebill.core.text.sanitize` as a line title,
    or (`multiline`) as a description that keeps its paragraphs."""
    return sanitize(text, Mode.INVOICE_TEXT if multiline else Mode.INVOICE_LINE)


def trim(text: str, limit: int) -> str:
    """Cut to at most `limit` characters, ending in "…" when something was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def join_notes(notes: Iterable[str], separator: str) -> str:
    """A group's notes, cleaned, empty ones dropped, de-duplicated (ignoring case and spacing)
    in first-seen order."""
    seen: set[str] = set()
    kept: list[str] = []
    for note in notes:
        cleaned = clean_text(note)
        key = cleaned.casefold()
        if cleaned and key not in seen:
            seen.add(key)
            kept.append(cleaned)
    return separator.join(kept)


def check_template(template: str, allowed: frozenset[str], what: str) -> None:
    """Refuse a template with unknown, positional or attribute fields, or fields with a format
    or conversion (a format could be filled from a note), before anything renders."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(
            f"The {what} template {template!r} is not valid: {exc}; "
            "write {{ and }} for a brace that is text.",
            what=what,
            field=None,
            allowed=allowed,
        ) from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in allowed:
            shown = "{" + field + "}"
            raise TemplateError(
                f"The {what} template uses {shown}, which is not a field. "
                f"Use one of: {placeholders(allowed)}.",
                what=what,
                field=field,
                allowed=allowed,
            )
        if spec or conversion:
            suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            shown = "{" + field + suffix + "}"
            raise TemplateError(
                f"The {what} template uses {shown}: a field takes no format; "
                f"write it as {{{field}}}.",
                what=what,
                field=None,
                allowed=allowed,
            )


def check_templates(values: Mapping[str, str | None]) -> None:
    """Check each of the user's texts in `values` (PlanOptions field names, see TEMPLATES)."""
    for name, template in values.items():
        if template and name in TEMPLATES:
            allowed, what = TEMPLATES[name]
            check_template(template, allowed, what)


def render(template: str, values: Mapping[str, str], allowed: frozenset[str], what: str) -> str:
    check_template(template, allowed, what)
    # Field values are substituted once and never parsed again, so braces in notes are safe.
    return template.format_map({name: values.get(name, "") for name in allowed})


def format_date(day: dt.date, language: Language) -> str:
    return day.strftime("%d.%m.%Y") if language == "de" else day.isoformat()


def format_range(start: dt.date, end: dt.date, language: Language) -> str:
    if start == end:
        return format_date(start, language)
    return f"{format_date(start, language)} – {format_date(end, language)}"


def format_hours(hours: Decimal, language: Language) -> str:
    text = f"{hours:.2f}"
    return text.replace(".", ",") if language == "de" else text


def names(values: Iterable[str | None]) -> str:
    """Distinct names in first-seen order, cleaned, joined with ", "."""
    return join_notes((value for value in values if value), ", ")


def rounding_note(step: int, per: RoundPer, language: Language) -> str:
    if step <= 0:
        return ""
    if language == "de":
        return f"aufgerundet auf {step} Min. je {'Eintrag' if per == 'entry' else 'Position'}"
    return f"rounded up to {step} min per {per}"


SKIP_MESSAGES: Mapping[Language, Mapping[str, str]] = {
    "de": {
        "duplicate": "doppelt in der Auswahl",
        "billed": "bereits abgerechnet",
        "running": "Timer läuft noch",
        "in_progress": "gehört zu einer noch nicht abgeschlossenen Rechnung",
        "not_billable": "nicht abrechenbar",
        "invalid": "ungültige Dauer",
        "no_customer": "ohne Kunde",
        "unassigned": "Kunde keinem Billomat-Kunden zugeordnet",
        "other_customer": "gehört zu einem anderen Kunden",
    },
    "en": {
        "duplicate": "listed twice in the selection",
        "billed": "already billed",
        "running": "timer still running",
        "in_progress": "belongs to an invoice that is not finished yet",
        "not_billable": "not billable",
        "invalid": "invalid duration",
        "no_customer": "has no customer",
        "unassigned": "customer not assigned to a Billomat client",
        "other_customer": "belongs to another customer",
    },
}
