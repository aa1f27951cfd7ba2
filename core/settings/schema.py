"""The settings schema: the sections of the config file, their keys and how each value is checked.

Every key's docstring is the user's documentation of it. `timebill.core.settings.model` layers these sections
(file, environment, explicit values) into `Settings` and turns validation errors into messages.

`base_url` replaces a service's host only (https://ACCOUNT.mite.de, https://my.clockodo.com,
https://ID.billomat.net, or a sandbox address); the adapters own their defaults and append the
documented paths themselves, so the sections offer no API address of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, SecretStr
from timebill.core.errors import ConfigError
from timebill.core.settings.ui import DEFAULT_THEME, LANGUAGES
from timebill.core.urls import check_base_url

TRACKERS = ("mite", "clockodo")
DEFAULT_VAT = Decimal("19")
SECRET_KEYS = frozenset(
    {"mite.api_key", "clockodo.api_key", "billomat.api_key", "billomat.app_secret"}
)

_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_THEME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Only a short word or number is echoed in a message, never anything that could be a pasted key
# (mite keys are 16 hex digits, clockodo and Billomat keys 32).
_ECHO_SAFE = re.compile(r"[A-Za-z _-]{1,12}|[-+]?[\d.,]{1,12}")


def _echo(value: object) -> str:
    text = str(value).strip()
    if not _ECHO_SAFE.fullmatch(text):
        return ""
    return f" (got {text})" if isinstance(value, Decimal) else f' (got "{text}")'


# --- field types ------------------------------------------------------------------------------


def _blank_to_none(value: Any) -> Any:
    """Strip text; empty or whitespace-only means "not set"."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        return value.strip() or None
    return value


def _subdomain(what: str, host: str) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        if any(char in value for char in ":/.@"):
            raise ValueError(
                f'enter just the {what}, e.g. "nordlicht" from https://nordlicht.{host}'
            )
        if not _SUBDOMAIN.fullmatch(value.lower()):
            raise ValueError(f"the {what} may only contain letters, digits and hyphens")
        return value.lower()

    return check


def _email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.fullmatch(value):
        raise ValueError(
            "must be the e-mail address you log in to clockodo with, e.g. anna@example.com"
        )
    return value


def _base_url(service: str, example: str) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is not None and (parts.username or parts.password):
            raise ValueError("must not contain a user name or password (keys go in api_key)")
        try:
            return check_base_url(value, service)
        except ConfigError:
            if parts is not None and parts.scheme == "http" and parts.hostname:
                raise ValueError(
                    "must start with https:// (plain http:// is only allowed to 127.0.0.1, ::1 "
                    "or localhost: the API key would travel unencrypted)"
                ) from None
            raise ValueError(
                f"must be an https:// address, e.g. {example} (leave it out to use the default)"
            ) from None

    return check


