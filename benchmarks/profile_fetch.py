"""Profile one adapter fetching N sandbox entries (cProfile, client side only: the sandbox runs
in its own process). Not part of `make bench`; for finding where the fetch time goes.

    .venv/bin/python benchmarks/profile_fetch.py [mite|clockodo] [--entries 100000] [--top 25]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_fetch import FETCHES, warm
from benchmarks.common import Sandbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tracker", choices=sorted(FETCHES), nargs="?", default="mite")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    args = parser.parse_args()
    adapter = FETCHES[args.tracker][0]
    with Sandbox(args.entries) as box:
        warm(box.credentials["mite"], box.credentials["clockodo"])
        creds = box.credentials[args.tracker]
        profile = cProfile.Profile()
        profile.enable()
        asyncio.run(adapter(creds))
        profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
