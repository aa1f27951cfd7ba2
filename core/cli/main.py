"""`timebill` command line. Headless commands never import textual (so they start fast and run
from cron); only the app itself (`timebill`, `timebill demo`) loads the TUI.

Exit codes: timebill.core.cli.exit_codes (0 done, 1 a service or the configuration failed with
one clear line on stderr, 2 bad usage, 130 interrupted; the billing commands add 3 to 7).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timebill.core import __version__
from timebill.core.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from timebill.core.cli.invoice_args import add_commands as add_invoice_commands
from timebill.core.cli.unbilled import add_command as add_unbilled_command
from timebill.core.errors import TimebillError, UsageError

if TYPE_CHECKING:
    from timebill.core.ratelimit import RateLimitWait
    from timebill.core.settings.model import Settings


# Opens the terminal app: (settings, config path) -> exit code. Passed in by `timebill.tui.main`,
# so that core never imports the UI and the headless commands never load textual. The settings
# are a Settings, or a function that reads them: the app calls it after its first frame (see
# timebill.tui.app), which then need not wait for pydantic.
AppLauncher = Callable[[Any, "Path | None"], int]


def _common_options(default: Any) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="config file (default: see `timebill locate`)",
    )
    options.add_argument(
        "--log-file",
        metavar="PATH",
        default=default,
        help="write request lines (keys redacted) here; also TIMEBILL_LOG",
    )
    return options


def build_parser() -> argparse.ArgumentParser:
    # Subcommands take the options with SUPPRESS defaults: otherwise argparse lets a subcommand's
    # default (None) overwrite the value of `timebill --config PATH check`.
    common = _common_options(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="timebill",
        description="Turn time tracked in mite or clockodo into Billomat invoice drafts.",
        parents=[_common_options(None)],
    )
    parser.add_argument("--version", action="version", version=f"timebill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("app", parents=[common], help="open the terminal app (the default)")
    sub.add_parser("check", parents=[common], help="test the configured tracker and Billomat keys")
    entries = sub.add_parser("entries", parents=[common], help="list time entries of a period")
    entries.add_argument(
        "--from", dest="start", metavar="DATE", help="first day (default: first of last month)"
    )
    entries.add_argument(
        "--to", dest="end", metavar="DATE", help="last day (default: end of last month)"
    )
    entries.add_argument(
        "--period",
        choices=("this-month", "last-month", "this-quarter", "last-quarter"),
        help="a preset instead of --from/--to",
    )
    entries.add_argument("--customer", metavar="NAME", help="the tracker's customer name or id")
    entries.add_argument("--format", choices=("table", "csv", "json"), default="table")

    sandbox = sub.add_parser(
        "sandbox", help="serve emulated mite, clockodo and Billomat APIs on 127.0.0.1"
    )
    sandbox.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    sandbox.add_argument(
        "--entries", type=int, metavar="N", help="number of time entries to generate"
    )
    sandbox.add_argument("--seed", type=int, default=42, help="seed of the demo data")
    sandbox.add_argument("--state", metavar="FILE", help="keep changes in FILE across restarts")

    demo = sub.add_parser("demo", help="open the app against a local sandbox (no account needed)")
    demo.add_argument("--tracker", choices=("mite", "clockodo"), default="mite")
    demo.add_argument("--entries", type=int, metavar="N", help="number of time entries to generate")

    sub.add_parser("locate", parents=[common], help="print where timebill keeps its files")
    add_invoice_commands(sub, common)
    add_unbilled_command(sub, common)
    return parser


def main(argv: Sequence[str] | None = None, *, launch_app: AppLauncher | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "app"
    try:
        _setup_logging(getattr(args, "log_file", None) or os.environ.get("TIMEBILL_LOG"))
        if command in ("app", "demo"):
            return _run(command, args, launch_app)  # the app shows rate-limit waits itself
        from timebill.core.ratelimit import listen

        with listen(_show_wait):
            return _run(command, args, launch_app)
    except TimebillError as exc:
        from timebill.core.text import clean

        # A service's own error text is data: shown, never acted on by the terminal.
        print(f"timebill: {clean(str(exc), keep_newlines=True)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILED
    except KeyboardInterrupt:
        print("timebill: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _show_wait(event: RateLimitWait) -> None:
    """One line on stderr when a rate-limit wait starts (and one if it is cancelled); the
    countdown in between is the app's."""
    if event.state == "cancelled" or (event.state == "waiting" and event.left == event.total):
        print(event.text(), file=sys.stderr, flush=True)


