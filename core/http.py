"""The one place that builds httpx clients.

Every request of every adapter goes through `ServiceClient.request`: timeouts, a `User-Agent`,
bounded retries with exponential backoff and jitter, `Retry-After` and rate-limit reset headers,
typed errors, and redaction of API keys from every message and log line.

A rate limit whose window opens within `max_rate_limit_wait` seconds is waited for, visibly
(timebill.core.ratelimit announces the countdown); a `Pacer` holds requests back so a service's
per-user limits are never reached in the first place.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json as jsonlib
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from timebill.core import __version__
from timebill.core.errors import (
    AuthenticationError,
    ConflictError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ServiceError,
    ValidationError,
)
from timebill.core.models import SERVICE_TITLES
from timebill.core.ratelimit import Pacer, wait_out
from timebill.core.secrets import redact, reveal
from timebill.core.urls import check_base_url

log = logging.getLogger("timebill.http")

USER_AGENT = f"timebill/{__version__}"
# Statuses worth another try. A POST is only repeated where the server certainly did nothing
# (429, 503): behind a gateway, a 500/502/504 may come after Billomat created the draft, and it
# has no idempotency keys (shared/api/billomat.md §3). Those end as "outcome unknown" instead,
# so billing looks the draft up by its marker before anything is created again.
RETRY_ALWAYS = frozenset({429, 503})
RETRY_IDEMPOTENT = RETRY_ALWAYS | {500, 502, 504}
OUTCOME_UNKNOWN = frozenset({500, 502, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"})

ErrorParser = Callable[[httpx.Response], "str | None"]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: `attempts` tries in all, delays doubling from `base_delay` up to
    `max_delay`, with +/- `jitter` (a fraction). A server that asks us to wait longer than
    `max_wait` seconds gets no further tries (unless the client allows a longer
    `max_rate_limit_wait`): the caller sees `RateLimitedError` at once. `clock` gives the epoch
    second rate-limit reset headers are compared with (injected in tests with `sleep`)."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_wait: float = 120.0
    jitter: float = 0.2
    sleep: Sleep = field(default=asyncio.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return max(0.0, delay * (1 + random.uniform(-self.jitter, self.jitter)))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building it (CA bundle, SSL_CERT_FILE /
    SSL_CERT_DIR honoured) costs ~50 ms, and every ServiceClient would otherwise build its own."""
    return httpx.create_ssl_context(trust_env=True)


DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=30.0)


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: `Retry-After` (seconds or HTTP date), else a
    rate-limit reset header (Billomat's `X-Rate-Limit-Reset` is an epoch second)."""
    now = time.time() if now is None else now
    value = response.headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, when.timestamp() - now)
            except (TypeError, ValueError, IndexError):
                pass
    for name in ("X-Rate-Limit-Reset", "X-RateLimit-Reset", "RateLimit-Reset"):
        value = response.headers.get(name)
        if not value:
            continue
        try:
            number = float(value.strip())
        except ValueError:
            continue
        # Epoch seconds are large; small numbers are a delta in seconds.
        return max(0.0, number - now) if number > 1_000_000_000 else max(0.0, number)
    return None


