"""API keys stay secret through the billing flows (tests/test_secrets.py covers `check` and
`entries`): canary keys go through `timebill invoice`, `resume` and `sync` for mite and clockodo,
with retries, refusals, a lost draft answer, a crash with its traceback (locals included), and
`--log-file` at DEBUG. Then stdout, stderr, the log file, every log record, the tracebacks and
every file timebill left (the journal database with its WAL, the lock files) are searched: only
the config file holds the keys. Keys given in the environment are used and never written.

Also here: a config file other users can read is refused with the command that fixes it; TLS
verification is always on (a server whose certificate is not trusted is refused, and trusted
once SSL_CERT_FILE names its CA); HTTPS_PROXY and NO_PROXY are honoured.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import shlex
import socket
import ssl
import stat
import subprocess
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import timebill.core.billing.transaction
import timebill.core.http
import timebill.core.logsetup
from billing_env import BillingEnv, billing_env
from reliability_support import SUMMARY, Waits
from timebill.core.billomat.client import Billomat
from timebill.core.errors import NetworkError
from timebill.core.http import RetryPolicy, ServiceClient, tls_context
from timebill.core.settings.model import load_settings, save_settings

MITE_KEY = "mite-CANARY-Rk42vXw9PqL7sTb3nZ"
CLOCKODO_KEY = "clockodo-CANARY-Jd81mQf5WcY2hVu6eA"
BILLOMAT_KEY = "billomat-CANARY-Nz37bKp4TgH9xLs2dR"
CANARIES = (MITE_KEY, CLOCKODO_KEY, BILLOMAT_KEY)
KEY_ENV = {
    "TIMEBILL_MITE__API_KEY": MITE_KEY,
    "TIMEBILL_CLOCKODO__API_KEY": CLOCKODO_KEY,
    "TIMEBILL_BILLOMAT__API_KEY": BILLOMAT_KEY,
}

# A self-signed CA certificate for 127.0.0.1/localhost (valid 2000-2100) and its key: test only.
TEST_CA = """-----BEGIN CERTIFICATE-----
MIIBuDCCAV6gAwIBAgICEAAwCgYIKoZIzj0EAwIwNDEZMBcGA1UEAwwQdGltZWJp
bGwgdGVzdCBDQTEXMBUGA1UECgwOdGltZWJpbGwgdGVzdHMwIBcNMDAwMTAxMDAw
MDAwWhgPMjEwMDAxMDEwMDAwMDBaMDQxGTAXBgNVBAMMEHRpbWViaWxsIHRlc3Qg
Q0ExFzAVBgNVBAoMDnRpbWViaWxsIHRlc3RzMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAE1gA8pwSENdJ8mU1jkP2x2VxtkXD6wWRfHBJtKWrDknwePfcIT3BvHaq+
WzCxIdHp5FT6dP6vY5QMVd1ifTLMM6NeMFwwGgYDVR0RBBMwEYcEfwAAAYIJbG9j
YWxob3N0MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgKEMB0GA1UdDgQW
BBQardiEuS3WOZHY8R/LioQdB4npzzAKBggqhkjOPQQDAgNIADBFAiEApjfW0qSS
7zspAeMlpQ484pMJhWABYG0Bdzzmn7MHxqMCIC9A5N4VUqZYU/ZqwRzKVTgu5yB/
n9lu4YYeH/bFqSsD
-----END CERTIFICATE-----
"""
TEST_CA_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9266ZhewfPLg93B5
ZUHdnB8C+2dNsvRgw8fhUldp7+qhRANCAATWADynBIQ10nyZTWOQ/bHZXG2RcPrB
ZF8cEm0pasOSfB499whPcG8dqr5bMLEh0enkVPp0/q9jlAxV3WJ9Mswz
-----END PRIVATE KEY-----
"""


def fragments(secret: str) -> set[str]:
    """The key and every 8-character piece of its random part: a key cut short is a leak too."""
    tail = secret.rsplit("-", 1)[-1]
    return {secret} | {tail[i : i + 8] for i in range(len(tail) - 7)}


def leaks(text: str) -> list[str]:
    return sorted({piece for s in CANARIES for piece in fragments(s) if piece in text})


def files_holding_keys(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and leaks(path.read_bytes().decode("utf-8", "replace"))
    )


@pytest.fixture(autouse=True)
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = functools.partial(RetryPolicy, attempts=3, sleep=Waits())
    monkeypatch.setattr(timebill.core.http, "RetryPolicy", policy)


