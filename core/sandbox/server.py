"""The sandbox HTTP server: all three emulators on one loopback port, under /mite, /clockodo and
/billomat, plus control endpoints under /_sandbox for tests (faults, request counts).

Stdlib only (ThreadingHTTPServer), HTTP/1.1 keep-alive so clients can reuse connections as they
would with the real services.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urlsplit

from timebill.core.sandbox.faults import FaultRule, Faults
from timebill.core.sandbox.seed import World, build_world
from timebill.core.sandbox.store import Store


@dataclass
class Request:
    method: str
    path: str  # below the emulator's prefix, e.g. "/time_entries.json"
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The decoded body; raises ValueError on a body that is not JSON."""
        return json.loads(self.body.decode("utf-8")) if self.body.strip() else None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, headers=headers or {})


def html_response(status: int, title: str) -> Response:
    page = f"<!DOCTYPE html><html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>"
    return Response(status, page.encode(), "text/html; charset=utf-8")


class Emulator(Protocol):
    name: str  # the URL prefix without slashes: "mite", "clockodo", "billomat"

    def handle(self, request: Request) -> Response: ...

    def error(self, status: int, message: str) -> Response:
        """An error response in this API's own body format."""
        ...

    def credentials(self, base_url: str) -> dict[str, str]:
        """What a client needs: {"base_url", and the account/e-mail/id and api_key}."""
        ...


