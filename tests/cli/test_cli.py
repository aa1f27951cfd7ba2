"""`timebill check`, `entries`, `locate` and `sandbox` as a user runs them: in-process through the
console script's `main` (stdout/stderr captured), against the sandbox over loopback HTTP, with a
config file in tmp_path. `timebill sandbox` runs as a real subprocess."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import functools
import io
import json
import signal
import socket
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import timebill.core.http
from sandbox_support import TODAY, isolate_environment, timebill_logging_restored
from timebill.core.billomat.client import Billomat
from timebill.core.cli.table import render
from timebill.core.http import RetryPolicy
from timebill.core.models import ENTRY_FIELDS, TimeEntry
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import save_settings
from timebill.core.sources.clockodo import ClockodoSource
from timebill.core.sources.mite import MiteSource
from timebill.tui.main import main

FIELDS = list(ENTRY_FIELDS)
MONEY = ("hourly_rate", "revenue", "lumpsum_amount")
OCTOBER = ("--from", "2026-10-01", "--to", "2026-10-31")


# -- fixtures and helpers -------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_environment(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def no_waits(monkeypatch: pytest.MonkeyPatch, sleeps: Any) -> None:
    """The commands build their clients with the default RetryPolicy: keep its retries, record
    the waits instead of sleeping them."""
    monkeypatch.setattr(
        timebill.core.http, "RetryPolicy", functools.partial(RetryPolicy, sleep=sleeps)
    )


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    with timebill_logging_restored():
        yield


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(today=TODAY) as server:
        yield server


@pytest.fixture
def sandbox(shared_sandbox: SandboxServer) -> SandboxServer:
    """One sandbox for the module (these commands only read), with fresh counts per test."""
    shared_sandbox.faults.clear()
    shared_sandbox.reset_counts()
    return shared_sandbox


def write_config(
    path: Path, server: SandboxServer, tracker: str = "mite", **changes: str | None
) -> Path:
    """A config for the sandbox; `changes` as section__key=value (None removes the key)."""
    creds = server.credentials()
    doc: dict[str, Any] = {"tracker": tracker, **{name: dict(c) for name, c in creds.items()}}
    for name, value in changes.items():
        section, key = name.split("__")
        if value is None:
            doc[section].pop(key, None)
        else:
            doc[section][key] = value
    return save_settings(doc, path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_lines(out: str) -> dict[str, str]:
    """`check` output by service: {"mite": "ok     Agentur ...", "Billomat": "FAILED ..."}."""
    rows = {}
    for line in out.splitlines():
        name, _, rest = line.partition(" ")
        rows[name] = rest.strip()
    return rows


# -- check ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tracker", "tracker_account"),
    [("mite", "Agentur Nordlicht GmbH"), ("clockodo", "Anna Schmidt")],
)
def test_check_prints_each_account_and_exits_0(
    sandbox: SandboxServer,
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    tracker: str,
    tracker_account: str,
) -> None:
    write_config(isolated, sandbox, tracker)
    code, out, err = run(capsys, "check")
    assert (code, err) == (0, "")
    rows = status_lines(out)
    assert set(rows) == {tracker, "Billomat"}
    assert rows[tracker].startswith("ok") and tracker_account in rows[tracker]
    assert rows["Billomat"].startswith("ok") and "Agentur Nordlicht GmbH" in rows["Billomat"]


class Failure(NamedTuple):
    tracker: str  # the configured tracker
    changes: dict[str, str]  # config changes that cause it
    service: str  # the `check` row that fails
    text: str  # what only this failure says


def failure_cases(server: SandboxServer) -> dict[str, Failure]:
    url = server.url
    port = closed_port()
    wrong = "typed-wrong-9Xq2"
    return {
        "mite wrong key": Failure(
            "mite",
            {"mite__api_key": wrong},
            "mite",
            "mite refused the API key for account 'nordlicht' (401 Unauthorized)",
        ),
        "mite unknown account": Failure(
            "mite",
            {"mite__account": "gibtsnicht", "mite__base_url": f"{url}/mite/{{account}}"},
            "mite",
            "mite account 'gibtsnicht' does not exist",
        ),
        "mite unreachable": Failure(
            "mite",
            {"mite__base_url": f"http://127.0.0.1:{port}/mite"},
            "mite",
            f"mite is unreachable at 127.0.0.1:{port}",
        ),
        "clockodo wrong key": Failure(
            "clockodo",
            {"clockodo__api_key": wrong},
            "clockodo",
            "clockodo did not accept the login e-mail 'anna.schmidt@agentur-nordlicht.de' "
            "with this API key (401)",
        ),
        "clockodo unknown user": Failure(
            "clockodo",
            {"clockodo__email": "niemand@example.com"},
            "clockodo",
            "clockodo did not accept the login e-mail 'niemand@example.com'",
        ),
        "clockodo unreachable": Failure(
            "clockodo",
            {"clockodo__base_url": f"http://127.0.0.1:{port}/clockodo"},
            "clockodo",
            f"clockodo is unreachable at 127.0.0.1:{port}",
        ),
        "billomat wrong key": Failure(
            "mite",
            {"billomat__api_key": wrong},
            "Billomat",
            "Billomat refused the API key (401 Unauthorized)",
        ),
        "billomat unknown account": Failure(
            "mite",
            {
                "billomat__billomat_id": "gibtsnicht",
                "billomat__base_url": f"{url}/billomat/{{billomat_id}}",
            },
            "Billomat",
            "Billomat ID 'gibtsnicht' does not exist",
        ),
        "billomat unreachable": Failure(
            "mite",
            {"billomat__base_url": f"http://127.0.0.1:{port}/billomat"},
            "Billomat",
            f"Billomat is unreachable at 127.0.0.1:{port}",
        ),
    }


def test_check_gives_each_failure_its_own_line_and_exits_1(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str], sleeps: Any
) -> None:
    cases = failure_cases(sandbox)
    seen: dict[str, str] = {}
    for name, case in cases.items():
        write_config(isolated, sandbox, case.tracker, **case.changes)
        code, out, _ = run(capsys, "check")
        rows = status_lines(out)
        assert code == 1, name
        assert set(rows) == {case.tracker, "Billomat"}, name  # one line per service
        other = "Billomat" if case.service == case.tracker else case.tracker
        assert rows[other].startswith("ok"), name
        assert rows[case.service].startswith("FAILED"), name
        assert case.text in rows[case.service], name
        seen[name] = rows[case.service]

        if case.service == case.tracker:  # `entries` says the same, on one stderr line
            code, out, err = run(capsys, "entries", *OCTOBER)
            assert (code, out) == (1, ""), name
            assert len(err.splitlines()) == 1 and case.text in err, name
    # Each failure's text is its own: no line carries another failure's distinguishing text.
    for name, line in seen.items():
        for other_name, other in cases.items():
            if other_name != name:
                assert other.text not in line, (name, other_name)
    assert "typed-wrong-9Xq2" not in "".join(seen.values())
    assert sleeps.waits  # an unreachable host is retried (with backoff) before giving up


@pytest.mark.parametrize(
    ("tracker", "key", "env"),
    [
        ("mite", "mite__api_key", "TIMEBILL_MITE__API_KEY"),
        ("mite", "mite__account", "TIMEBILL_MITE__ACCOUNT"),
        ("clockodo", "clockodo__api_key", "TIMEBILL_CLOCKODO__API_KEY"),
        ("mite", "billomat__api_key", "TIMEBILL_BILLOMAT__API_KEY"),
    ],
)
def test_a_missing_key_names_the_setting_and_its_environment_variable(
    sandbox: SandboxServer,
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tracker: str,
    key: str,
    env: str,
) -> None:
    write_config(isolated, sandbox, tracker, **{key: None})
    dotted = key.replace("__", ".")
    code, out, _ = run(capsys, "check")
    assert code == 1
    failed = [line for line in out.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and dotted in failed[0] and env in failed[0]
    assert sandbox.count() > 0  # the other service was still checked

    if not key.startswith("billomat"):
        code, out, err = run(capsys, "entries", *OCTOBER)
        assert (code, out) == (1, "")
        assert len(err.splitlines()) == 1 and dotted in err and env in err

    # The environment variable it names is the one that fills the gap.
    section, name = key.split("__")
    monkeypatch.setenv(env, sandbox.credentials()[section][name])
    code, out, _ = run(capsys, "check")
    assert code == 0, out


# -- entries --------------------------------------------------------------------------------------
def entries_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "entries", *args, "--format", "json")
    assert (code, err) == (0, ""), err
    data = json.loads(out)
    assert isinstance(data, list)
    return data


async def adapter_entries(server: SandboxServer, tracker: str) -> list[TimeEntry]:
    creds = server.credentials()[tracker]
    if tracker == "mite":
        source: Any = MiteSource(creds["account"], creds["api_key"], base_url=creds["base_url"])
    else:
        source = ClockodoSource(creds["email"], creds["api_key"], base_url=creds["base_url"])
    async with source:
        return list(await source.entries(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_entries_json_is_a_list_of_time_entries(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str], tracker: str
) -> None:
    write_config(isolated, sandbox, tracker)
    rows = entries_json(capsys, *OCTOBER)
    expected = asyncio.run(adapter_entries(sandbox, tracker))
    assert sorted(r["id"] for r in rows) == sorted(e.id for e in expected)
    assert len(rows) > 100
    for row in rows:
        assert list(row) == FIELDS
        assert row["source"] == tracker
        day = dt.date.fromisoformat(row["date"])
        assert row["date"] == day.isoformat() and dt.date(2026, 10, 1) <= day <= dt.date(
            2026, 10, 31
        )
        for name in MONEY:
            assert row[name] is None or isinstance(row[name], str), (name, row[name])
            if row[name] is not None:
                assert Decimal(row[name]) == Decimal(row[name]).quantize(Decimal("0.01"))
        assert isinstance(row["minutes"], int) and isinstance(row["billable"], bool)
    assert any("ü" in (r["customer_name"] or "") for r in rows)
    assert any(r["revenue"] for r in rows)
    if tracker == "clockodo":
        assert any(r["kind"] == "lumpsum" and r["lumpsum_amount"] for r in rows)
    # The same entries an adapter returns, value for value.
    by_id = {e.id: e.as_json() for e in expected}
    assert all(by_id[r["id"]] == r for r in rows)


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_entries_csv_has_the_field_names_as_header(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str], tracker: str
) -> None:
    write_config(isolated, sandbox, tracker)
    rows = entries_json(capsys, *OCTOBER)
    code, out, err = run(capsys, "entries", *OCTOBER, "--format", "csv")
    assert (code, err) == (0, "")
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == FIELDS
    table = list(reader)
    assert len(table) == len(rows)
    for line, row in zip(table, rows, strict=True):
        for name in FIELDS:
            value = row[name]
            text = "" if value is None else str(value).lower() if isinstance(value, bool) else value
            assert line[name] == str(text), (name, line[name], value)


def expected_total(rows: list[dict[str, Any]]) -> Decimal:
    """What the entries are worth: a lump sum its amount, else the tracker's revenue, else
    hours x rate rounded to cents."""
    total = Decimal(0)
    for row in rows:
        if row["kind"] == "lumpsum":
            total += Decimal(row["lumpsum_amount"] or 0)
        elif row["revenue"] is not None:
            total += Decimal(row["revenue"])
        elif row["hourly_rate"] is not None:
            total += (Decimal(row["minutes"]) / 60 * Decimal(row["hourly_rate"])).quantize(
                Decimal("0.01")
            )
    return total


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_entries_table_shows_umlauts_and_totals(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str], tracker: str
) -> None:
    write_config(isolated, sandbox, tracker)
    rows = entries_json(capsys, *OCTOBER)
    code, out, err = run(capsys, "entries", *OCTOBER)  # table is the default
    assert (code, err) == (0, "")
    period, *lines = out.splitlines()
    assert period == "Period: 01.10.2026 – 31.10.2026"
    assert lines[0].split() == [
        "date",
        "customer",
        "project",
        "service",
        "user",
        "hours",
        "amount",
        "note",
        "state",
    ]
    assert len(lines) == len(rows) + 3  # header, rule, one per entry, totals
    assert "Müller & Söhne GmbH" in out and "Bäckerei Schäfer KG" in out
    hours = Decimal(sum(r["minutes"] for r in rows)) / 60
    assert lines[-1] == f"{len(rows)} entries, {hours:.2f} h, {expected_total(rows):.2f}"


def test_table_columns_line_up_with_umlauts_however_they_are_encoded() -> None:
    def cells(text: str) -> int:  # composed first, so "u" + U+0308 counts as the one "ü" it shows
        return sum(
            2 if unicodedata.east_asian_width(ch) in "WF" else 1
            for ch in unicodedata.normalize("NFC", text)
        )

    rows = [
        ("Mu\u0308ller & So\u0308hne GmbH", "1.00"),  # decomposed, as macOS input sends it
        ("Müller & Söhne GmbH", "12.50"),
        ("東京デザイン株式会社", "3.00"),
        ("Weiß & Partner Steuerberatung mbH", "100.25"),
    ]
    lines = render(("customer", "hours"), rows, right={1}, max_widths={0: 24}).splitlines()
    assert len({cells(line) for line in lines}) == 1, lines
    assert "Weiß & Partner Steuerbe…" in lines[-1]


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_entries_of_one_customer_by_name_or_id(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str], tracker: str
) -> None:
    write_config(isolated, sandbox, tracker)
    everything = entries_json(capsys, *OCTOBER)
    by_name = entries_json(capsys, *OCTOBER, "--customer", "MÜLLER & söhne gmbh")
    assert by_name and len(by_name) < len(everything)
    assert {r["customer_name"] for r in by_name} == {"Müller & Söhne GmbH"}
    assert by_name == [r for r in everything if r["customer_name"] == "Müller & Söhne GmbH"]
    by_id = entries_json(capsys, *OCTOBER, "--customer", by_name[0]["customer_id"])
    assert by_id == by_name

    code, out, err = run(capsys, "entries", *OCTOBER, "--customer", "Niemand GmbH")
    assert (code, out) == (2, "")  # an unknown customer is bad usage
    assert len(err.splitlines()) == 1
    assert "unknown customer 'Niemand GmbH'" in err and "Müller & Söhne GmbH" in err


@pytest.mark.parametrize(
    ("dates", "text"),
    [
        (("--from", "2026-10-31", "--to", "2026-10-01"), "the period is backwards"),
        (("--from", "2026-02-30", "--to", "2026-03-31"), "--from '2026-02-30' is not a valid date"),
        (("--from", "2026-02-01", "--to", "31.02.2026"), "--to '31.02.2026' is not a valid date"),
        (("--from", "last monday", "--to", "2026-03-31"), "is not a valid date"),
    ],
)
def test_entries_refuses_impossible_periods(
    sandbox: SandboxServer,
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    dates: tuple[str, ...],
    text: str,
) -> None:
    write_config(isolated, sandbox)
    code, out, err = run(capsys, "entries", *dates)
    assert (code, out) == (2, "")  # bad usage
    assert len(err.splitlines()) == 1 and text in err
    assert sandbox.count() == 0  # refused before asking the tracker


@pytest.mark.parametrize(
    "args",
    [
        ("entries", "--format", "xml"),
        ("entries", "--period", "next-year"),
        ("entries", "--frm", "2026-10-01"),
        ("no-such-command",),
    ],
)
def test_usage_errors_exit_2(
    sandbox: SandboxServer,
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
) -> None:
    write_config(isolated, sandbox)
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "usage: timebill" in err
    assert sandbox.count() == 0


# -- locate and --config --------------------------------------------------------------------------
def test_locate_lists_the_files_under_the_environment_overrides(
    tmp_path: Path, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "locate")
    assert (code, err) == (0, "")
    shown = {line[:12].strip(): line[12:].strip() for line in out.splitlines()}
    assert shown["config file"] == str(isolated)
    assert shown["journal"] == str(tmp_path / "data" / "journal.sqlite3")
    assert shown["data dir"] == str(tmp_path / "data")
    assert all(value.startswith(str(tmp_path)) for value in shown.values())
    assert not isolated.exists() and not (tmp_path / "data").exists()  # locating creates nothing

    other = tmp_path / "elsewhere" / "timebill.toml"
    for args in (("locate", "--config", str(other)), ("--config", str(other), "locate")):
        code, out, _ = run(capsys, *args)
        assert code == 0
        assert f"config file  {other}\n" in out, args
        assert str(tmp_path / "data" / "journal.sqlite3") in out


def test_config_option_is_honoured_by_every_command(
    sandbox: SandboxServer,
    tmp_path: Path,
    isolated: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default file (TIMEBILL_CONFIG) would fail; the one given with --config works.
    write_config(isolated, sandbox, "mite", mite__api_key="not-the-key-0000")
    chosen = write_config(tmp_path / "other" / "config.toml", sandbox, "clockodo")
    for placement in ("after", "before"):
        monkeypatch.setenv("TIMEBILL_CONFIG", str(isolated))

        def args(*command: str, placement: str = placement) -> list[str]:
            return (
                [*command, "--config", str(chosen)]
                if placement == "after"
                else ["--config", str(chosen), *command]
            )

        code, out, _ = run(capsys, *args("check"))
        assert code == 0 and out.startswith("clockodo"), (placement, out)
        code, out, _ = run(capsys, *args("entries", *OCTOBER, "--format", "json"))
        assert code == 0 and {r["source"] for r in json.loads(out)} == {"clockodo"}, placement
        code, out, _ = run(capsys, *args("locate"))
        assert code == 0 and f"config file  {chosen}\n" in out, placement


# -- sandbox (a real subprocess) ------------------------------------------------------------------
def timebill_script() -> list[str]:
    script = Path(sys.executable).with_name("timebill")
    assert script.exists(), "the console script is installed with the package (pip install -e .)"
    return [str(script)]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_sandbox_command_prints_its_urls_and_stops_on_a_signal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    proc = subprocess.Popen(
        [*timebill_script(), "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.communicate(timeout=20)[1]  # it died before serving: show why
        first = json.loads(line)
        assert {name: set(values) for name, values in first.items()} == {
            "mite": {"base_url", "account", "api_key"},
            "clockodo": {"base_url", "email", "api_key"},
            "billomat": {"base_url", "billomat_id", "api_key"},
        }
        m, c, b = first["mite"], first["clockodo"], first["billomat"]
        async with MiteSource(m["account"], m["api_key"], base_url=m["base_url"]) as mite:
            assert (await mite.verify()).name == "Agentur Nordlicht GmbH"
        async with ClockodoSource(c["email"], c["api_key"], base_url=c["base_url"]) as clockodo:
            assert (await clockodo.verify()).name == "Anna Schmidt"
        async with Billomat(b["billomat_id"], b["api_key"], base_url=b["base_url"]) as billomat:
            assert (await billomat.verify()).name == "Agentur Nordlicht GmbH"
        proc.send_signal(stop)
        rest, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert rest == ""  # the JSON line is all that goes to stdout
    assert "sandbox: serving mite, clockodo and Billomat" in err
    assert "Traceback" not in err


def test_sandbox_command_reports_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*timebill_script(), "sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=tmp_path,
        )
    assert done.returncode == 1 and done.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