@pytest.fixture(autouse=True)
def debug_logging(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """httpx and httpcore (which see the headers) at DEBUG into caplog, and the `--log-file`
    logger at DEBUG instead of its INFO (conftest puts the logger back afterwards)."""
    configure = timebill.core.logsetup.configure

    def configure_debug(path: Any) -> None:
        configure(path)
        logging.getLogger("timebill").setLevel(logging.DEBUG)

    monkeypatch.setattr(timebill.core.logsetup, "configure", configure_debug)
    caplog.set_level(logging.DEBUG)


def canary_sandbox(env: BillingEnv) -> dict[str, Any]:
    """Make the emulators accept only the canary keys; the config document that uses them."""
    server = env.server
    server.mite.keys = {**server.mite.keys, 1: MITE_KEY}  # an instance copy: the class's is shared
    email = server.credentials()["clockodo"]["email"]
    server.clockodo.keys[email] = CLOCKODO_KEY
    server.billomat.api_key = BILLOMAT_KEY
    creds = server.credentials()
    doc: dict[str, Any] = {"tracker": env.tracker, **{n: dict(c) for n, c in creds.items()}}
    for section, key in zip(("mite", "clockodo", "billomat"), CANARIES, strict=True):
        doc[section]["api_key"] = key
    return doc


@pytest.fixture(params=["mite", "clockodo"])
def env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BillingEnv]:
    with billing_env(tmp_path, monkeypatch, request.param) as env:
        save_settings(canary_sandbox(env), env.config)
        yield env


class Collected:
    """Everything the runs showed."""

    def __init__(self, env: BillingEnv, log_file: Path) -> None:
        self.env = env
        self.log_file = log_file
        self.texts: list[str] = []
        self.runs = 0

    def run(self, *argv: str, code: int, log: bool = True) -> str:
        self.runs += 1
        run = self.env.run(*(("--log-file", str(self.log_file)) if log else ()), *argv)
        self.texts += [run.out, run.err]
        assert run.code == code, run.text
        return run.text

    def exception(self, exc: BaseException) -> None:
        """The traceback as Python prints it, and with every frame's locals (as an error
        reporter or a debugger would show them), through the whole exception chain."""
        self.texts.append("".join(traceback.format_exception(exc)))
        shown = traceback.TracebackException.from_exception(exc, capture_locals=True)
        self.texts.append("".join(shown.format()))
        self.texts += [str(exc), repr(exc)]


def month(day: int) -> tuple[str, ...]:
    start = dt.date(2026, 10, day)
    return ("--from", start.isoformat(), "--to", (start + dt.timedelta(days=9)).isoformat())


