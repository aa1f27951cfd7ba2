"""`timebill unbilled` as a script runs it: in-process through the console script's `main`
against the sandbox over loopback, config in tmp_path; table, JSON and the exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sandbox_support import TODAY, isolate_environment, timebill_logging_restored
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import save_settings
from timebill.tui.main import main

AS_OF = ("--as-of", TODAY.isoformat())


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_environment(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    with timebill_logging_restored():
        yield


def configure(path: Path, server: SandboxServer, tracker: str) -> None:
    creds = server.credentials()
    save_settings({"tracker": tracker, **{n: dict(c) for n, c in creds.items()}}, path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def open_entries(capsys: pytest.CaptureFixture[str], start: str) -> list[dict[str, Any]]:
    code, out, _ = run(
        capsys, "entries", "--from", start, "--to", TODAY.isoformat(), "--format", "json"
    )
    assert code == 0
    return [e for e in json.loads(out) if e["billable"] and not e["billed"] and not e["running"]]


@pytest.mark.parametrize("tracker", ["mite", "clockodo"])
def test_json_agrees_with_the_open_entries(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str], tracker: str
) -> None:
    configure(isolated, sandbox, tracker)
    code, out, err = run(capsys, "unbilled", "--months", "3", "--format", "json", *AS_OF)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["from"], data["to"]) == ("2026-09-01", "2026-11-28")
    assert data["months"] == ["2026-09", "2026-10", "2026-11"]
    entries = open_entries(capsys, "2026-09-01")
    assert data["total"]["entries"] == len(entries)
    customers = data["customers"]
    by_id = {c["customer_id"]: c for c in customers}
    for customer_id, row in by_id.items():
        mine = [e for e in entries if e["customer_id"] == customer_id]
        assert row["entries"] == len(mine)
        assert row["oldest"] == min(e["date"] for e in mine)
        months = sum(Decimal(m["amount"]) for m in row["by_month"].values())
        assert Decimal(row["amount"]) == months
    amounts = [Decimal(c["amount"]) for c in customers]
    assert amounts == sorted(amounts, reverse=True)
    assert sum(amounts) == Decimal(data["total"]["amount"])


def test_table_lists_customers_by_amount_with_months_and_age(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(isolated, sandbox, "mite")
    code, out, err = run(capsys, "unbilled", *AS_OF)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["customer", "hours", "amount", "Sep", "Oct", "Nov", "oldest", "age"]
    rows = lines[2:-1]
    assert rows and all(line.endswith(" d") for line in rows)
    amounts = [Decimal(line.split()[-7]) for line in rows]
    assert amounts == sorted(amounts, reverse=True)
    assert lines[-1].startswith(f"{len(rows)} customers, ")
    assert lines[-1].endswith("(2026-09-01 – 2026-11-28)")


def test_nothing_unbilled_exits_3(
    sandbox: SandboxServer, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(isolated, sandbox, "mite")
    # The sandbox's data starts in September: nothing to bill in the spring.
    code, out, err = run(capsys, "unbilled", "--months", "2", "--as-of", "2026-04-30")
    assert (code, err) == (3, "")
    assert out == "Nothing unbilled in 2026-03-01 – 2026-04-30.\n"
    code, out, _ = run(capsys, "unbilled", "--format", "json", "--as-of", "2026-04-30")
    assert code == 3 and json.loads(out)["customers"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--months", "0"), "--months must be 1 to 24, not 0"),
        (("--months", "x"), "'x' is not a number of months"),
        (("--as-of", "31.02.2026"), "is not a valid date"),
    ],
)
def test_bad_arguments_exit_2_with_one_message(
    isolated: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["unbilled", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
