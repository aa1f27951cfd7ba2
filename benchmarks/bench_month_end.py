"""Requests and wall time of a 5,000-entry clockodo month-end (`timebill invoice --all-customers
--yes`) against the sandbox, which enforces clockodo's per-user limits (900 a minute, 2,250 per
15 minutes, 4,500 an hour, 20,000 a day) with 30 ms latency on every request.

    .venv/bin/python benchmarks/bench_month_end.py [--entries 22000] [--latency 0.03]

Target: every planned entry marked billed, no request refused (429), and the run well inside the
quarter-hour budget: marking one PUT per entry would need more than two hours of it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timebill.core.billing.journal import Journal
from timebill.core.cli.demo import demo_config
from timebill.core.cli.exit_codes import EXIT_OK, EXIT_SKIPPED
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import save_settings

from benchmarks.common import QUICK, row

TODAY = dt.date(2026, 11, 28)
PERIOD = ("--from", "2026-10-01", "--to", "2026-10-31")
# A sandbox of this size holds a little over 5,000 open October entries with a Billomat client.
ENTRIES = 22_000


def run_once(entries: int, latency: float) -> dict[str, float | int]:
    from timebill.tui.main import main

    with (
        tempfile.TemporaryDirectory(prefix="timebill-bench-") as folder,
        SandboxServer(today=TODAY, entries=entries) as server,
    ):
        config = Path(folder) / "config.toml"
        save_settings(demo_config(server, "clockodo"), config)
        os.environ["TIMEBILL_CONFIG"] = str(config)
        os.environ["TIMEBILL_DATA_DIR"] = str(Path(folder) / "data")
        server.faults.latency = latency
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # Generated volume: some days hold more than 24 h, billed as they are.
            code = main(["invoice", "--all-customers", *PERIOD, "--yes", "--allow-implausible"])
        wall = time.perf_counter() - started
        server.faults.latency = 0.0
        # EXIT_SKIPPED: the seed's customers without a Billomat client are skipped, as planned.
        if code not in (EXIT_OK, EXIT_SKIPPED):
            raise SystemExit(f"timebill invoice --all-customers failed ({code}):\n{err.getvalue()}")
        with Journal(Path(folder) / "data" / "journal.sqlite3") as journal:
            done = journal.plans("done")
            unfinished = journal.plans("pending", "created")
        planned = {i for plan in done for i in plan.entry_ids}
        with server.store.lock:
            stored = server.store.collection("clockodo", "entries")
            unmarked = sum(1 for i in planned if stored[i]["billable"] != 2)
        return {
            "entries": len(planned),
            "unmarked": unmarked + sum(len(p.entry_ids) for p in unfinished),
            "clockodo": server.count("clockodo"),
            "billomat": server.count("billomat"),
            "refused": server.clockodo.refused,
            "wall": wall,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=6_000 if QUICK else ENTRIES)
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per request")
    args = parser.parse_args()
    print(f"clockodo month-end over a {args.entries}-entry sandbox ...", file=sys.stderr)
    result = run_once(args.entries, args.latency)
    n = int(result["entries"])
    ok = result["unmarked"] == 0 and result["refused"] == 0
    requests = int(result["clockodo"]) + int(result["billomat"])
    row(
        f"clockodo month-end {n:,} entries: requests (clockodo + Billomat)",
        requests,
        "requests",
        target="all marked, no 429, < 2,250",
        ok=ok and int(result["clockodo"]) < 2250,
        note=f"clockodo {result['clockodo']}, Billomat {result['billomat']}, "
        f"429s {result['refused']}, unmarked {result['unmarked']}; one bulk change per customer",
    )
    row(
        f"clockodo month-end {n:,} entries: wall time",
        round(float(result["wall"]), 2),
        "s",
        target="<= 60 s",
        ok=float(result["wall"]) <= 60,
        note=f"{args.latency * 1000:.0f} ms latency per request; sandbox enforces clockodo's limits",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
