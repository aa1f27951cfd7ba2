"""Which Billomat client and article a tracker customer and service map to.

Order: an explicit choice (CLI flag, the assign screen) > the journal's remembered assignment >
an exact, case-insensitive name match in Billomat, which is then remembered. Anything else is a
suggestion by name similarity that the user confirms; never a silent guess.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from timebill.core.billing.journal import Journal
from timebill.core.invoicing.builder import Assignments, PlanOptions
from timebill.core.models import Article, BillomatClient, Tax
from timebill.core.text import clean

T = TypeVar("T")

# The client's invoice texts (timebill.core.invoicing.texts.TEMPLATES, but the lump sums' title).
TEXT_SETTING_KEYS = (
    "invoice_title_template",
    "intro",
    "note",
    "title_template",
    "description_template",
)
# Per-client settings the journal remembers (and the PlanOptions field each sets).
CLIENT_SETTING_KEYS = (
    "grouping",
    "round_to",
    "round_per",
    "rate_override",
    "default_vat",
    "reverse_charge",
    "tax_rule",
    *TEXT_SETTING_KEYS,
)


class _Clear:
    """An override meaning "forget the remembered value, use the default" (`--rate none`)."""

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR: Any = _Clear()


def name_key(name: str | None) -> str:
    """Names compare without case, accents' composition or extra spaces."""
    return " ".join(unicodedata.normalize("NFC", clean(name or "")).casefold().split())


def exact_match(name: str | None, candidates: Iterable[T], attr: str) -> T | None:
    """The one candidate whose `attr` equals `name` ignoring case; None when none or several."""
    key = name_key(name)
    found = [c for c in candidates if key and name_key(getattr(c, attr)) == key]
    return found[0] if len(found) == 1 else None


def suggestions(name: str | None, candidates: Sequence[T], attr: str, limit: int = 5) -> list[T]:
    """Candidates ranked by name similarity (best first), the weak ones left out."""
    key = name_key(name)
    scored = []
    for candidate in candidates:
        other = name_key(getattr(candidate, attr))
        ratio = difflib.SequenceMatcher(None, key, other).ratio()
        if key and (key in other or other in key):
            ratio = max(ratio, 0.8)
        if ratio >= 0.6:
            scored.append((ratio, other, candidate))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [candidate for _, _, candidate in scored[:limit]]


@dataclass
class Resolution:
    """The assignments to plan with, what was decided on the way, and what is still open."""

    assignments: Assignments
    notes: list[str] = field(default_factory=list)
    unassigned_customers: dict[str, str] = field(default_factory=dict)  # id -> name
    free_text_services: dict[str, str] = field(default_factory=dict)  # id -> name


def resolve(
    journal: Journal,
    account: str,
    *,
    customers: Mapping[str, str],
    services: Mapping[str, str],
    clients: Sequence[BillomatClient],
    articles: Sequence[Article],
    taxes: Sequence[Tax],
    client_choice: Mapping[str, str] | None = None,
    article_choice: Mapping[str, str] | None = None,
    remember: bool = True,
) -> Resolution:
    """Assignments for `customers` and `services` (tracker id -> name, those with entries).

    `client_choice` / `article_choice` are explicit picks (tracker id -> Billomat id); they and
    name matches are remembered in the journal unless `remember` is False (a dry run)."""
    resolution = Resolution(Assignments())
    chosen_clients, resolution.unassigned_customers = _pick(
        journal,
        account,
        "customer",
        customers,
        clients,
        "name",
        client_choice,
        remember,
        resolution.notes,
    )
    chosen_articles, resolution.free_text_services = _pick(
        journal,
        account,
        "service",
        services,
        articles,
        "title",
        article_choice,
        remember,
        resolution.notes,
    )
    resolution.assignments = Assignments(
        clients=chosen_clients,
        articles=chosen_articles,
        billomat_clients=tuple(clients),
        billomat_articles=tuple(articles),
        taxes=tuple(taxes),
    )
    return resolution


def _pick(
    journal: Journal,
    account: str,
    kind: str,
    wanted: Mapping[str, str],
    candidates: Sequence[Any],
    attr: str,
    choice: Mapping[str, str] | None,
    remember: bool,
    notes: list[str],
) -> tuple[dict[str, str], dict[str, str]]:
    """For each tracker id in `wanted`: (chosen Billomat ids, the ids left open)."""
    ids = {c.id for c in candidates}
    known = journal.assignments(account, kind)
    target = "client" if kind == "customer" else "article"
    chosen: dict[str, str] = {}
    open_ids: dict[str, str] = {}
    for tracker_id, name in wanted.items():
        pick = (choice or {}).get(tracker_id)
        how = "as given"
        if pick is None and known.get(tracker_id) in ids:
            pick, how = known[tracker_id], ""
        if pick is None:
            same = exact_match(name, candidates, attr)
            if same is not None:
                pick, how = same.id, "same name"
        if pick is None:
            open_ids[tracker_id] = name
            continue
        chosen[tracker_id] = pick
        if how:
            picked = next((c for c in candidates if c.id == pick), None)
            label = clean(getattr(picked, attr)) if picked else pick
            notes.append(
                f"{kind} {clean(name)} -> Billomat {target} {label} ({pick}), {how}"
                + (", remembered" if remember else "")
            )
            if remember:
                journal.assign(account, kind, tracker_id, pick, label)
    return chosen, open_ids


def client_options(
    journal: Journal,
    account: str,
    client: BillomatClient | None,
    base: PlanOptions,
    overrides: Mapping[str, Any] | None = None,
) -> PlanOptions:
    """The options for one client: defaults < the client's remembered settings < `overrides`
    (flags given now; None: not given, CLEAR: back to the default). The currency is the
    Billomat client's (EUR where it names none)."""
    values: dict[str, Any] = {}
    if client is not None:
        stored = journal.client_settings(account, client.id)
        values.update({k: v for k, v in stored.items() if k in CLIENT_SETTING_KEYS})
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    for key in [k for k, v in values.items() if v is CLEAR]:
        del values[key]
    for money in ("rate_override", "default_vat"):
        if values.get(money) is not None:
            values[money] = Decimal(str(values[money]))
    if values.get("reverse_charge"):
        values["default_vat"] = Decimal("0")
    values["currency"] = (client.currency_code if client else None) or base.currency or "EUR"
    # Validated again: a remembered or typed value must still be a valid option.
    return PlanOptions.model_validate({**base.model_dump(), **values})


def remember_client_options(
    journal: Journal, account: str, client_id: str, options: PlanOptions
) -> None:
    journal.set_client_settings(
        account,
        client_id,
        {key: _plain(getattr(options, key)) for key in CLIENT_SETTING_KEYS},
    )


def remember_client_texts(
    journal: Journal, account: str, client_id: str, options: PlanOptions
) -> None:
    """Only the client's texts, its other remembered settings kept: texts saved in the app are
    the user's explicit choice for this client, remembered whether or not a draft follows."""
    stored = journal.client_settings(account, client_id)
    stored.update({key: getattr(options, key) for key in TEXT_SETTING_KEYS})
    journal.set_client_settings(account, client_id, stored)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
