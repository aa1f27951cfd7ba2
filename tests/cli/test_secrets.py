"""API keys stay secret: canary keys go through a full run of `check` and `entries` (every format,
both trackers) and through the failures a user meets (wrong key, 5xx until the retries run out,
429, dropped connections, a body cut short, unknown accounts), with `--log-file` and debug
logging on. Then every place a key could end up is searched: stdout, stderr, the log file, every
log record, exception texts, reprs and tracebacks, and every file timebill wrote. Only the config
file may hold the keys, and it is private (0600 in a 0700 folder)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import stat
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import timebill.core.http
import timebill.core.logsetup
from sandbox_support import isolate_environment, timebill_logging_restored
from timebill.core.connect import open_billomat, open_source
from timebill.core.errors import TimebillError
from timebill.core.http import RetryPolicy
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import load_settings, save_settings
from timebill.tui.main import main

TODAY = dt.date(2026, 11, 28)
MITE_KEY = "mite-CANARY-Zx81qPw0RtY6uJ3mVb"
CLOCKODO_KEY = "clockodo-CANARY-Hb27nKs5LdV9eQ4fTy"
BILLOMAT_KEY = "billomat-CANARY-Gm64tWr3XcN8pA1zKo"
CANARIES = (MITE_KEY, CLOCKODO_KEY, BILLOMAT_KEY)
# A key the user mistyped: the services refuse it, and timebill must not repeat it either.
WRONG_KEY = "typed-by-user-WRONG-Qv5sK2dFj7"
OCTOBER = ("--from", "2026-10-01", "--to", "2026-10-31")


def fragments(secret: str) -> set[str]:
    """The key and every 8-character piece of its random part: a key shown cut short, or
    with its ends masked, is still a leak."""
    tail = secret.rsplit("-", 1)[-1]
    return {secret} | {tail[i : i + 8] for i in range(len(tail) - 7)}


def leaks(text: str, secrets: tuple[str, ...] = (*CANARIES, WRONG_KEY)) -> list[str]:
    return sorted({piece for s in secrets for piece in fragments(s) if piece in text})


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_environment(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def no_waits(monkeypatch: pytest.MonkeyPatch, sleeps: Any) -> None:
    # Three tries are enough to put retry lines in the log; the default five only add time.
    policy = functools.partial(RetryPolicy, attempts=3, sleep=sleeps)
    monkeypatch.setattr(timebill.core.http, "RetryPolicy", policy)


@pytest.fixture(autouse=True)
def debug_logging(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Everything at DEBUG: httpx and httpcore (which see the headers) into caplog, and the
    `--log-file` logger at DEBUG instead of its INFO."""
    configure = timebill.core.logsetup.configure
    with timebill_logging_restored() as logger:

        def configure_debug(path: Any) -> None:
            configure(path)
            logger.setLevel(logging.DEBUG)

        monkeypatch.setattr(timebill.core.logsetup, "configure", configure_debug)
        caplog.set_level(logging.DEBUG)
        yield


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    """A sandbox whose emulators accept the canary keys (and no others)."""
    with SandboxServer(today=TODAY) as srv:
        srv.mite.keys = {**srv.mite.keys, 1: MITE_KEY}  # an instance copy: the class dict is shared
        email = srv.credentials()["clockodo"]["email"]
        srv.clockodo.keys[email] = CLOCKODO_KEY
        srv.billomat.api_key = BILLOMAT_KEY
        yield srv


def config_doc(server: SandboxServer, tracker: str, **changes: str) -> dict[str, Any]:
    creds = server.credentials()
    doc: dict[str, Any] = {"tracker": tracker, **{n: dict(c) for n, c in creds.items()}}
    doc["mite"]["api_key"] = MITE_KEY
    doc["clockodo"]["api_key"] = CLOCKODO_KEY
    doc["billomat"]["api_key"] = BILLOMAT_KEY
    for name, value in changes.items():
        section, key = name.split("__")
        doc[section][key] = value
    return doc


class Run:
    """Collects everything a run shows or leaves behind."""

    def __init__(self, capsys: pytest.CaptureFixture[str], log_file: Path) -> None:
        self.capsys = capsys
        self.log_file = log_file
        self.texts: list[str] = []
        self.codes: list[int] = []

    def cli(self, *args: str) -> int:
        self.capsys.readouterr()
        code = main(["--log-file", str(self.log_file), *args])
        out, err = self.capsys.readouterr()
        self.texts += [out, err]
        self.codes.append(code)
        return code

    def exception(self, exc: BaseException) -> None:
        self.texts.append("".join(traceback.format_exception(exc)))
        seen: set[int] = set()
        todo: list[BaseException] = [exc]
        while todo:
            current = todo.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            self.texts += [str(current), repr(current), repr(current.args), repr(vars(current))]
            todo += [e for e in (current.__cause__, current.__context__) if e is not None]
            todo += list(getattr(current, "exceptions", ()))


