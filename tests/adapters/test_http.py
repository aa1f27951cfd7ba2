"""The HTTP layer against a real loopback server: retries, waits, typed errors, redaction."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
from timebill.core.errors import (
    AuthenticationError,
    ConfigError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from timebill.core.http import (
    USER_AGENT,
    RetryPolicy,
    ServiceClient,
    json_error_text,
)
from timebill.core.sandbox.server import Request, Response, SandboxServer, json_response
from timebill.core.urls import check_base_url

KEY = "canary-key-7f3a9c1e"


class EchoEmulator:
    """Answers every request with what it saw; `/status/N` answers N with the key echoed back,
    as a careless service might."""

    name = "echo"

    def __init__(self) -> None:
        self.seen: list[Request] = []

    def handle(self, request: Request) -> Response:
        self.seen.append(request)
        if request.path.startswith("/status/"):
            status = int(request.path.rsplit("/", 1)[1])
            return self.error(status, f"bad key {request.header('x-api-key')}")
        return json_response({"path": request.path, "method": request.method})

    def error(self, status: int, message: str) -> Response:
        return json_response({"error": message}, status)

    def credentials(self, base_url: str) -> dict[str, str]:
        return {"base_url": base_url}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(services=()) as srv:
        srv.emulators["echo"] = EchoEmulator()
        yield srv


def client(server: SandboxServer, retry: RetryPolicy, **options: object) -> ServiceClient:
    return ServiceClient(
        "mite",
        f"{server.url}/echo",
        headers={"X-Api-Key": KEY},
        secrets=[KEY],
        error_message=lambda r: json_error_text(r, ("error",)),
        retry=retry,
        **options,  # type: ignore[arg-type]
    )


async def test_sends_user_agent_and_decodes_json(server, fast_retry) -> None:
    async with client(server, fast_retry) as c:
        assert await c.get_json("/hello") == {"path": "/hello", "method": "GET"}
    assert server.emulators["echo"].seen[0].header("user-agent") == USER_AGENT


async def test_5xx_is_retried_with_growing_backoff_then_succeeds(
    server, fast_retry, sleeps
) -> None:
    server.faults.add("status", status=503, count=2)
    async with client(server, fast_retry) as c:
        assert (await c.get_json("/x"))["path"] == "/x"
    assert server.count("echo") == 3
    assert len(sleeps.waits) == 2
    assert 0.4 <= sleeps.waits[0] <= 0.6 and 0.8 <= sleeps.waits[1] <= 1.2


async def test_429_waits_what_retry_after_says(server, fast_retry, sleeps) -> None:
    server.faults.add("rate_limit", retry_after=7, count=1)
    async with client(server, fast_retry) as c:
        await c.get_json("/x")
    assert len(sleeps.waits) == 1 and 7 <= sleeps.waits[0] <= 7.2


async def test_429_without_retry_after_backs_off(server, fast_retry, sleeps) -> None:
    server.faults.add("rate_limit", count=2)
    async with client(server, fast_retry) as c:
        await c.get_json("/x")
    assert len(sleeps.waits) == 2 and sleeps.waits[1] > sleeps.waits[0]


async def test_rate_limit_longer_than_max_wait_gives_up_at_once(server, sleeps) -> None:
    server.faults.add("rate_limit", retry_after=900, count=1)
    policy = RetryPolicy(attempts=4, max_wait=60, sleep=sleeps)
    async with client(server, policy) as c:
        with pytest.raises(RateLimitedError) as info:
            await c.get_json("/x")
    assert sleeps.waits == []
    assert "Try again in 90" in str(info.value)


async def test_retries_exhausted_give_a_typed_error(server, fast_retry) -> None:
    server.faults.add("status", status=502, count=None)
    async with client(server, fast_retry) as c:
        with pytest.raises(ServerError) as info:
            await c.get_json("/x")
    assert server.count("echo") == fast_retry.attempts
    assert "HTTP 502" in str(info.value) and info.value.status == 502


async def test_post_is_not_resent_after_a_dropped_connection(server, fast_retry) -> None:
    server.faults.add("drop", method="POST", count=1)
    async with client(server, fast_retry) as c:
        with pytest.raises(NetworkError) as info:
            await c.send_json("POST", "/invoices", {"a": 1})
    assert info.value.outcome_unknown
    assert "may or may not have been carried out" in str(info.value)
    assert server.count("echo", "POST") == 1


async def test_post_is_retried_on_429_since_nothing_was_done(server, fast_retry) -> None:
    server.faults.add("rate_limit", method="POST", retry_after=1, count=1)
    async with client(server, fast_retry) as c:
        await c.send_json("POST", "/invoices", {"a": 1})
    assert server.count("echo", "POST") == 2


async def test_get_is_retried_after_a_dropped_connection(server, fast_retry) -> None:
    server.faults.add("drop", count=1)
    async with client(server, fast_retry) as c:
        assert (await c.get_json("/x"))["path"] == "/x"


async def test_malformed_json_is_retried_then_reported(server, fast_retry) -> None:
    server.faults.add("malformed", count=1)
    async with client(server, fast_retry) as c:
        assert (await c.get_json("/x"))["path"] == "/x"
    server.faults.add("html", status=200, count=None)
    async with client(server, fast_retry) as c:
        with pytest.raises(ServerError) as info:
            await c.get_json("/x")
    assert "not JSON (an HTML page)" in str(info.value)


async def test_read_timeout_becomes_network_error(server, fast_retry) -> None:
    server.faults.add("timeout", delay=1.0, count=None)
    async with client(server, fast_retry, timeout=httpx.Timeout(0.2)) as c:
        with pytest.raises(NetworkError) as info:
            await c.get_json("/x")
    assert "timed out" in str(info.value)


async def test_unreachable_host(fast_retry) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with ServiceClient("billomat", f"http://127.0.0.1:{port}", retry=fast_retry) as c:
        with pytest.raises(NetworkError) as info:
            await c.get_json("/api/clients")
    assert f"Billomat is unreachable at 127.0.0.1:{port}" in str(info.value)


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (401, AuthenticationError, "mite refused the API key (401 Unauthorized)"),
        (404, NotFoundError, "mite: not found"),
        (422, ValidationError, "mite rejected the request: bad key ***"),
    ],
)
async def test_status_maps_to_typed_error_without_the_key(
    server, fast_retry, status, error, text
) -> None:
    async with client(server, fast_retry) as c:
        with pytest.raises(error) as info:
            await c.get_json(f"/status/{status}")
    assert text in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)


async def test_log_lines_name_request_and_retry_but_not_the_key(server, fast_retry, caplog) -> None:
    server.faults.add("status", status=503, count=1)
    with caplog.at_level(logging.INFO, logger="timebill.http"):
        async with client(server, fast_retry) as c:
            await c.get_json("/x", params={"api_key": KEY})
    lines = [r.getMessage() for r in caplog.records]
    assert any(" GET /echo/x" in line and " 503 " in line for line in lines)
    assert any(" 200 " in line and "retry=1" in line for line in lines)
    assert not any(KEY in line for line in lines)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.5/api",
        "ftp://example.com",
        "example.com",
        # a name under .localhost is resolved by whatever DNS the machine asks: not loopback
        "http://evil.localhost:8080",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
    ],
)
def test_insecure_or_odd_base_urls_are_refused(url) -> None:
    with pytest.raises(ConfigError):
        check_base_url(url, "mite")


@pytest.mark.parametrize(
    "url",
    ["https://acme.mite.de", "http://127.0.0.1:8080/mite", "http://localhost:1", "http://[::1]:80"],
)
def test_https_and_loopback_are_accepted(url) -> None:
    assert check_base_url(url, "mite") == url
