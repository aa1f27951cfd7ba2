"""Waiting for the services' rate limits, visibly, and pacing requests so they are not hit.

Billomat counts requests in fixed quarter hours shared by every integration of the account
(shared/api/billomat.md §2): a 429 there is answered by waiting for the next window, announced
to whoever listens (the CLI prints a line on stderr, the app shows a countdown) and cancellable
(Ctrl+C cancels the sleeping task before the request is sent again, so nothing went out).

clockodo limits each user per minute, quarter hour, hour and day (shared/api/clockodo.md §5).
`Pacer` keeps a run below all of them on the client side, so a long marking run waits instead
of being refused.

core stays free of the UI: listeners are plain callables, registered with `listen()`.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger("timebill.http")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
# Waits up to this long pass silently (a Retry-After of a few seconds); longer ones are announced.
ANNOUNCE_AFTER = 10.0
TICK = 1.0


@dataclass(frozen=True)
class RateLimitWait:
    """One moment of a wait for a service's rate limit: at its start, once a second, at its end.

    `until` is the epoch second the wait ends; `left` the seconds still to wait (0 when over).
    `state` is "waiting", "done" or "cancelled"."""

    service: str
    title: str
    total: float
    left: float
    until: float
    state: str = "waiting"

    @property
    def finished(self) -> bool:
        return self.state != "waiting"

    def clock_text(self) -> str:
        seconds = max(0, round(self.left))
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"

    def until_text(self) -> str:
        return dt.datetime.fromtimestamp(self.until).strftime("%H:%M:%S")

    def text(self) -> str:
        """The line the CLI prints and the app shows, e.g. "Billomat rate limit: waiting 7:42
        until 12:45:00 (Ctrl+C cancels, nothing is lost)"."""
        if self.state == "done":
            return f"{self.title} rate limit: window open again, continuing."
        if self.state == "cancelled":
            return f"{self.title} rate limit: wait cancelled; nothing was sent."
        return (
            f"{self.title} rate limit: waiting {self.clock_text()} until {self.until_text()} "
            "(Ctrl+C cancels, nothing is lost)"
        )


Listener = Callable[[RateLimitWait], None]
_listeners: list[Listener] = []


@contextmanager
def listen(listener: Listener) -> Iterator[None]:
    """Have `listener` told about every rate-limit wait while the block runs."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def announce(event: RateLimitWait) -> None:
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:  # a display that fails must not break the run it reports on
            log.exception("rate-limit listener failed")


async def wait_out(
    service: str, title: str, seconds: float, *, sleep: Sleep, clock: Clock = time.time
) -> None:
    """Sleep `seconds`, announcing the wait once a second when it is longer than a few seconds.
    The countdown follows the sleeps (not the clock), so an injected sleep drives it in tests."""
    if seconds <= ANNOUNCE_AFTER:
        await sleep(seconds)
        return
    until = clock() + seconds
    left = seconds
    announce(RateLimitWait(service, title, seconds, left, until))
    try:
        while left > 0:
            step = min(TICK, left)
            await sleep(step)
            left = max(0.0, left - step)
            if left > 0:
                announce(RateLimitWait(service, title, seconds, left, until))
    except asyncio.CancelledError:
        announce(RateLimitWait(service, title, seconds, left, until, "cancelled"))
        raise
    announce(RateLimitWait(service, title, seconds, 0.0, until, "done"))


# -- pacing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """At most `count` requests in any `seconds` long stretch."""

    count: int
    seconds: float


# shared/api/clockodo.md §5 (the official spec's "Rate Limits"): per authenticated user.
CLOCKODO_LIMITS = (Window(900, 60), Window(2250, 900), Window(4500, 3600), Window(20000, 86400))


def scaled(windows: tuple[Window, ...], factor: float) -> tuple[Window, ...]:
    """The same limits with counts and durations divided by `factor` (tests, benchmarks)."""
    return tuple(Window(max(1, int(w.count / factor)), w.seconds / factor) for w in windows)


class Pacer:
    """Holds each request back until sending it keeps every window within its count.

    Sliding windows: kept below in every stretch of each length, a run is also below in any fixed
    window the service may count in. `slack` widens each window a little for the time a request
    takes to arrive (the service counts arrivals, the pacer sends)."""

    def __init__(
        self,
        windows: tuple[Window, ...],
        *,
        service: str,
        title: str,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        slack: float = 0.05,
    ) -> None:
        self.windows = windows
        self.service = service
        self.title = title
        self.clock = clock
        self.sleep = sleep
        self.slack = slack
        self.waited = 0.0
        self._sent: list[float] = []
        self._lock = asyncio.Lock()
        self._longest = max((w.seconds for w in windows), default=0.0) * (1 + slack)

    def wait_needed(self, now: float) -> float:
        """Seconds until one more request fits into every window."""
        wait = 0.0
        for window in self.windows:
            first = len(self._sent) - window.count
            if first >= 0:
                frees_at = self._sent[first] + window.seconds * (1 + self.slack)
                wait = max(wait, frees_at - now)
        return wait

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                wait = self.wait_needed(now)
                if wait <= 0:
                    break
                self.waited += wait
                # An injected sleep must move the injected clock on (tests use one FakeClock).
                await wait_out(self.service, self.title, wait, sleep=self.sleep)
            self._sent.append(now)
            old = bisect.bisect_left(self._sent, now - self._longest)
            if old > 1000:
                del self._sent[:old]
