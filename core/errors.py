"""Typed errors. Every message is meant for the user: it says what failed and what to do.

Messages never contain an API key: `timebill.core.http` redacts (`timebill.core.secrets`) every text it puts into an error, and
nothing else in core builds errors from request data.
"""

from __future__ import annotations

from collections.abc import Iterable


class TimebillError(Exception):
    """Base of every error timebill raises on purpose."""

    def __init__(self, message: str, *, service: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.service = service

    def __str__(self) -> str:
        return self.message


class UsageError(TimebillError):
    """A value on the command line cannot be used (the CLI exits 2, "bad usage")."""


class ConfigError(TimebillError):
    """The configuration file or a setting is invalid or missing."""


class ServiceError(TimebillError):
    """A remote service answered with an error, or could not be reached."""

    def __init__(
        self, message: str, *, service: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message, service=service)
        self.status = status


class AuthenticationError(ServiceError):
    """The API key (or e-mail/key pair) was refused."""


class PermissionDeniedError(ServiceError):
    """The key is valid but its user may not do this (HTTP 403)."""


class NotFoundError(ServiceError):
    """The requested object does not exist."""


class UnknownAccountError(NotFoundError):
    """The account (mite subdomain, Billomat ID) does not exist."""


class RateLimitedError(ServiceError):
    """The service keeps refusing because of its rate limit."""

    def __init__(
        self,
        message: str,
        *,
        service: str | None = None,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, service=service, status=status)
        self.retry_after = retry_after


class ValidationError(ServiceError):
    """The service rejected the request's content; `message` carries the service's own words."""


class ConflictError(ServiceError):
    """The object is in a state that forbids the change (locked entry, non-draft invoice)."""


class ServerError(ServiceError):
    """The service failed (5xx) or answered with something that is not its API's format."""


class NetworkError(ServiceError):
    """The service could not be reached, or the connection broke before an answer arrived."""

    def __init__(
        self,
        message: str,
        *,
        service: str | None = None,
        status: int | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, service=service, status=status)
        # True when a non-idempotent request may have been processed before the connection broke.
        self.outcome_unknown = outcome_unknown


class PlanError(TimebillError, ValueError):
    """The entries, assignments or options cannot make a correct invoice; nothing was created.

    `entry_ids` names the entries concerned, where there are any, so a screen can highlight them."""

    def __init__(self, message: str, *, entry_ids: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.entry_ids: tuple[str, ...] = tuple(entry_ids)


class RateMissingError(PlanError):
    """No hourly rate for some entries: no override, no article price, no rate on the entry."""


class NothingToBillError(PlanError):
    """After the guards, no entry is left to bill (all billed, running, in progress, ...)."""
