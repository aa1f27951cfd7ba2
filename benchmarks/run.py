"""`make bench`: run every benchmark and print one table.

    .venv/bin/python benchmarks/run.py [--only fetch,start] [--quick]

Runs each benchmarks/bench_*.py in a subprocess of its own (fetch, start, memory, then invoice
and tui where present), one after the other so they do not compete for the two cores, and
collects the rows they print (the ROW format, see benchmarks/common.py). A script that prints
no ROW line has its output shown below the table as it printed it. Progress goes to stderr
while it runs; the table comes last, on stdout.

Exit status 0 when every benchmark ran (whether or not each target is met: the table says),
1 when one failed or timed out.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, parse_rows

HERE = Path(__file__).resolve().parent
# Order matters: the fetch figures first, on a machine not yet warmed by the others.
SCRIPTS = ("fetch", "start", "memory", "invoice", "month_end", "tui")
TIMEOUT = 240.0  # seconds per script; the whole run must stay under 5 minutes


def run_script(name: str, quick: bool) -> tuple[list[dict[str, Any]], str, str | None, float]:
    """(rows, raw stdout, failure or None, seconds) of benchmarks/bench_<name>.py."""
    path = HERE / f"bench_{name}.py"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if quick:
        env["BENCH_QUICK"] = "1"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []

    def relay() -> None:  # progress lines as they come, each prefixed with the script
        assert process.stderr is not None
        for line in process.stderr:
            errors.append(line)
            print(f"  [{name}] {line.rstrip()}", file=sys.stderr, flush=True)

    relay_thread = threading.Thread(target=relay, daemon=True)
    relay_thread.start()
    try:
        out, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        relay_thread.join(timeout=5)
        return parse_rows(out), out, f"timed out after {TIMEOUT:.0f} s", TIMEOUT
    relay_thread.join(timeout=5)
    seconds = time.perf_counter() - started
    failure = None
    if process.returncode != 0:
        tail = "".join(errors[-15:]).rstrip()
        failure = f"exit status {process.returncode}" + (f"\n{tail}" if tail else "")
    return parse_rows(out), out, failure, seconds


def cell(value: Any, unit: str = "") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".rstrip() if unit else text


def verdict(ok: Any) -> str:
    return {True: "met", False: "MISSED"}.get(ok, "")


def table(rows: list[dict[str, Any]]) -> list[str]:
    header = ("#", "figure", "value", "target", "baseline", "ratio", "")
    body = [
        (
            str(i),
            str(r["figure"]),
            cell(r["value"], r.get("unit", "")),
            str(r.get("target") or ""),
            cell(r.get("baseline"), r.get("unit", "")),
            "" if r.get("ratio") is None else f"{r['ratio']:.2f}",
            verdict(r.get("ok")),
        )
        for i, r in enumerate(rows, start=1)
    ]
    widths = [max(len(line[c]) for line in (header, *body)) for c in range(len(header))]
    right = {0, 2, 4, 5}

    def fmt(line: tuple[str, ...]) -> str:
        return "  ".join(
            text.rjust(w) if c in right else text.ljust(w)
            for c, (text, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [fmt(header), rule, *(fmt(line) for line in body)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated: " + ",".join(SCRIPTS))
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (BENCH_QUICK=1): not the real figures"
    )
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SCRIPTS)
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")

    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    raw: list[tuple[str, str]] = []
    failures: list[tuple[str, str]] = []
    ran: list[str] = []
    for name in chosen:
        if not (HERE / f"bench_{name}.py").exists():
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        script_rows, out, failure, seconds = run_script(name, quick)
        ran.append(f"{name} {seconds:.0f} s")
        for r in script_rows:
            r.setdefault("source", name)
        rows += script_rows
        if not script_rows and out.strip():
            raw.append((name, out.rstrip()))
        if failure:
            failures.append((name, failure))
    total = time.perf_counter() - started

    print()
    print(
        f"timebill benchmarks: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}" + (" (QUICK: small sizes)" if quick else "")
    )
    print()
    for line in table(rows):
        print(line)
    notes = [(i, r["note"]) for i, r in enumerate(rows, start=1) if r.get("note")]
    if notes:
        print()
        for i, note in notes:
            print(f"{i:>3}. {note}")
    targets = [r for r in rows if r.get("ok") is not None]
    met = sum(1 for r in targets if r["ok"])
    print()
    print(
        f"{met} of {len(targets)} targets met; {len(rows)} figures; "
        f"run time {total:.0f} s ({', '.join(ran)})"
    )
    for name, out in raw:
        print(f"\n--- bench_{name}.py printed no ROW lines; its output: ---\n{out}")
    for name, failure in failures:
        print(f"\n--- bench_{name}.py FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
