"""Memory: peak RSS with 100,000 entries loaded (<= 300 MB), and what one entry costs.

    .venv/bin/python benchmarks/bench_memory.py [--entries 100000]

Each figure comes from a fresh process (peak RSS is per process), with the sandbox in a process
of its own so its memory is not counted:

- adapter: the mite adapter loads every entry into TimeEntry objects (no Textual imported);
  per-entry footprint = the bytes of the entries' objects (each shared value, a name or an
  amount used by many entries, counted once) / N, and the RSS growth / N;
- app: the timebill app, headless at 80x24, loading the same entries through its own loader
  (the period set to the sandbox's whole world where the app accepts a `period`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import QUICK, ROOT, Sandbox, fmt_count, progress, row, write_config

TARGET_MB = 300.0
RESULT = "RESULT"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def deep_bytes(entries: list[Any]) -> int:
    """Bytes of the entries and their values, each object counted once (a slotted TimeEntry
    has no __dict__ of its own)."""
    from timebill.core.models import ENTRY_FIELDS

    seen: set[int] = set()
    total = 0
    for entry in entries:
        for obj in (entry, *(getattr(entry, name) for name in ENTRY_FIELDS)):
            if id(obj) not in seen and obj is not None and not isinstance(obj, bool):
                seen.add(id(obj))
                total += sys.getsizeof(obj)
    return total


def world_period() -> tuple[Any, Any]:
    """The sandbox's whole world: three months up to today (timebill.core.sandbox.seed)."""
    import datetime as dt

    from timebill.core.sandbox.seed import first_of_month

    today = dt.date.today()
    return first_of_month(today, 2), today


# -- children ----------------------------------------------------------------------------------
def child_adapter() -> dict[str, Any]:
    from timebill.core.sources.mite import MiteSource

    creds = json.loads(os.environ["BENCH_MITE"])
    start, end = world_period()

    async def load() -> list[Any]:
        async with MiteSource(
            creds["account"], creds["api_key"], base_url=creds["base_url"]
        ) as source:
            return await source.entries(start, end)

    gc.collect()
    before = current_mb()
    started = time.perf_counter()
    entries = asyncio.run(load())
    took = time.perf_counter() - started
    gc.collect()
    after = current_mb()
    return {
        "entries": len(entries),
        "peak_mb": peak_mb(),
        "growth_mb": after - before,
        "object_bytes": deep_bytes(entries),
        "seconds": took,
        "textual": "textual" in sys.modules,
    }


def child_app() -> dict[str, Any]:
    import timebill.core.sources.mite as mite
    import timebill.tui.app as timebill_app
    from timebill.core.settings.model import load_settings

    loaded: dict[str, Any] = {}
    done = asyncio.Event()
    original = mite.MiteSource.entries

    async def entries(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, *args, **kwargs)
        loaded["entries"] = len(result)
        done.set()
        return result

    mite.MiteSource.entries = entries  # type: ignore[method-assign]
    config = Path(os.environ["TIMEBILL_CONFIG"])
    settings = load_settings(config)
    app_class = timebill_app.TimebillApp
    options: dict[str, Any] = {}
    accepted = inspect.signature(app_class).parameters
    if "period" in accepted:
        options["period"] = world_period()
    app = app_class(settings, config, **options)

    async def run() -> None:
        async with app.run_test(headless=True, size=(80, 24)) as pilot:
            await asyncio.wait_for(done.wait(), timeout=180)
            await app.workers.wait_for_complete()
            for _ in range(3):  # the screen builds its rows once the entries are in
                await pilot.pause()

    started = time.perf_counter()
    asyncio.run(run())
    return {
        "entries": loaded.get("entries", 0),
        "peak_mb": peak_mb(),
        "seconds": time.perf_counter() - started,
        "period": "whole world" if "period" in options else "the app's default period",
    }


def run_child(kind: str, env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    for line in result.stdout.splitlines():
        if line.startswith(RESULT):
            data: dict[str, Any] = json.loads(line[len(RESULT) :])
            return data
    raise SystemExit(f"memory child {kind!r} failed:\n{result.stderr[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5_000 if QUICK else 100_000)
    parser.add_argument("--child", choices=("adapter", "app"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        data = child_adapter() if args.child == "adapter" else child_app()
        print(RESULT + json.dumps(data), flush=True)
        return 0

    n = args.entries
    with tempfile.TemporaryDirectory(prefix="timebill-bench-") as folder, Sandbox(n) as box:
        env = {
            **os.environ,
            **write_config(box, "mite", Path(folder)),
            "BENCH_MITE": json.dumps(box.credentials["mite"]),
        }
        progress(f"memory: adapter, {fmt_count(n)} entries")
        adapter = run_child("adapter", env)
        count = adapter["entries"]
        row(
            f"memory: peak RSS, {fmt_count(count)} entries via adapter",
            round(adapter["peak_mb"], 1),
            "MB",
            target=f"<= {TARGET_MB:.0f} MB",
            ok=adapter["peak_mb"] <= TARGET_MB,
            note=f"mite adapter in a fresh process, textual imported: "
            f"{'yes' if adapter['textual'] else 'no'}; load {adapter['seconds']:.2f} s",
        )
        row(
            "memory: per-entry footprint",
            round(adapter["object_bytes"] / count),
            "bytes",
            note=f"objects of one TimeEntry, shared values counted once; RSS growth "
            f"{adapter['growth_mb'] * 2**20 / count:,.0f} bytes/entry",
        )
        progress(f"memory: app, {fmt_count(n)} entries")
        app = run_child("app", env)
        row(
            f"memory: peak RSS, app with {fmt_count(app['entries'])} entries",
            round(app["peak_mb"], 1),
            "MB",
            target=f"<= {TARGET_MB:.0f} MB",
            ok=app["peak_mb"] <= TARGET_MB,
            note=f"TimebillApp headless 80x24 loading through its own loader "
            f"({app['period']}); {app['seconds']:.1f} s",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