def test_keys_appear_nowhere_but_in_the_config_file(
    env: BillingEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, tracker = env.server, env.tracker
    log_file = tmp_path / "logs" / "timebill.log"
    log_file.parent.mkdir()
    seen = Collected(env, log_file)
    entries_path = "/time_entries.json" if tracker == "mite" else "/api/v2/entries"
    mark = (
        {"method": "PATCH", "path": "/time_entries/"}
        if tracker == "mite"
        else {"method": "PUT", "path": "/api/v2/entries/"}
    )

    # First without --log-file: no redacting log handler yet, caplog sees the records raw.
    seen.run("check", code=0, log=False)

    # Retries: 503s, a 429 with Retry-After, a dropped connection while marking.
    server.faults.add("status", service="billomat", path="/api/clients", status=503, count=2)
    server.faults.add("rate_limit", service=tracker, path=entries_path, retry_after=1)
    server.faults.add("drop", service=tracker, **mark)
    seen.run("invoice", "--customer", "müller", *month(1), "--yes", code=0)
    [first] = env.plans("done")

    # A lost answer to the draft request, then resume.
    server.faults.clear()
    server.faults.add("status", service="billomat", method="POST", path="/api/invoices", status=500)
    seen.run("invoice", "--customer", "Schäfer", *month(1), "--yes", code=1)
    seen.run("resume", code=4)  # the lost request may still land: not sent again yet
    monkeypatch.setattr(timebill.core.billing.transaction, "LATE_WINDOW", dt.timedelta(0))
    seen.run("resume", code=0)

    # The key revoked half-way through the marking, then resume.
    server.faults.add("status", service=tracker, status=401, after=2, count=None, **mark)
    seen.run("invoice", "--customer", "Stadtwerke", *month(1), "--yes", code=4)
    server.faults.clear()
    seen.run("resume", code=0)

    # A crash (a bug) half-way: the traceback, with locals, then resume finishes the plan.
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated bug while marking")

    with monkeypatch.context() as patch:
        patch.setattr(timebill.core.billing.transaction, "_mark", crash)
        with pytest.raises(RuntimeError) as crashed:
            env.run(
                "--log-file", str(log_file), "invoice", "--customer", "Grünwald", *month(1), "--yes"
            )
    seen.exception(crashed.value)
    seen.run("resume", code=0)

    # The first draft deleted in Billomat: sync releases its entries.
    creds = server.credentials()["billomat"]

    async def delete() -> None:
        async with Billomat(creds["billomat_id"], BILLOMAT_KEY, base_url=creds["base_url"]) as b:
            await b.delete_invoice(str(first.invoice_id))

    asyncio.run(delete())
    seen.run("sync", "--yes", code=0)
    seen.run("check", code=0)
    assert len(env.plans("done")) == 3 and len(env.plans("released")) == 1

    log_text = log_file.read_text(encoding="utf-8")
    assert "retry=1" in log_text and " 401 " in log_text and "RemoteProtocolError" in log_text
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    seen.texts += [log_text, caplog.text, *(r.getMessage() for r in caplog.records)]
    for text in seen.texts:
        assert not leaks(text), (leaks(text), text[:3000])
    assert files_holding_keys(tmp_path) == [env.config]
    journal_files = {p.name for p in env.data.glob("journal.sqlite3*")}
    assert "journal.sqlite3" in journal_files  # searched above, with its -wal/-shm if any
    assert stat.S_IMODE(env.config.stat().st_mode) == 0o600
    for folder in (env.config.parent, env.data, env.data / "running"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    SUMMARY["secrets"]["runs with canary keys, no key outside the config"] += seen.runs + 1


def test_keys_from_the_environment_are_used_and_never_written(
    env: BillingEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = canary_sandbox(env)
    for section in ("mite", "clockodo", "billomat"):
        doc[section].pop("api_key")
    env.config.unlink()
    save_settings(doc, env.config)
    for name, value in KEY_ENV.items():
        monkeypatch.setenv(name, value)
    log_file = tmp_path / "timebill.log"
    seen = Collected(env, log_file)
    seen.run("check", code=0)
    seen.run("invoice", "--customer", "müller", *month(1), "--yes", code=0)
    # What the app does when the user saves the setup: environment values stay out of it.
    save_settings(load_settings(env.config), env.config)
    assert load_settings(env.config).mite.api_key is not None  # still from the environment
    for text in (*seen.texts, log_file.read_text(encoding="utf-8")):
        assert not leaks(text)
    assert files_holding_keys(tmp_path) == []
    SUMMARY["secrets"]["runs with canary keys, no key outside the config"] += seen.runs


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_config_others_can_read_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    with billing_env(tmp_path, monkeypatch, "mite") as env:
        os.chmod(env.config, mode)
        before = env.config.read_bytes()
        run = env.run("check")
        fix = f"chmod 600 {shlex.quote(str(env.config))}"
        assert (run.code, run.out) == (1, "")
        assert run.err == (
            f"timebill: {env.config}: other users can read this file (mode {mode:04o}) and it "
            f"holds API keys, so timebill will not use it. Fix: {fix}\n"
        )
        assert env.config.read_bytes() == before and not (env.data / "journal.sqlite3").exists()
        subprocess.run(shlex.split(fix), check=True)  # the command, as the user would paste it
        assert env.run("check").code == 0
    SUMMARY["secrets"]["readable config modes refused"] += 1


# -- TLS and proxies ------------------------------------------------------------------------


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.lower() in ("https_proxy", "http_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate no public CA signed; yields its URL and
    the CA file that makes it trusted."""
    ca = tmp_path / "test-ca.pem"
    ca.write_text(TEST_CA)
    key = tmp_path / "test-ca.key"
    key.write_text(TEST_CA_KEY)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca, key)
    server = HTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca
    finally:
        server.shutdown()
        server.server_close()


async def _get(url: str, **client: Any) -> Any:
    async with ServiceClient(
        "billomat", url, secrets=[BILLOMAT_KEY], retry=RetryPolicy(attempts=1), **client
    ) as http:
        return await http.get_json("/api/clients", {"per_page": 1})


def test_tls_verification_is_always_on_and_ssl_cert_file_is_honoured(
    no_proxy_env: None, https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    client = ServiceClient("billomat", "https://nordlicht.billomat.net", secrets=[BILLOMAT_KEY])
    try:
        # The client's connection pool uses exactly this context (httpx keeps it there).
        assert client._client._transport._pool._ssl_context is context  # type: ignore[attr-defined]
    finally:
        asyncio.run(client.aclose())

    url, ca = https_server
    with pytest.raises(NetworkError) as refused:
        asyncio.run(_get(url))
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value) or "certificate" in str(refused.value)

    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    tls_context.cache_clear()  # built once per process: build it again from the environment
    try:
        assert asyncio.run(_get(url)) == {"ok": True}
    finally:
        monkeypatch.delenv("SSL_CERT_FILE")
        tls_context.cache_clear()
    SUMMARY["secrets"]["TLS and proxy checks"] += 1


class _Proxy:
    """A loopback proxy that records the first request line of each connection and refuses."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


def test_https_proxy_and_no_proxy_are_honoured(
    no_proxy_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = _Proxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        with pytest.raises(NetworkError):
            asyncio.run(_get("https://nordlicht.billomat.net"))
        [connect] = proxy.requests
        assert connect.startswith(b"CONNECT nordlicht.billomat.net:443 HTTP/1.1\r\n"), connect
        # The proxy sees where we go, never the key (it travels inside the TLS tunnel).
        assert not leaks(connect.decode("latin-1"))

        # NO_PROXY: straight to the host (here a closed loopback port), the proxy sees nothing.
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        closed = socket.create_server(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
        with pytest.raises(NetworkError) as direct:
            asyncio.run(_get(f"https://127.0.0.1:{port}"))
        assert f"unreachable at 127.0.0.1:{port}" in str(direct.value)
        assert len(proxy.requests) == 1
    finally:
        proxy.close()
    SUMMARY["secrets"]["TLS and proxy checks"] += 1