def _choice(options: tuple[str, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        value = _blank_to_none(value)
        if not isinstance(value, str):
            return value
        if value.lower() in options:
            return value.lower()
        quoted = [f'"{option}"' for option in options]
        choices = " or ".join([", ".join(quoted[:-1]), quoted[-1]])
        raise ValueError(f"must be {choices}{_echo(value)}")

    return check


def _vat_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, e.g. 19")
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return DEFAULT_VAT
        if "," in text:
            if _ECHO_SAFE.fullmatch(text):
                raise ValueError(
                    f'"{text}" has a decimal comma: use a dot, as in {text.replace(",", ".")}'
                )
            raise ValueError("has a decimal comma: use a dot, as in 19.5")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"must be a number, e.g. 19{_echo(text)}") from None
    return value


def _vat_range(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValueError(f"must be a percentage between 0 and 100, e.g. 19{_echo(value)}")
    return value


def _theme(value: Any) -> Any:
    value = _blank_to_none(value)
    if value is None:
        return DEFAULT_THEME
    if isinstance(value, str) and not _THEME.fullmatch(value):
        raise ValueError("must be a theme name: letters, digits, '-' and '_' (e.g. timebill-dark)")
    return value


MAX_RATE_LIMIT_WAIT = 3600


def _wait_seconds(value: Any) -> Any:
    """Whole seconds, 0-3600 (a TOML integer, or digits from the environment)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number of seconds, e.g. 900{_echo(value)}")
    if not 0 <= value <= MAX_RATE_LIMIT_WAIT:
        raise ValueError(
            f"must be between 0 and {MAX_RATE_LIMIT_WAIT} seconds, e.g. 900{_echo(value)}"
        )
    return value


def _key_characters(value: SecretStr | None) -> SecretStr | None:
    """API keys are printable ASCII without spaces. Anything else is a copy-and-paste accident
    (a line break, a space, a typographic character) that would otherwise surface as a refused
    key or a broken request; the message never shows the value."""
    if value is None:
        return None
    text = value.get_secret_value()
    if not (text.isascii() and text.isprintable()) or any(ch.isspace() for ch in text):
        raise ValueError(
            "is not a valid API key: paste it exactly as the service shows it (letters, digits "
            "and punctuation only: no spaces, line breaks or accented letters)"
        )
    return value


Text = Annotated[str | None, BeforeValidator(_blank_to_none)]
Tracker = Annotated[Literal["mite", "clockodo"] | None, BeforeValidator(_choice(TRACKERS))]
Secret = Annotated[
    SecretStr | None, BeforeValidator(_blank_to_none), AfterValidator(_key_characters)
]


# --- the schema -------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class MiteSettings(_Section):
    """[mite]: the mite account time entries are read from."""

    account: Annotated[Text, AfterValidator(_subdomain("account name", "mite.de"))] = None
    """Your mite account name: the part before .mite.de in your mite address, e.g. "nordlicht"
    for https://nordlicht.mite.de."""
    api_key: Secret = None
    """Your mite API key (in mite: Account > My user > "Allow API access")."""
    base_url: Annotated[Text, AfterValidator(_base_url("mite", "https://nordlicht.mite.de"))] = None
    """Address timebill appends the mite API paths (/time_entries.json, ...) to. Leave it out
    to use https://ACCOUNT.mite.de."""


class ClockodoSettings(_Section):
    """[clockodo]: the clockodo user whose company's entries are read."""

    email: Annotated[Text, AfterValidator(_email)] = None
    """The e-mail address you log in to clockodo with."""
    api_key: Secret = None
    """Your clockodo API key (in clockodo: My data > API key)."""
    base_url: Annotated[Text, AfterValidator(_base_url("clockodo", "https://my.clockodo.com"))] = (
        None
    )
    """Address timebill appends the clockodo API paths (/api/v2/entries, ...) to. Leave it out
    to use https://my.clockodo.com."""


class BillomatSettings(_Section):
    """[billomat]: the Billomat account invoice drafts are created in."""

    billomat_id: Annotated[Text, AfterValidator(_subdomain("ID", "billomat.net"))] = None
    """Your Billomat ID: the part before .billomat.net in your Billomat address, e.g.
    "nordlicht" for https://nordlicht.billomat.net."""
    api_key: Secret = None
    """Your Billomat API key (in Billomat: Settings > Administration > User > API key)."""
    app_id: Text = None
    """Optional: the App ID of a registered Billomat app (raises the rate limit). Needs
    app_secret too."""
    app_secret: Secret = None
    """Optional: the App secret belonging to app_id."""
    base_url: Annotated[
        Text, AfterValidator(_base_url("billomat", "https://nordlicht.billomat.net"))
    ] = None
    """Address timebill appends the Billomat API paths (/api/clients, ...) to. Leave it out to
    use https://ID.billomat.net."""
    max_rate_limit_wait: Annotated[int, BeforeValidator(_wait_seconds)] = 900
    """Seconds timebill waits at most for Billomat's rate limit to open again (0-3600). Billomat
    counts requests in fixed quarter hours, so 900 always reaches the next window; 0 stops a
    run at the first refusal instead. The wait is shown and can be cancelled with Ctrl+C."""


class InvoiceSettings(_Section):
    """[invoice]: defaults for new invoices."""

    default_vat: Annotated[Decimal, BeforeValidator(_vat_number), AfterValidator(_vat_range)] = (
        DEFAULT_VAT
    )
    """VAT rate in percent for new invoice lines, between 0 and 100, e.g. 19 or 7.7."""


class UiSettings(_Section):
    """[ui]: how the terminal app looks."""

    theme: Annotated[str, BeforeValidator(_theme)] = DEFAULT_THEME
    """Name of the colour theme: a shipped one or a *.toml file in the themes folder."""
    language: Annotated[Literal["auto", "en", "de"], BeforeValidator(_choice(LANGUAGES))] = "auto"
    """Language of the app: "en", "de", or "auto" to follow the system's locale."""


SECTIONS: dict[str, type[_Section]] = {
    "mite": MiteSettings,
    "clockodo": ClockodoSettings,
    "billomat": BillomatSettings,
    "invoice": InvoiceSettings,
    "ui": UiSettings,
}
