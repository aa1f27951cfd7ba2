"""The setup form without the widgets: its fields, turning what was typed into settings (every
check is the settings module's own), and the text shown beside a service after a test.

Kept free of Textual so the rules can be read (and tested) apart from the layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    TimebillError,
    UnknownAccountError,
)
from timebill.core.models import Account
from timebill.core.secrets import reveal
from timebill.core.settings.model import (
    DEFAULT_VAT,
    SECRET_KEYS,
    InvalidSettingsError,
    Problem,
    Settings,
)
from timebill.core.text import one_line
from timebill.tui.i18n import register, t

STRINGS = {
    "setup.required": {"en": "Required: enter a value.", "de": "Pflichtfeld: bitte ausfüllen."},
    "setup.pair": {
        "en": "App ID and App secret go together: enter both or neither.",
        "de": "App-ID und App-Secret gehören zusammen: beide oder keins angeben.",
    },
    "setup.account_user": {"en": "{name} (user {user})", "de": "{name} (Benutzer {user})"},
    "setup.error.key": {"en": "Wrong API key", "de": "Falscher API-Schlüssel"},
    "setup.error.login": {
        "en": "Wrong e-mail or API key",
        "de": "Falsche E-Mail oder falscher API-Schlüssel",
    },
    "setup.error.account": {"en": "Unknown account", "de": "Unbekannter Account"},
    "setup.error.denied": {"en": "Not allowed", "de": "Nicht erlaubt"},
    "setup.error.rate": {"en": "Too many requests", "de": "Zu viele Anfragen"},
    "setup.error.unreachable": {"en": "Unreachable", "de": "Nicht erreichbar"},
    "setup.error.incomplete": {"en": "Incomplete", "de": "Unvollständig"},
    "setup.error.failed": {"en": "Failed", "de": "Fehlgeschlagen"},
}
register(STRINGS)


@dataclass(frozen=True)
class Field:
    """One input of the form; `key` is the dotted settings key ("mite.api_key")."""

    key: str
    optional: bool = False

    @property
    def id(self) -> str:
        return self.key.replace(".", "-").replace("_", "-")

    @property
    def secret(self) -> bool:
        return self.key in SECRET_KEYS

    @property
    def section(self) -> str:
        return self.key.split(".")[0]

    @property
    def name(self) -> str:
        return self.key.split(".")[1]


FIELDS: dict[str, tuple[Field, ...]] = {
    "mite": (Field("mite.account"), Field("mite.api_key")),
    "clockodo": (Field("clockodo.email"), Field("clockodo.api_key")),
    "billomat": (
        Field("billomat.billomat_id"),
        Field("billomat.api_key"),
        Field("billomat.app_id", optional=True),
        Field("billomat.app_secret", optional=True),
    ),
    "invoice": (Field("invoice.default_vat"),),
}
BY_KEY = {item.key: item for items in FIELDS.values() for item in items}
FORM_KEYS = frozenset({"tracker", *BY_KEY})


def initial_value(settings: Settings | None, key: str) -> str:
    """What a field starts with: the setting's value as text (keys revealed: the input masks)."""
    if settings is None:
        return format(DEFAULT_VAT, "f") if key == "invoice.default_vat" else ""
    section, name = key.split(".")
    value = getattr(getattr(settings, section), name)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return reveal(value)


def from_environment(settings: Settings | None, key: str) -> bool:
    return settings is not None and settings.origin(key) == "environment"


@dataclass
class FormCheck:
    """The outcome of checking the form: settings, or messages per field key (and lines that
    belong to no field, e.g. a broken config file)."""

    settings: Settings | None = None
    fields: dict[str, str] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)


def field_message(problem: Problem) -> str:
    """The settings module's message without the "[mite] account: " it starts with (the
    field's label says that already)."""
    section, _, name = problem.key.partition(".")
    text = problem.message.removeprefix(f"[{section}] {name}: " if name else f"{section}: ")
    return text[:1].upper() + text[1:]


def check_form(
    base: Settings,
    values: Mapping[str, str],
    *,
    tracker: str | None,
    sections: Iterable[str],
    check_tracker: bool,
    check_billomat: bool,
) -> FormCheck:
    """Settings from `base` with the form's `values` (field key -> typed text) for `sections`
    and, if given, the `tracker` choice, applied as explicit values; never written anywhere.
    `check_tracker` / `check_billomat`: also require that part's keys to be filled in.

    Fields set by the environment must not be in `values`: an explicit value would beat the
    variable (and be written to the file)."""
    changes: dict[str, Any] = {}
    if tracker is not None:
        changes["tracker"] = tracker
    for section in sections:
        for item in FIELDS[section]:
            if item.key in values:
                # Raw text: the settings' own validators strip it and read "" as "not set".
                changes.setdefault(section, {})[item.name] = values[item.key]
    try:
        candidate = base.with_changes(changes)
    except InvalidSettingsError as err:
        check = FormCheck()
        for problem in err.problems:
            if problem.source == "value" and problem.key in FORM_KEYS:
                check.fields[problem.key] = field_message(problem)
            else:
                check.other.append(problem.message)
        return check
    except ConfigError as err:
        return FormCheck(other=[err.message])
    check = FormCheck()
    for missing in candidate.missing(tracker=check_tracker, billomat=check_billomat):
        pair = missing.key in ("billomat.app_id", "billomat.app_secret")
        text = t("setup.pair" if pair else "setup.required")
        if missing.key in FORM_KEYS:
            check.fields[missing.key] = text
        else:
            check.other.append(str(missing))
    if not check.fields and not check.other:
        check.settings = candidate
    return check


def failure_text(service: str, error: TimebillError) -> str:
    """What went wrong, in the user's language, then the adapter's own specific message."""
    if isinstance(error, AuthenticationError):
        kind = "setup.error.login" if service == "clockodo" else "setup.error.key"
    elif isinstance(error, UnknownAccountError):
        kind = "setup.error.account"
    elif isinstance(error, PermissionDeniedError):
        kind = "setup.error.denied"
    elif isinstance(error, RateLimitedError):
        kind = "setup.error.rate"
    elif isinstance(error, NetworkError):
        kind = "setup.error.unreachable"
    elif isinstance(error, ConfigError):
        kind = "setup.error.incomplete"
    else:
        kind = "setup.error.failed"
    return f"{t(kind)}: {one_line(error.message)}"


def account_text(account: Account) -> str:
    name = one_line(account.name)
    user = one_line(account.user_name or "")
    if user and user != name:
        return t("setup.account_user", name=name, user=user)
    return name
