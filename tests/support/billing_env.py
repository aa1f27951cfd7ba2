"""Shared by the billing end-to-end tests (test_invoice_*.py, test_month_end_sync.py): a config
and data dir pointing at an in-process sandbox, the `timebill` CLI run in-process or as a
subprocess, and the emulators' state read straight from their store."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_support import post_tracker_entry
from timebill.core.billing.journal import Journal, PlanRecord
from timebill.core.cli.demo import demo_config
from timebill.core.sandbox import SandboxServer
from timebill.core.settings.model import save_settings

TODAY = dt.date(2026, 11, 28)  # as in conftest: "last month" is October 2026
OCTOBER = ("--from", "2026-10-01", "--to", "2026-10-31")
ROOT = Path(__file__).resolve().parents[2]  # the repo
MARKER_PREFIX = "timebill:"

# Billomat clients of the seed (core/sandbox/billomat_seed.py).
MUELLER, SCHAEFER, GRUENWALD, HOEFER, STADTWERKE = "812301", "812302", "812303", "812304", "812305"
ALPENBLICK = "812309"  # CHF, only in Billomat
GRUENWALD_DRAFT = "7563703"  # the seeded draft


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class BillingEnv:
    server: SandboxServer
    tracker: str
    config: Path
    data: Path

    # -- the CLI -----------------------------------------------------------------------------
    def run(self, *argv: str) -> Run:
        """`timebill ARGV` in this process, as the console script runs it."""
        from timebill.tui.main import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
        return Run(code, out.getvalue(), err.getvalue())

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIMEBILL_")}
        env.update(
            TIMEBILL_CONFIG=str(self.config),
            TIMEBILL_DATA_DIR=str(self.data),
            PYTHONPATH=str(ROOT),
        )
        return env

    def spawn(self, *argv: str) -> subprocess.Popen[bytes]:
        """`timebill ARGV` as a separate process (for kill tests)."""
        return subprocess.Popen(
            [sys.executable, "-m", "timebill.tui.main", *argv],
            cwd=ROOT,
            env=self.environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    # -- the journal -------------------------------------------------------------------------
    def journal(self) -> Journal:
        return Journal(self.data / "journal.sqlite3")

    def plans(self, *states: str) -> list[PlanRecord]:
        with self.journal() as journal:
            return journal.plans(*states)

    # -- Billomat state ----------------------------------------------------------------------
    def invoices(self) -> list[dict[str, Any]]:
        return self.server.billomat.invoices()

    def timebill_invoices(self) -> list[dict[str, Any]]:
        """Invoices carrying a plan's marker (created by timebill)."""
        return [i for i in self.invoices() if i["customfield"].startswith(MARKER_PREFIX)]

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        return next(i for i in self.invoices() if i["id"] == invoice_id)

    # -- tracker state -----------------------------------------------------------------------
    def entries(self) -> dict[str, dict[str, Any]]:
        """Every stored tracker entry by id (a deep copy)."""
        name = "time_entries" if self.tracker == "mite" else "entries"
        with self.server.store.lock:
            rows = self.server.store.collection(self.tracker, name).values()
            return {str(r["id"]): dict(r) for r in rows}

    def billed(self) -> set[str]:
        """Ids of entries marked billed: mite locked, clockodo billable=2."""
        return {i for i, r in self.entries().items() if is_billed(self.tracker, r)}

    def service_id(self, name: str) -> int:
        with self.server.store.lock:
            services = self.server.store.collection(self.tracker, "services").values()
            return int(next(s["id"] for s in services if s["name"] == name))

    def add_entry(
        self,
        day: dt.date,
        *,
        like: str,
        service: str | None = None,
        hourly_rate: float | None = None,
        minutes: int = 45,
    ) -> str:
        """A new open entry through the tracker's API, with the customer/project/service of
        entry `like` (or the service named); returns its id. `hourly_rate`: clockodo only."""
        model = dict(self.entries()[like])
        if service is not None:
            model["service_id" if self.tracker == "mite" else "services_id"] = self.service_id(
                service
            )
        return post_tracker_entry(
            httpx.post,
            self.server.credentials()[self.tracker],
            self.tracker,
            day,
            model,
            "added after the preview",
            minutes=minutes,
            hourly_rate=hourly_rate,
        )


def is_billed(tracker: str, record: dict[str, Any]) -> bool:
    return bool(record["locked"]) if tracker == "mite" else record["billable"] == 2


def changed(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> set[str]:
    """Ids of entries whose stored record differs (or that appeared or vanished)."""
    return {i for i in before.keys() | after.keys() if before.get(i) != after.get(i)}


@contextlib.contextmanager
def billing_env(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tracker: str,
    **sandbox: Any,
) -> Iterator[BillingEnv]:
    with SandboxServer(today=TODAY, **sandbox) as server:
        config = tmp_path / "config" / "config.toml"
        data = tmp_path / "data"
        save_settings(demo_config(server, tracker), config)
        for name in list(os.environ):
            if name.startswith("TIMEBILL_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("TIMEBILL_CONFIG", str(config))
        monkeypatch.setenv("TIMEBILL_DATA_DIR", str(data))
        yield BillingEnv(server, tracker, config, data)