def _run(command: str, args: argparse.Namespace, launch_app: AppLauncher | None) -> int:
    if command in ("app", "demo") and launch_app is None:
        print(
            "timebill: the app is started with the `timebill` command (timebill.tui.main).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if command == "sandbox":
        from timebill.core.sandbox.run import serve

        return serve(args.port, entries=args.entries, seed=args.seed, state=args.state)
    if command == "demo":
        from timebill.core.cli.demo import run_demo

        assert launch_app is not None
        return run_demo(launch_app, tracker=args.tracker, entries=args.entries)
    if command == "locate":
        from timebill.core.settings.paths import CONFIG_ENV, locations

        if args.config:
            os.environ[CONFIG_ENV] = args.config
        for name, path in locations().items():
            print(f"{name:12} {path}")
        return EXIT_OK

    if command == "app":
        assert launch_app is not None
        return launch_app(lambda: _load(args), Path(args.config) if args.config else None)
    if command == "invoice":
        from timebill.core.cli.invoice_flags import option_overrides

        option_overrides(args)  # a mistyped flag is bad usage whatever the config holds
    settings = _load(args)
    if command == "check":
        return _check(settings)
    if command == "entries":
        return _entries(settings, args)
    if command == "unbilled":
        from timebill.core.cli import unbilled

        return unbilled.run(settings, args)
    if command in ("invoice", "resume", "sync"):
        from timebill.core.cli import invoice

        return invoice.run(command, settings, args)
    if command == "abandon":
        from timebill.core.cli import abandon

        return abandon.run(settings, args)
    raise AssertionError(f"unknown command {command!r}")


def _load(args: argparse.Namespace) -> Settings:
    from timebill.core.logsetup import add_secrets
    from timebill.core.settings.model import load_settings

    settings = load_settings(Path(args.config) if args.config else None)
    add_secrets(
        (
            settings.mite.api_key,
            settings.clockodo.api_key,
            settings.billomat.api_key,
            settings.billomat.app_secret,
        )
    )
    return settings


def _check(settings: Settings) -> int:
    import asyncio

    from timebill.core.cli.check import check

    rows = asyncio.run(check(settings))
    for service, ok, text in rows:
        print(f"{service:9} {'ok    ' if ok else 'FAILED'} {text}")
    return EXIT_OK if all(ok for _, ok, _ in rows) else EXIT_FAILED


def _entries(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from timebill.core.cli.entries import as_csv, as_json, as_table, fetch
    from timebill.core.connect import open_source
    from timebill.core.periods import period_text, resolve

    start, end = resolve(args.start, args.end, args.period)

    async def load() -> list[Any]:
        async with open_source(settings) as source:
            return await fetch(source, start, end, args.customer)

    entries = asyncio.run(load())
    render = {"json": as_json, "csv": as_csv, "table": as_table}[args.format]
    if args.format == "table":
        # The period as resolved (01.11.26 is 2026); JSON and CSV stay data only.
        sys.stdout.write(f"Period: {period_text(start, end)}\n")
    sys.stdout.write(render(entries).rstrip("\n") + "\n")
    return EXIT_OK


def _setup_logging(path: str | None) -> None:
    if path:
        from timebill.core.errors import ConfigError
        from timebill.core.logsetup import configure

        try:
            configure(path)
        except OSError as err:
            raise ConfigError(
                f"cannot write the log file {path} ({err.strerror or err}): "
                "check --log-file or TIMEBILL_LOG."
            ) from None


if __name__ == "__main__":
    sys.exit(main())