class SandboxServer:
    """Build the world, the emulators and the server; `start()` serves in a background thread.

    `state` names a file that keeps every change made through the APIs; starting again with the
    same file restores them (on top of the same seed, same `today`).
    """

    def __init__(
        self,
        port: int = 0,
        *,
        entries: int | None = None,
        seed: int = 42,
        state: str | None = None,
        today: dt.date | None = None,
        host: str = "127.0.0.1",
        services: tuple[str, ...] = ("mite", "clockodo", "billomat"),
    ) -> None:
        self.store = Store(state)
        meta = self.store.open_log(
            {"seed": seed, "entries": entries, "today": (today or dt.date.today()).isoformat()}
        )
        self.world: World = build_world(
            seed=meta["seed"], entries=meta["entries"], today=dt.date.fromisoformat(meta["today"])
        )
        self.emulators: dict[str, Emulator] = {
            name: _emulator_class(name)(self.store, self.world) for name in services
        }
        self.store.replay()
        self.faults = Faults()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self._requests_lock = threading.Lock()
        self.httpd = _Server((host, port), _Handler)
        self.httpd.sandbox = self
        self._thread: threading.Thread | None = None

    @property
    def mite(self) -> Any:
        return self.emulators["mite"]

    @property
    def clockodo(self) -> Any:
        return self.emulators["clockodo"]

    @property
    def billomat(self) -> Any:
        return self.emulators["billomat"]

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def credentials(self) -> dict[str, dict[str, str]]:
        return {name: e.credentials(f"{self.url}/{name}") for name, e in self.emulators.items()}

    def start(self) -> SandboxServer:
        # A short poll interval: shutdown() waits for it, and tests start and stop many sandboxes.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.02,), name="sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(
        self, service: str | None = None, method: str | None = None, path: str | None = None
    ) -> int:
        """Requests served so far that match (control requests are not counted)."""
        with self._requests_lock:
            return sum(
                n
                for (s, m, p), n in self.requests.items()
                if (service is None or s == service)
                and (method is None or m == method)
                and (path is None or path in p)
            )

    def reset_counts(self) -> None:
        with self._requests_lock:
            self.requests.clear()

    # -- dispatch ------------------------------------------------------------------------------
    def dispatch(self, request: Request, service: str) -> Response | None:
        """Answer one API request, with faults applied. None means: drop the connection."""
        emulator = self.emulators.get(service)
        if emulator is None:
            return html_response(404, "Not Found")
        with self._requests_lock:
            self.requests[(service, request.method, request.path)] += 1
        self.faults.delay()
        rule = self.faults.pick(service, request.method, request.path)
        if rule is not None:
            faulted = self._fault(rule, emulator, request)
            if faulted is not False:
                return faulted
        try:
            return emulator.handle(request)
        except Exception as exc:  # an emulator bug must show up as a 500, not a hung client
            return emulator.error(500, f"sandbox internal error: {type(exc).__name__}: {exc}")

    def _fault(
        self, rule: FaultRule, emulator: Emulator, request: Request
    ) -> Response | Literal[False] | None:
        """The faulted answer, None to drop the connection, or False to answer normally."""
        if rule.kind == "latency":
            threading.Event().wait(rule.delay)
            return False
        if rule.kind == "timeout":
            threading.Event().wait(rule.delay or 30.0)
            return False
        if rule.kind == "drop":
            return None
        if rule.kind == "late":
            # Received, then carried out only once the test lets it (the client has given up
            # by then): a request that lands after timebill's read timeout.
            rule.arrived.set()
            rule.release.wait(rule.delay or 120.0)
            answer = emulator.handle(request)
            rule.landed.set()
            return answer
        if rule.kind == "hold":
            answer = emulator.handle(request)
            rule.arrived.set()
            rule.release.wait(rule.delay or 120.0)
            return answer
        if rule.kind == "malformed":
            # The real answer, cut in half: what a proxy that gives up mid-body delivers.
            real = emulator.handle(request)
            real.body = real.body[: max(1, len(real.body) // 2)] or b"{"
            real.status = 200
            return real
        if rule.kind == "html":
            return html_response(
                rule.status, "Bad Gateway" if rule.status == 502 else "Service Unavailable"
            )
        if rule.kind == "rate_limit":
            response = emulator.error(429, "Maximum number of requests reached. Try again later.")
            if rule.retry_after is not None:
                reset = int(dt.datetime.now(dt.UTC).timestamp() + rule.retry_after)
                response.headers.update(
                    {
                        "Retry-After": str(
                            int(rule.retry_after)
                            if rule.retry_after == int(rule.retry_after)
                            else rule.retry_after
                        ),
                        "X-Rate-Limit-Remaining": "0",
                        "X-Rate-Limit-Reset": str(reset),
                    }
                )
            elif rule.reset_in is not None:
                reset = int(dt.datetime.now(dt.UTC).timestamp() + rule.reset_in)
                response.headers.update(
                    {"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)}
                )
            return response
        return emulator.error(rule.status, f"injected fault: HTTP {rule.status}")

    def control(self, method: str, path: str, body: bytes) -> Response:
        """/_sandbox/faults (GET, POST rules, DELETE all), /_sandbox/requests (GET, DELETE)."""
        if path == "/faults":
            if method == "GET":
                return json_response(self.faults.describe())
            if method == "DELETE":
                self.faults.clear()
                return json_response({"ok": True})
            if method == "POST":
                try:
                    data = json.loads(body or b"{}")
                    if not isinstance(data, dict):
                        raise ValueError("expected a JSON object: one rule, or rules and latency")
                    # One rule as it stands (`{"kind": "rate_limit", ...}`), or a batch
                    # (`{"rules": [...], "latency": 0.05}`); anything else is refused.
                    rules = [data] if "kind" in data else data.get("rules", [])
                    unknown = set(data) - {"rules", "latency"} if "kind" not in data else set()
                    if unknown or not (rules or "latency" in data):
                        raise ValueError(
                            'expected one rule ({"kind": ...}) or {"rules": [...], "latency": s}'
                        )
                    if "latency" in data and "kind" not in data:
                        self.faults.latency = float(data["latency"])
                    for rule in rules:
                        self.faults.add(**rule)
                except (ValueError, TypeError) as exc:
                    return json_response({"error": str(exc)}, 400)
                return json_response(self.faults.describe())
        if path == "/requests":
            if method == "DELETE":
                self.reset_counts()
                return json_response({"ok": True})
            with self._requests_lock:
                rows = [
                    {"service": s, "method": m, "path": p, "count": n}
                    for (s, m, p), n in sorted(self.requests.items())
                ]
            return json_response({"total": sum(r["count"] for r in rows), "requests": rows})
        return json_response({"error": f"unknown control path {path}"}, 404)


def _emulator_class(name: str) -> Any:
    if name == "mite":
        from timebill.core.sandbox.mite import MiteEmulator

        return MiteEmulator
    if name == "clockodo":
        from timebill.core.sandbox.clockodo import ClockodoEmulator

        return ClockodoEmulator
    if name == "billomat":
        from timebill.core.sandbox.billomat import BillomatEmulator

        return BillomatEmulator
    raise ValueError(f"unknown sandbox service {name!r}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sandbox: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a timeout test, a killed process) is normal here;
        # anything else is still reported.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each keep-alive answer would wait
    # for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the sandbox's stdout/stderr belong to the person running it

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        segments = parts.path.split("/", 2)
        prefix = segments[1] if len(segments) > 1 else ""
        rest = "/" + segments[2] if len(segments) > 2 else "/"
        sandbox = self.server.sandbox
        if prefix == "_sandbox":
            self._send(sandbox.control(self.command, rest.rstrip("/"), body))
            return
        request = Request(
            method=self.command,
            path=rest,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = sandbox.dispatch(request, prefix)
        if response is None:
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve
