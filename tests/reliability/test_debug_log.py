"""The support log: `--log-file PATH` or `TIMEBILL_LOG=PATH` writes one line per HTTP request
(service, method, path, status or failure, time, retry number) and nothing else a key could hide
in. Each request the sandbox served shows up exactly once, retries are marked, and the keys
(the tracker's and Billomat's) appear nowhere in the file.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from billing_env import OCTOBER
from reliability_support import SUMMARY, Env, module_env

# 2026-11-28 11:29:14,212 INFO timebill.http mite GET /mite/time_entries.json 503 9ms retry=1
LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO timebill\.http "
    r"(?P<service>mite|clockodo|billomat) (?P<method>GET|POST|PUT|PATCH|DELETE) "
    r"/(?P=service)(?P<path>/\S*) (?P<outcome>\d{3}|[A-Za-z]+) (?P<ms>\d+)ms"
    r"(?: retry=(?P<retry>\d+))?$"
)


@pytest.fixture(scope="module", params=["mite", "clockodo"])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with module_env(tmp_path_factory.mktemp(f"log-{request.param}"), request.param) as env:
        yield env


def read_log(path: Path) -> list[re.Match[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, "nothing logged"
    matches = [LINE.match(line) for line in lines]
    assert all(matches), [line for line, m in zip(lines, matches, strict=True) if not m]
    return [m for m in matches if m]


def detach_log_handlers() -> None:
    logger = logging.getLogger("timebill")
    for handler in logger.handlers[:]:
        if isinstance(handler, logging.FileHandler):
            logger.removeHandler(handler)
            handler.close()


def keys(env: Env) -> list[str]:
    return [c["api_key"] for c in env.server.credentials().values()]


def test_log_file_flag_writes_a_line_per_request_with_retries(env: Env, tmp_path: Path) -> None:
    server, tracker = env.server, env.tracker
    entries = "/time_entries.json" if tracker == "mite" else "/api/v2/entries"
    server.faults.clear()
    server.faults.add("status", service=tracker, method="GET", path=entries, status=503)
    server.faults.add("drop", service="billomat", method="GET", path="/api/clients")
    server.faults.add(
        "rate_limit", service="billomat", method="POST", path="/api/invoices", retry_after=1
    )
    server.reset_counts()
    log = tmp_path / "support.log"

    run = env.run("--log-file", str(log), "invoice", "--customer", "müller", *OCTOBER, "--yes")
    assert run.code == 0, run.text

    lines = read_log(log)
    logged = Counter((m["service"], m["method"], m["path"]) for m in lines)
    with server._requests_lock:
        served = Counter(server.requests)
    assert logged == served  # every request the sandbox saw, once, nothing else
    outcomes = {(m["service"], m["path"], m["outcome"], m["retry"]) for m in lines}
    assert (tracker, entries, "503", None) in outcomes
    assert (tracker, entries, "200", "1") in outcomes
    assert ("billomat", "/api/clients", "RemoteProtocolError", None) in outcomes
    assert ("billomat", "/api/clients", "200", "1") in outcomes
    assert ("billomat", "/api/invoices", "429", None) in outcomes
    assert ("billomat", "/api/invoices", "201", "1") in outcomes
    text = log.read_text(encoding="utf-8")
    assert not [key for key in keys(env) if key in text]
    assert "api_key" not in text.lower() and "apikey" not in text.lower()
    SUMMARY["debug log"]["request lines checked"] += len(lines)


def test_timebill_log_variable_writes_the_same_lines(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.server.faults.clear()
    env.server.reset_counts()
    log = tmp_path / "from-env.log"
    monkeypatch.setenv("TIMEBILL_LOG", str(log))
    assert env.run("check").code == 0
    assert env.run("entries", *OCTOBER, "--format", "json").code == 0
    lines = read_log(log)
    logged = Counter((m["service"], m["method"], m["path"]) for m in lines)
    with env.server._requests_lock:
        assert logged == Counter(env.server.requests)
    assert not [key for key in keys(env) if key in log.read_text(encoding="utf-8")]

    # The flag wins over the variable (a new process: the variable's handler is gone).
    detach_log_handlers()
    flagged = tmp_path / "flag.log"
    assert env.run("--log-file", str(flagged), "check").code == 0
    assert read_log(flagged) and len(read_log(log)) == len(lines)
    SUMMARY["debug log"]["request lines checked"] += len(lines)
