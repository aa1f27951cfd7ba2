"""Requests per invoice and wall time of `timebill invoice` for one customer with 500+ open
entries, against the sandbox with 30 ms latency on every request (mite and clockodo).

    .venv/bin/python benchmarks/bench_invoice.py [--entries 9000] [--latency 0.03]

Prints one table per tracker: the requests the run sent, by service and kind (counted by the
sandbox), and the wall time of the whole command (load, plan, create, mark). Targets: one POST
creates the draft with all its lines (and one PUT its marker), plus the few reads the plan needs;
marking is one request per entry in mite (4 at a time), and one confirmed entrygroups change per
customer in clockodo (a dry run and the confirm).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timebill.core.billing.journal import Journal
from timebill.core.cli.demo import demo_config
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import save_settings

from benchmarks.common import row

TODAY = dt.date(2026, 11, 28)
CUSTOMER = "Müller & Söhne GmbH"
PERIOD = ("--from", "2026-10-01", "--to", "2026-10-31")
IDS = re.compile(r"/\d+")


def _requests(server: SandboxServer) -> list[dict[str, Any]]:
    """The sandbox's own request count (/_sandbox/requests), as a test driving it remotely sees it."""
    answer = httpx.get(f"{server.url}/_sandbox/requests")
    answer.raise_for_status()
    rows: list[dict[str, Any]] = answer.json()["requests"]
    return rows


def kind(method: str, path: str) -> str:
    path = IDS.sub("/{id}", path.split("?")[0])
    path = path.replace("/nordlicht", "")
    return f"{method} {path}"


def run_once(tracker: str, entries: int, latency: float) -> dict[str, object]:
    from timebill.tui.main import main

    with (
        tempfile.TemporaryDirectory(prefix="timebill-bench-") as folder,
        SandboxServer(today=TODAY, entries=entries) as server,
    ):
        config = Path(folder) / "config.toml"
        save_settings(demo_config(server, tracker), config)
        os.environ["TIMEBILL_CONFIG"] = str(config)
        os.environ["TIMEBILL_DATA_DIR"] = str(Path(folder) / "data")
        server.faults.latency = latency
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # The preview alone first (load and plan), so the table can show what creating
            # and marking add; its assignments are not remembered, so the real run is the same.
            started = time.perf_counter()
            # Generated volume: some days hold more than 24 h, billed as they are.
            main(["invoice", "--customer", CUSTOMER, *PERIOD, "--dry-run", "--allow-implausible"])
            preview = time.perf_counter() - started
            server.reset_counts()
            started = time.perf_counter()
            code = main(
                ["invoice", "--customer", CUSTOMER, *PERIOD, "--yes", "--allow-implausible"]
            )
            wall = time.perf_counter() - started
        server.faults.latency = 0.0
        if code != 0:
            raise SystemExit(f"{tracker}: timebill invoice failed ({code}):\n{err.getvalue()}")
        with Journal(Path(folder) / "data" / "journal.sqlite3") as journal:
            [record] = journal.plans("done")
        counts: Counter[tuple[str, str]] = Counter()
        for row in _requests(server):
            counts[(row["service"], kind(row["method"], row["path"]))] += row["count"]
        return {
            "tracker": tracker,
            "entries": len(record.entry_ids),
            "lines": len(record.plan.lines),
            "wall": wall,
            "preview": preview,
            "counts": counts,
        }


def show(result: dict[str, object], latency: float) -> None:
    counts: Counter[tuple[str, str]] = result["counts"]  # type: ignore[assignment]
    tracker = result["tracker"]
    entries = result["entries"]
    print(
        f"\n{tracker} -> Billomat: {entries} entries on one draft "
        f"({result['lines']} lines), latency {latency * 1000:.0f} ms per request"
    )
    print(f"  {'service':9} {'request':44} {'count':>6}")
    for (service, what), n in sorted(counts.items()):
        print(f"  {service:9} {what:44} {n:>6}")
    billomat = sum(n for (s, _), n in counts.items() if s == "billomat")
    creates = sum(n for (s, w), n in counts.items() if s == "billomat" and w.startswith("POST"))
    mark_method = "PATCH" if tracker == "mite" else "PUT"
    marks = sum(n for (s, w), n in counts.items() if s == tracker and w.startswith(mark_method))
    reads = sum(n for (s, w), n in counts.items() if s == tracker and w.startswith("GET"))
    total = sum(counts.values())
    print(
        f"  => Billomat {billomat} requests ({creates} create); {tracker} {reads} reads + "
        f"{marks} marks ({marks / max(1, int(entries)):.2f} per entry); {total} in all; "  # type: ignore[call-overload]
        f"wall time {result['wall']:.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=9000, help="sandbox size (default 9000)")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per request")
    args = parser.parse_args()
    results = [run_once(t, args.entries, args.latency) for t in ("mite", "clockodo")]
    for result in results:
        show(result, args.latency)
    print("\nsummary")
    print(
        f"  {'tracker':9} {'entries':>7} {'requests':>8} {'per entry':>9} "
        f"{'preview s':>9} {'create+mark s':>13} {'wall s':>7}"
    )
    for result in results:
        total = sum(result["counts"].values())  # type: ignore[attr-defined]
        n = int(result["entries"])  # type: ignore[call-overload]
        wall, preview = float(result["wall"]), float(result["preview"])  # type: ignore[arg-type]
        print(
            f"  {result['tracker']:9} {n:>7} {total:>8} {total / n:>9.2f} "
            f"{preview:>9.2f} {wall - preview:>13.2f} {wall:>7.2f}"
        )
    for result in results:
        total = sum(result["counts"].values())  # type: ignore[attr-defined]
        n = int(result["entries"])  # type: ignore[call-overload]
        name = f"invoice {result['tracker']}, {n:,} entries, {args.latency * 1000:.0f} ms latency"
        row(f"{name}: requests", total, "requests", note=f"{total / n:.2f} per entry")
        row(f"{name}: wall time", round(float(result["wall"]), 2), "s")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
