"""Build the configured adapters from settings: the one place that knows which tracker is in use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from timebill.core.errors import ConfigError

if TYPE_CHECKING:
    from timebill.core.billing.journal import Journal
    from timebill.core.billomat.client import Billomat
    from timebill.core.http import RetryPolicy
    from timebill.core.settings.model import Settings
    from timebill.core.sources.base import TimeSource

TRACKER_TITLES = {"mite": "mite", "clockodo": "clockodo"}


def _require(value: str | None, key: str) -> str:
    if value is None or not str(value).strip():
        env = "TIMEBILL_" + key.upper().replace(".", "__")
        raise ConfigError(f"{key} is not set: add it in the setup, the config file or {env}.")
    return value


def _require_key(value: object, key: str) -> object:
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    _require(None if text is None else str(text), key)
    return value


def tracker_account(settings: Settings) -> str:
    """The journal's name for the configured tracker account: assignments and billed entries
    belong to one account (entry ids are only unique within it)."""
    if settings.tracker == "mite":
        return f"mite:{(settings.mite.account or '').lower()}"
    if settings.tracker == "clockodo":
        return f"clockodo:{(settings.clockodo.email or '').lower()}"
    raise ConfigError('No time tracker chosen: set tracker = "mite" or "clockodo".')


def open_journal(settings: Settings | None = None) -> Journal:
    from timebill.core.billing.journal import Journal
    from timebill.core.settings.paths import journal_file

    return Journal(journal_file())


def open_source(settings: Settings, *, retry: RetryPolicy | None = None) -> TimeSource:
    """The configured time tracker's adapter (not yet entered: use `async with`)."""
    tracker = settings.tracker
    if tracker == "mite":
        from timebill.core.sources.mite import MiteSource

        return MiteSource(
            _require(settings.mite.account, "mite.account"),
            _require_key(settings.mite.api_key, "mite.api_key"),
            base_url=settings.mite.base_url or None,
            retry=retry,
        )
    if tracker == "clockodo":
        from timebill.core.sources.clockodo import ClockodoSource

        return ClockodoSource(
            _require(settings.clockodo.email, "clockodo.email"),
            _require_key(settings.clockodo.api_key, "clockodo.api_key"),
            base_url=settings.clockodo.base_url or None,
            retry=retry,
        )
    raise ConfigError(
        'No time tracker chosen: set tracker = "mite" or "clockodo" in the setup, the config '
        "file or TIMEBILL_TRACKER."
    )


def open_billomat(settings: Settings, *, retry: RetryPolicy | None = None) -> Billomat:
    from timebill.core.billomat.client import Billomat

    b = settings.billomat
    return Billomat(
        _require(b.billomat_id, "billomat.billomat_id"),
        _require_key(b.api_key, "billomat.api_key"),
        base_url=b.base_url or None,
        app_id=b.app_id or None,
        app_secret=b.app_secret,
        retry=retry,
        max_rate_limit_wait=b.max_rate_limit_wait,
    )