async def adapter_errors(config: Path) -> list[BaseException]:
    """The same failures straight from the adapters, to see the exceptions themselves."""
    settings = load_settings(config)
    errors: list[BaseException] = []
    async with open_source(settings) as source, open_billomat(settings) as billomat:
        calls = [
            source.verify(),
            source.entries(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
            billomat.verify(),
        ]
        for call in calls:
            try:
                await call
            except TimebillError as exc:
                errors.append(exc)
    return errors


def test_keys_appear_nowhere_but_in_the_config_file(
    server: SandboxServer,
    tmp_path: Path,
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    log_file = tmp_path / "logs" / "timebill.log"
    log_file.parent.mkdir()
    run = Run(capsys, log_file)

    # A full, successful run with both trackers.
    for tracker in ("mite", "clockodo"):
        save_settings(config_doc(server, tracker), isolated)
        assert run.cli("check") == 0
        for fmt in ("table", "csv", "json"):
            assert run.cli("entries", *OCTOBER, "--format", fmt) == 0
        assert run.cli("entries", *OCTOBER, "--customer", "müller") == 0
        settings = load_settings(isolated)
        run.texts += [repr(settings), str(settings), repr(settings.model_dump())]
        run.texts += [repr(open_source(settings)), repr(open_billomat(settings))]
    ok_runs = len(run.codes)

    # Failures, each through the commands and straight from the adapters.
    url = server.url
    faults: dict[str, dict[str, Any]] = {
        "5xx until retries run out": {"kind": "status", "status": 503},
        "429 until retries run out": {"kind": "rate_limit", "retry_after": 1},
        "dropped connection": {"kind": "drop"},
        "body cut short": {"kind": "malformed"},
    }
    changes: dict[str, dict[str, str]] = {
        "wrong keys": {
            "mite__api_key": WRONG_KEY,
            "clockodo__api_key": WRONG_KEY,
            "billomat__api_key": WRONG_KEY,
        },
        "unknown accounts": {
            "mite__account": "gibtsnicht",
            "mite__base_url": f"{url}/mite/{{account}}",
            "clockodo__email": "niemand@example.com",  # clockodo knows users, not accounts
            "billomat__billomat_id": "gibtsnicht",
            "billomat__base_url": f"{url}/billomat/{{billomat_id}}",
        },
    }
    for tracker in ("mite", "clockodo"):
        scenarios = [(name, {}, rule) for name, rule in faults.items()]
        scenarios += [(name, change, None) for name, change in changes.items()]
        for name, change, rule in scenarios:
            save_settings(config_doc(server, tracker, **change), isolated)
            server.faults.clear()
            if rule is not None:
                server.faults.add(**rule, count=None)
            assert run.cli("check") == 1, (tracker, name)
            assert run.cli("entries", *OCTOBER, "--format", "json") == 1, (tracker, name)
            errors = asyncio.run(adapter_errors(isolated))
            assert errors, (tracker, name)
            for exc in errors:
                run.exception(exc)
    server.faults.clear()
    assert run.codes[:ok_runs] == [0] * ok_runs

    # Logging was really on: request lines in the file, httpx/httpcore debug records in caplog.
    log_text = log_file.read_text(encoding="utf-8")
    assert "GET" in log_text and "time_entries" in log_text
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    run.texts.append(log_text)
    run.texts.append(caplog.text)
    run.texts += [r.getMessage() for r in caplog.records]
    run.texts += [repr(r.args) for r in caplog.records]

    for text in run.texts:
        assert not leaks(text), (leaks(text), text[:2000])

    # Files: the config file holds the keys (privately); nothing else anywhere does.
    holders = []
    for path in tmp_path.rglob("*"):
        if path.is_file() and leaks(path.read_bytes().decode("utf-8", "replace")):
            holders.append(path)
    assert holders == [isolated]
    assert stat.S_IMODE(isolated.stat().st_mode) == 0o600
    assert stat.S_IMODE(isolated.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("service", ["mite", "clockodo", "billomat"])
def test_a_mistyped_key_is_not_repeated_in_the_refusal(
    server: SandboxServer,
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    service: str,
) -> None:
    tracker = "clockodo" if service == "clockodo" else "mite"
    save_settings(config_doc(server, tracker, **{f"{service}__api_key": WRONG_KEY}), isolated)
    assert main(["check"]) == 1
    out, err = capsys.readouterr()
    refusal = [line for line in out.splitlines() if "FAILED" in line]
    assert len(refusal) == 1 and "401" in refusal[0]
    assert not leaks(out + err + caplog.text, (WRONG_KEY,))


def test_saved_config_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: new files 0644, folders 0755 unless we say otherwise
    try:
        target = tmp_path / "new" / "deeper" / "config.toml"
        save_settings({"tracker": "mite", "mite": {"account": "acme", "api_key": MITE_KEY}}, target)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(target.parent.parent.stat().st_mode) == 0o700

        # Saving over a file someone made readable for all makes it private again.
        os.chmod(target, 0o644)
        save_settings({"tracker": "mite", "mite": {"account": "acme", "api_key": MITE_KEY}}, target)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert [p.name for p in target.parent.iterdir()] == ["config.toml"]  # no temp files left
    finally:
        os.umask(old)
