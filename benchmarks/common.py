"""Shared helpers of the benchmarks: a sandbox on loopback, timing, and result rows.

Result rows (the contract between every bench_*.py and benchmarks/run.py)
-------------------------------------------------------------------------
A benchmark prints each figure as ONE line on stdout:

    ROW<TAB>{"figure": ..., "value": ..., "unit": ..., "target": ..., "baseline": ...,
             "ratio": ..., "ok": ..., "note": ...}

that is the four characters `ROW`, a tab, and one JSON object on the same line. Keys:

- figure   (str, required) what is measured, e.g. "fetch mite 100,000 entries".
- value    (number or str, required) the measurement.
- unit     (str) "s", "ms", "MB", "x", "%", "requests", ... ("" for a plain count).
- target   (str) the goal as text, e.g. "<= 1.3x", "<= 150 ms"; "" or absent: informative only.
- baseline (number or str) the baseline measured in the same run, in `unit` (absent: none).
- ratio    (number) value / baseline where that is the figure the target applies to.
- ok       (bool or null) whether the target is met; null where there is no target.
- note     (str) one short remark (what the baseline is, why a target is missed).

Everything else a benchmark prints (progress, detail tables) is shown by the runner below the
table only when the script printed no ROW line or failed. Python scripts can use `row()` below;
anything else just prints the line. Progress goes to stderr.

The sandbox runs as a subprocess (`python -m timebill.tui.main sandbox`), not a thread: in-process, its
HTTP server would compete with the code under test for the GIL and charge its own JSON encoding
to the client's figure.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ROW_PREFIX = "ROW\t"

# BENCH_QUICK=1 (or `benchmarks/run.py --quick`): smaller sizes and fewer repeats, for working
# on the benchmarks themselves; the figures are then not the ones the targets are about.
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def row(
    figure: str,
    value: float | int | str,
    unit: str = "",
    *,
    target: str = "",
    baseline: float | int | str | None = None,
    ratio: float | None = None,
    ok: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Print one result row (see the module doc) and return it."""
    data: dict[str, Any] = {"figure": figure, "value": value, "unit": unit, "target": target}
    if baseline is not None:
        data["baseline"] = baseline
    if ratio is not None:
        data["ratio"] = ratio
    data["ok"] = ok
    if note:
        data["note"] = note
    print(ROW_PREFIX + json.dumps(data, ensure_ascii=False), flush=True)
    return data


def parse_rows(text: str) -> list[dict[str, Any]]:
    """The rows in a benchmark's stdout; lines that are not ROW lines are skipped."""
    rows = []
    for line in text.splitlines():
        if line.startswith(ROW_PREFIX):
            try:
                data = json.loads(line[len(ROW_PREFIX) :])
            except ValueError:
                continue
            if isinstance(data, dict) and "figure" in data and "value" in data:
                rows.append(data)
    return rows


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- timing ----------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


# -- sandbox ---------------------------------------------------------------------------------
class Sandbox:
    """`timebill sandbox --entries N` in a subprocess, driven over its /_sandbox endpoints."""

    def __init__(self, entries: int | None = None, *, seed: int = 42) -> None:
        command = [sys.executable, "-m", "timebill.tui.main", "sandbox", "--seed", str(seed)]
        if entries is not None:
            command += ["--entries", str(entries)]
        self.entries = entries
        self._process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        if not first:
            self._process.wait(timeout=5)
            raise RuntimeError(f"the sandbox did not start (exit {self._process.returncode})")
        self.credentials: dict[str, dict[str, str]] = json.loads(first)
        base = self.credentials["mite"]["base_url"]
        self.url = base[: base.rindex("/mite")]
        self._control = httpx.Client(base_url=f"{self.url}/_sandbox", timeout=30)

    @property
    def pid(self) -> int:
        return self._process.pid

    def set_latency(self, seconds: float) -> None:
        self._control.post("/faults", json={"latency": seconds}).raise_for_status()

    def reset_counts(self) -> None:
        self._control.delete("/requests").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        answer = self._control.get("/requests")
        answer.raise_for_status()
        rows: list[dict[str, Any]] = answer.json()["requests"]
        return rows

    def count(self, service: str, method: str = "GET", path: str = "") -> int:
        return sum(
            r["count"]
            for r in self.requests()
            if r["service"] == service and r["method"] == method and path in r["path"]
        )

    def stop(self) -> None:
        self._control.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def sandbox(entries: int | None = None) -> Iterator[Sandbox]:
    box = Sandbox(entries)
    try:
        yield box
    finally:
        box.stop()


def settings_values(box: Sandbox, tracker: str) -> dict[str, Any]:
    """A config for the sandbox (what `timebill demo` writes), for the app or the CLI."""
    creds = box.credentials
    return {
        "tracker": tracker,
        "mite": dict(creds["mite"]),
        "clockodo": dict(creds["clockodo"]),
        "billomat": dict(creds["billomat"]),
        "invoice": {"default_vat": 19},
    }


def fmt_count(n: int) -> str:
    return f"{n:,}"


def write_config(box: Sandbox, tracker: str, folder: Path) -> dict[str, str]:
    """A config file for the sandbox in `folder`; returns the environment that points timebill
    at it (and keeps its journal and log in `folder` too, never in the user's own)."""
    from timebill.core.settings.model import save_settings

    config = folder / "config" / "config.toml"
    save_settings(settings_values(box, tracker), config)
    return {"TIMEBILL_CONFIG": str(config), "TIMEBILL_DATA_DIR": str(folder / "data")}
