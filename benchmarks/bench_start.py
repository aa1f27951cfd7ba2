"""Start: `timebill --help` and the headless commands without Textual (<= 150 ms wall, against
`python -c pass`), and the app's first screen in <= 1.3x the time of a bare Textual app with a
Header, a DataTable and a Footer, measured in the same run.

    .venv/bin/python benchmarks/bench_start.py

Every figure is the best of several fresh processes, timed from spawn to exit (commands) or to
the line the child prints once its first screen is on (apps: Textual's Ready event, sent when
the screen's first frame is drawn). Both apps run headless at 80x24; the timebill app against
a sandbox config, loading its entries in the background as it would for a user.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import QUICK, ROOT, Sandbox, progress, row, write_config

COMMAND_TARGET_MS = 150.0
APP_RATIO_TARGET = 1.3
READY = "READY"
# The apps run in a child that imports nothing but what it measures.
CHILD = Path(__file__).resolve().parent / "start_child.py"


def timebill_script() -> str:
    found = shutil.which("timebill", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("the timebill console script is not installed in this environment")
    return found


def best_wall(command: list[str], env: dict[str, str], runs: int) -> float:
    """Best-of-`runs` seconds from spawn to exit."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return min(times)


def loads_textual(command: list[str], env: dict[str, str]) -> tuple[bool, int]:
    """Whether the command imports textual (python -X importtime), and its exit status."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    modules = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    return "textual" in modules, result.returncode


def command_figures(env: dict[str, str], runs: int) -> None:
    script = timebill_script()
    baseline = best_wall([sys.executable, "-c", "pass"], env, runs)
    commands = [
        ("timebill --help", ["--help"], True),
        ("timebill locate", ["locate"], True),
        (
            "timebill entries --format csv (sandbox)",
            ["entries", "--period", "last-month", "--format", "csv"],
            False,
        ),
    ]
    for label, args, timed_target in commands:
        progress(f"start: {label}")
        textual, code = loads_textual([script, *args], env)
        if code != 0:
            raise SystemExit(f"{label} failed with exit status {code}")
        wall = best_wall([script, *args], env, runs)
        ms, base_ms = wall * 1000, baseline * 1000
        if timed_target:
            row(
                f"start: {label}",
                round(ms, 1),
                "ms",
                target=f"<= {COMMAND_TARGET_MS:.0f} ms, no textual",
                baseline=round(base_ms, 1),
                ratio=round(ms / base_ms, 2),
                ok=ms <= COMMAND_TARGET_MS and not textual,
                note=f"baseline: python -c pass; textual imported: {'yes' if textual else 'no'}",
            )
        else:
            row(
                f"start: {label}",
                round(ms, 1),
                "ms",
                target="no textual",
                ok=not textual,
                note="wall includes reading last month's entries over HTTP; textual imported: "
                + ("yes" if textual else "no"),
            )


# -- apps ---------------------------------------------------------------------------------------
def app_time(kind: str, env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawn to the child's READY line, and the screen it reported."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(CHILD), kind],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    screen = ""
    took = None
    for line in process.stdout:
        if line.startswith(READY):
            took = time.perf_counter() - started
            screen = line.split()[2]
            break
    _, err = process.communicate(timeout=60)
    if took is None:
        raise SystemExit(f"the {kind} app never drew its first screen:\n{err[-2000:]}")
    return took, screen


def app_figures(env: dict[str, str], runs: int) -> None:
    progress("start: first screen, bare Textual app vs timebill")
    bare_times, app_times = [], []
    screen = ""
    for _ in range(runs):  # in turns, so a load spike on this shared machine hits both
        bare_times.append(app_time("bare", env)[0])
        took, screen = app_time("timebill", env)
        app_times.append(took)
    bare, app = min(bare_times), min(app_times)
    ratio = app / bare
    row(
        "start: app's first screen",
        round(app * 1000, 1),
        "ms",
        target=f"<= {APP_RATIO_TARGET}x bare app",
        baseline=round(bare * 1000, 1),
        ratio=round(ratio, 2),
        ok=ratio <= APP_RATIO_TARGET,
        note=f"baseline: bare Textual app with Header, DataTable and Footer; spawn to first frame "
        f"(Ready), headless 80x24; timebill's first screen: {screen}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    runs = 3 if QUICK else 7
    with tempfile.TemporaryDirectory(prefix="timebill-bench-") as folder, Sandbox() as box:
        env = {**os.environ, **write_config(box, "mite", Path(folder))}
        command_figures(env, runs)
        app_figures(env, 3 if QUICK else 9)
    return 0


if __name__ == "__main__":
    sys.exit(main())
