"""Fault injection for the sandbox: rules that turn matching requests into failures.

A rule matches by service, method and a path substring; it lets `after` matching requests pass,
then affects the next `count` (None: all further ones). Rules are set in-process
(`server.faults.add(...)`) or over HTTP (`POST /_sandbox/faults`), so tests can drive a sandbox
running in another process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, fields
from typing import Any, Literal

FaultKind = Literal[
    "status",  # answer `status` with the service's error body (5xx, 401, ...)
    "rate_limit",  # 429 with Retry-After (if `retry_after` is set) and rate-limit headers
    "drop",  # close the connection without an answer
    "malformed",  # 200 with a JSON body cut in half
    "html",  # `status` with an HTML error page, as a proxy or load balancer sends it
    "timeout",  # wait `delay` seconds before answering (longer than the client's timeout)
    "latency",  # wait `delay` seconds, then answer normally
    "hold",  # carry the request out, then hold the answer until `release` is set (kill tests)
    "late",  # hold the request until `release` is set, then carry it out (lands after a timeout)
]

FAULT_KINDS = frozenset(FaultKind.__args__)  # type: ignore[attr-defined]


@dataclass
class FaultRule:
    kind: FaultKind
    service: str | None = None
    method: str | None = None
    path: str | None = None
    after: int = 0
    count: int | None = 1
    status: int = 503
    retry_after: float | None = None
    # "rate_limit" without Retry-After: the window ends this many seconds from now
    # (X-Rate-Limit-Reset), instead of at the emulator's own window end.
    reset_in: float | None = None
    delay: float = 0.0
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)
    # "hold": set when a held request has been carried out; the test sets `release` to let the
    # answer go (to a client that has usually been killed by then). "late": `arrived` is set
    # when the request is received, `release` lets it be carried out, `landed` says it was.
    arrived: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)
    release: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)
    landed: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def matches(self, service: str, method: str, path: str) -> bool:
        return (
            (self.service is None or self.service == service)
            and (self.method is None or self.method.upper() == method)
            and (self.path is None or self.path in path)
        )

    @property
    def spent(self) -> bool:
        return self.count is not None and self.fired >= self.count

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        if data.get("kind") not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {data.get('kind')!r}; one of {sorted(FAULT_KINDS)}"
            )
        allowed = {
            "kind",
            "service",
            "method",
            "path",
            "after",
            "count",
            "status",
            "retry_after",
            "reset_in",
            "delay",
        }
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**data)


class Faults:
    """The active rules plus a global latency, shared by all request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self.latency = 0.0

    def add(self, kind: FaultKind, **options: Any) -> FaultRule:
        rule = FaultRule.from_dict({"kind": kind, **options})
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            for rule in self.rules:
                rule.release.set()
            self.rules.clear()
            self.latency = 0.0

    def pick(self, service: str, method: str, path: str) -> FaultRule | None:
        """The first live rule this request triggers (counting it), or None."""
        with self._lock:
            for rule in self.rules:
                if rule.spent or not rule.matches(service, method, path):
                    continue
                rule.seen += 1
                if rule.seen > rule.after:
                    rule.fired += 1
                    return rule
            return None

    def delay(self) -> None:
        if self.latency > 0:
            time.sleep(self.latency)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency": self.latency,
                "rules": [
                    {
                        f.name: getattr(rule, f.name)
                        for f in fields(rule)
                        if f.name not in ("arrived", "release", "landed")
                    }
                    for rule in self.rules
                ],
            }