class ServiceClient:
    """An httpx.AsyncClient for one service, with retries, typed errors and redaction.

    `error_message` extracts the service's own error text from an error response (each API
    wraps it differently); its result is redacted before it reaches any message.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[Any] = (),
        error_message: ErrorParser | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 8,
        max_rate_limit_wait: float | None = None,
        wait_setting: str | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        """`max_rate_limit_wait`: the longest wait for a rate-limit window that is waited out
        (default: the retry policy's `max_wait`); `wait_setting` names the settings key that
        raises it, for the message when a window opens later than that. `pacer` holds every
        request back as far as the service's own limits require."""
        self.service = service
        self.title = SERVICE_TITLES.get(service, service)
        self.base_url = check_base_url(base_url, service)
        self._secrets = tuple(s for s in (reveal(x) for x in secrets) if s)
        self._error_message = error_message or (lambda response: None)
        self.retry = retry or RetryPolicy()
        self._limit = asyncio.Semaphore(max_concurrency)
        self._blocked_until = 0.0
        self._window_lock = asyncio.Lock()
        self.max_rate_limit_wait = (
            self.retry.max_wait if max_rate_limit_wait is None else max_rate_limit_wait
        )
        self._wait_setting = wait_setting
        self.pacer = pacer
        self.requests_sent = 0
        # Requests handed to the network whose answer has not come back: a cancel (Ctrl+C)
        # while this is 0 left nothing in the air (billing then need not wait for it to land).
        self.awaiting_answer = 0
        all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        all_headers.update(headers or {})
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=all_headers,
            auth=auth,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            follow_redirects=False,
            verify=tls_context(),
            limits=httpx.Limits(
                max_connections=max_concurrency * 2, max_keepalive_connections=max_concurrency
            ),
        )

    def __repr__(self) -> str:
        return f"<ServiceClient {self.service} {self.base_url}>"

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params, parse_json=True)

    async def send_json(
        self, method: str, path: str, body: Any, params: Mapping[str, Any] | None = None
    ) -> Any:
        """Send a JSON body; an empty reply (mite's PATCH) comes back as None."""
        return await self.request(method, path, params=params, json=body, parse_json=True)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        parse_json: bool = False,
    ) -> Any:
        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS
        retry_statuses = RETRY_IDEMPOTENT if idempotent else RETRY_ALWAYS
        attempt = 0
        while True:
            attempt += 1
            # A cancel (Ctrl+C) during either wait leaves this request unsent.
            await self._wait_for_rate_limit_window()
            started = time.monotonic()
            try:
                async with self._limit:
                    if self.pacer is not None:
                        # Paced once it may go out: a request held back by the concurrency
                        # bound afterwards would reach the service later than counted.
                        await self.pacer.acquire()
                    self.requests_sent += 1
                    self.awaiting_answer += 1
                    response = await self._client.request(method, path, params=params, json=json)
                    self.awaiting_answer -= 1
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                self.awaiting_answer -= 1
                # Nothing reached the server: safe to retry for every method.
                self._log(method, path, None, started, attempt, type(exc).__name__)
                if attempt < self.retry.attempts:
                    await self.retry.sleep(self.retry.backoff(attempt))
                    continue
                raise NetworkError(
                    f"{self.title} is unreachable at {self._host()} ({self._describe(exc)}). "
                    "Check the address and your network.",
                    service=self.service,
                ) from None
            except httpx.TransportError as exc:
                # The request went out and the answer broke off (timeout, dropped connection):
                # the caller hears of it as an unknown outcome.
                self.awaiting_answer -= 1
                self._log(method, path, None, started, attempt, type(exc).__name__)
                if idempotent and attempt < self.retry.attempts:
                    await self.retry.sleep(self.retry.backoff(attempt))
                    continue
                raise NetworkError(
                    f"{self.title} did not answer {method} {self._path(path)} "
                    f"({self._describe(exc)})"
                    + ("" if idempotent else "; it may or may not have been carried out")
                    + ".",
                    service=self.service,
                    outcome_unknown=not idempotent,
                ) from None

            self._note_rate_limit(response)
            status = response.status_code
            self._log(method, path, status, started, attempt)
            if status in retry_statuses:
                wait = retry_after_seconds(response, self.retry.clock()) if status == 429 else None
                if attempt < self.retry.attempts:
                    if wait is None:
                        await self.retry.sleep(self.retry.backoff(attempt))
                        continue
                    if wait <= self.max_rate_limit_wait:
                        # Waited out in _wait_for_rate_limit_window, shared with the requests
                        # running beside this one: one countdown, not one per request.
                        self._block(wait + random.uniform(0, 0.1))
                        continue
                raise self._error(response, retry_after=wait)
            if not idempotent and status in OUTCOME_UNKNOWN:
                raise NetworkError(
                    f"{self.title} answered {method} {self._path(path)} with HTTP {status}; it "
                    "may or may not have been carried out.",
                    service=self.service,
                    status=status,
                    outcome_unknown=True,
                )
            if status >= 300:
                raise self._error(response)
            if not parse_json:
                return response
            try:
                return _decode(response)
            except ValueError:
                if idempotent and attempt < self.retry.attempts:
                    await self.retry.sleep(self.retry.backoff(attempt))
                    continue
                raise ServerError(
                    f"{self.title} answered {method} {self._path(path)} with something that is "
                    f"not JSON ({_content_kind(response)}). The service may be having problems; "
                    "try again later.",
                    service=self.service,
                    status=status,
                ) from None

    def _block(self, seconds: float) -> None:
        self._blocked_until = max(self._blocked_until, self.retry.clock() + seconds)

    async def _wait_for_rate_limit_window(self) -> None:
        if self._blocked_until <= 0:
            return
        async with self._window_lock:
            wait = self._blocked_until - self.retry.clock()
            if wait <= 0:
                self._blocked_until = 0.0
                return
            if wait > self.max_rate_limit_wait:
                raise RateLimitedError(
                    f"{self.title}'s rate limit is used up. {self._too_long(wait)}",
                    service=self.service,
                    retry_after=wait,
                )
            await wait_out(
                self.service, self.title, wait, sleep=self.retry.sleep, clock=self.retry.clock
            )
            self._blocked_until = 0.0

    def _too_long(self, wait: float) -> str:
        opens = time.strftime("%H:%M:%S", time.localtime(self.retry.clock() + wait))
        raise_it = f"; {self._wait_setting} raises that" if self._wait_setting else ""
        return (
            f"Try again in {int(wait) + 1} s (at {opens}): longer than timebill waits "
            f"({int(self.max_rate_limit_wait)} s{raise_it}). Nothing more was sent."
        )

    def _note_rate_limit(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            return  # the retry path waits for this one itself
        remaining = response.headers.get("X-Rate-Limit-Remaining")
        if remaining is not None and remaining.strip() == "0":
            wait = retry_after_seconds(response, self.retry.clock())
            if wait:
                self._block(wait)

    def _error(self, response: httpx.Response, retry_after: float | None = None) -> ServiceError:
        status = response.status_code
        detail = self._service_text(response)
        title = self.title
        if status == 401:
            return AuthenticationError(
                f"{title} refused the API key (401 Unauthorized)"
                + (f": {detail}" if detail else "")
                + ". Check the key in the setup (or the config file).",
                service=self.service,
                status=status,
            )
        if status == 403:
            return PermissionDeniedError(
                f"{title} denied access (403 Forbidden)"
                + (f": {detail}" if detail else "")
                + ". The key's user lacks the rights for this.",
                service=self.service,
                status=status,
            )
        if status == 404:
            return NotFoundError(
                f"{title}: not found ({self._path(str(response.request.url.path))})"
                + (f": {detail}" if detail else "")
                + ".",
                service=self.service,
                status=status,
            )
        if status == 429:
            when = (
                f" Try again in {int(retry_after) + 1} s." if retry_after else " Try again later."
            )
            if retry_after and retry_after > self.max_rate_limit_wait:
                when = " " + self._too_long(retry_after)
            return RateLimitedError(
                f"{title} rate limit reached" + (f": {detail}" if detail else "") + f".{when}",
                service=self.service,
                retry_after=retry_after,
            )
        if status in (400, 422):
            return ValidationError(
                f"{title} rejected the request: {detail or f'HTTP {status}'}",
                service=self.service,
                status=status,
            )
        if status in (409, 423):
            return ConflictError(
                f"{title} refused the change ({status}): {detail or 'conflict'}",
                service=self.service,
                status=status,
            )
        if 300 <= status < 400:
            where = urlsplit(response.headers.get("Location", "")).hostname or "elsewhere"
            return ServerError(
                f"{title} redirected the request to {where} instead of answering; "
                "check the account name and base_url.",
                service=self.service,
                status=status,
            )
        return ServerError(
            f"{title} failed with HTTP {status}"
            + (f": {detail}" if detail else "")
            + ". Try again later.",
            service=self.service,
            status=status,
        )

    def _service_text(self, response: httpx.Response) -> str:
        try:
            text = self._error_message(response)
        except Exception:  # an error body we cannot read must not hide the status
            text = None
        if not text:
            return ""
        text = " ".join(str(text).split())
        if len(text) > 300:
            text = text[:297] + "..."
        # Our messages go on after the service's text: no doubled full stop.
        return self.redact(text).rstrip(".")

    def _path(self, path: str) -> str:
        return self.redact(path)

    def _host(self) -> str:
        return urlsplit(self.base_url).netloc

    def _describe(self, exc: Exception) -> str:
        text = str(exc).strip()
        name = {
            "ConnectError": "connection failed",
            "ConnectTimeout": "connect timed out",
            "ReadTimeout": "timed out waiting for the answer",
            "WriteTimeout": "timed out sending the request",
            "PoolTimeout": "too many requests waiting",
            "RemoteProtocolError": "connection closed without an answer",
            "ReadError": "connection broke while reading",
        }.get(type(exc).__name__, type(exc).__name__)
        if text and type(exc).__name__ == "ConnectError":
            return self.redact(f"{name}: {text}")
        return name

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempt: int,
        failure: str | None = None,
    ) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        ms = (time.monotonic() - started) * 1000
        outcome = str(status) if status is not None else failure or "error"
        retry = f" retry={attempt - 1}" if attempt > 1 else ""
        log.info(
            "%s %s %s %s %.0fms%s",
            self.service,
            method,
            self.redact(f"{urlsplit(self.base_url).path}{path}"),
            outcome,
            ms,
            retry,
        )


def _decode(response: httpx.Response) -> Any:
    content = response.content
    if not content.strip():
        return None
    return jsonlib.loads(content)


def _content_kind(response: httpx.Response) -> str:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if "html" in kind:
        return "an HTML page"
    return kind or "an unreadable body"


def json_error_text(response: httpx.Response, *paths: tuple[str, ...]) -> str | None:
    """The first string found at one of `paths` in a JSON error body (lists are joined)."""
    try:
        body = response.json()
    except ValueError:
        return None
    for path in paths:
        value: Any = body
        for key in path:
            if isinstance(value, list):
                value = value[0] if value else None
            if not isinstance(value, dict):
                value = None
                break
            value = value.get(key)
        if isinstance(value, list):
            value = "; ".join(str(v.get("message", v) if isinstance(v, dict) else v) for v in value)
        if value:
            return str(value)
    return None
