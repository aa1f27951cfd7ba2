"""Shared by the reliability suites (tests/reliability): a sandbox shared by a whole module, fresh
entries made through the trackers' APIs, a wait for the sandbox to fall idle, a gate that holds a
request before the sandbox carries it out, and the billing invariants read from the emulators'
state.

Every entry a suite creates carries a unique token in its note. Billomat items repeat the notes
of the entries they bill (the default line description is "{notes}"), so the emulators' state
alone says which draft holds which entry, without asking timebill's own journal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import timebill.core.http
from billing_env import TODAY, BillingEnv, is_billed
from reliability_summary import SUMMARY as SUMMARY  # re-exported for the suites
from sandbox_support import post_tracker_entry
from timebill.core.cli.demo import demo_config
from timebill.core.http import RetryPolicy
from timebill.core.sandbox import SandboxServer
from timebill.core.sandbox.billomat import CUSTOMFIELD_ON_CREATE_ENV
from timebill.core.settings.model import save_settings

WAIT = 60.0  # seconds: generous for a busy machine; a test fails rather than hangs
TOKEN = re.compile(r"\b(rl-[a-z0-9]+-\d+-\d+)\b")
ENTRY_COLLECTION = {"mite": "time_entries", "clockodo": "entries"}


class Waits:
    """Stands in for asyncio.sleep in RetryPolicy: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Traffic:
    """Wraps the sandbox's dispatch: counts requests in flight, so a test can wait until the
    sandbox is idle (a request the client gave up on has landed) instead of sleeping; can gate
    one kind of request *before* it is carried out (unlike the "hold" fault, which holds the
    answer after); and can rewrite answers on the wire (shapes an emulator cannot store)."""

    def __init__(self, server: SandboxServer) -> None:
        self._inner = server.dispatch
        self._idle = threading.Condition()
        self._busy = 0
        self.gates: list[Gate] = []
        # (request, service, response) -> response: what a server might send instead.
        self.rewrites: list[Callable[[Any, str, Any], Any]] = []
        server.dispatch = self.dispatch  # type: ignore[method-assign]

    def dispatch(self, request: Any, service: str) -> Any:
        with self._idle:
            self._busy += 1
        try:
            for gate in list(self.gates):
                gate.enter(service, request.method, request.path)
            response = self._inner(request, service)
            for rewrite in list(self.rewrites):
                response = rewrite(request, service, response)
            return response
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = WAIT) -> None:
        with self._idle:
            assert self._idle.wait_for(lambda: self._busy == 0, timeout), "sandbox never idle"


@dataclass
class Gate:
    """Holds the first request matching service/method/path before the sandbox carries it out."""

    service: str
    method: str
    path: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    used: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, service: str, method: str, path: str) -> None:
        if service != self.service or method != self.method or self.path not in path:
            return
        with self._lock:
            if self.used:
                return
            self.used = True
        self.arrived.set()
        self.release.wait(WAIT)


@dataclass
class Env:
    """A BillingEnv plus what the reliability suites need around it."""

    billing: BillingEnv
    traffic: Traffic
    waits: Waits
    http: httpx.Client
    created: dict[str, str] = field(default_factory=dict)  # token -> entry id
    ours: set[str] = field(default_factory=set)  # every entry id a suite made
    # entry id -> {field: value}: applied to entry listings on the wire (test_hostile_data)
    wire_edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    baseline_billed: set[str] = field(default_factory=set)
    counter: int = 0

    @property
    def server(self) -> SandboxServer:
        return self.billing.server

    @property
    def tracker(self) -> str:
        return self.billing.tracker

    def run(self, *argv: str) -> Any:
        return self.billing.run(*argv)

    def token(self, label: str) -> str:
        self.counter += 1
        return f"rl-{label}-{self.counter}-{len(self.created)}"

    # -- entries through the tracker's API ---------------------------------------------------
    def models(self, customer: str) -> list[dict[str, Any]]:
        """Stored billable time entries of the customer named (prefix), one per service."""
        store = self.server.store
        with store.lock:
            if self.tracker == "mite":
                customers = store.collection("mite", "customers").values()
                ids = {c["id"] for c in customers if c["name"].startswith(customer)}
                projects = {
                    p["id"]
                    for p in store.collection("mite", "projects").values()
                    if p["customer_id"] in ids
                }
                rows = [
                    dict(e)
                    for e in store.collection("mite", "time_entries").values()
                    if e["project_id"] in projects and e["billable"] and e["hourly_rate"]
                ]
            else:
                customers = store.collection("clockodo", "customers").values()
                ids = {c["id"] for c in customers if c["name"].startswith(customer)}
                rows = [
                    dict(e)
                    for e in store.collection("clockodo", "entries").values()
                    if e["customers_id"] in ids
                    and e["type"] == 1
                    and e["billable"] in (1, 2)
                    and e.get("hourly_rate")
                ]
        by_service: dict[Any, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: r["id"]):
            by_service.setdefault(row.get("service_id", row.get("services_id")), row)
        return list(by_service.values())

    def add_entry(
        self, day: dt.date, model: dict[str, Any], note: str, *, minutes: int = 45, hour: int = 8
    ) -> str:
        """A new open entry like `model` (customer, project, service) through the API."""
        entry_id = post_tracker_entry(
            self.http.post,
            self.server.credentials()[self.tracker],
            self.tracker,
            day,
            model,
            note,
            minutes=minutes,
            hour=hour,
        )
        for token in TOKEN.findall(note):
            self.created[token] = entry_id
        self.ours.add(entry_id)
        return entry_id

    def untrack(self, entry_id: str) -> None:
        """The entry's note (and so its token) is gone: check it by other means."""
        self.created = {t: i for t, i in self.created.items() if i != entry_id}

    def stored(self, entry_id: str) -> dict[str, Any]:
        with self.server.store.lock:
            found = self.server.store.get(self.tracker, ENTRY_COLLECTION[self.tracker], entry_id)
            assert found is not None, entry_id
            return dict(found)

    def put_entry(self, record: dict[str, Any]) -> None:
        """Write an entry straight into the emulator's store (wire oddities the API would
        refuse), and make the emulator forget its cached listings."""
        with self.server.store.lock:
            self.server.store.put(self.tracker, ENTRY_COLLECTION[self.tracker], record)
        touch(self.server, self.tracker)

    # -- invariants --------------------------------------------------------------------------
    def holders(self) -> dict[str, list[str]]:
        """token -> ids of the Billomat invoices whose items carry it (once per item)."""
        found: dict[str, list[str]] = defaultdict(list)
        for invoice in self.server.billomat.invoices():
            for item in invoice["items"]:
                for token in set(TOKEN.findall(item.get("description") or "")):
                    found[token].append(invoice["id"])
        return found

    def check_invariants(self) -> list[str]:
        """Broken invariants over every entry this module created, read from the emulators:
        no entry on two drafts (or twice on one), none marked billed unless a draft holds it,
        no draft holding an entry that stays unmarked, no marker on two invoices or two items,
        and no seed entry touched."""
        broken: list[str] = []
        holders = self.holders()
        entries = self.billing.entries()
        for token, entry_id in self.created.items():
            held = holders.get(token, [])
            billed = is_billed(self.tracker, entries[entry_id])
            if len(held) > 1:
                broken.append(f"entry {entry_id} ({token}) is on {len(held)} items: {held}")
            if billed and not held:
                broken.append(f"entry {entry_id} ({token}) is billed but on no draft")
            if held and not billed:
                broken.append(f"entry {entry_id} ({token}) is on draft {held} but not billed")
        markers = Counter[str]()
        for invoice in self.server.billomat.invoices():
            markers[invoice["customfield"]] += 1
            for item in invoice["items"]:
                markers[item["customfield"]] += 1
        twice = [m for m, n in markers.items() if m and n > 1]
        if twice:
            broken.append(f"markers on two invoices or items: {twice}")
        seed_billed = {
            i for i, r in entries.items() if i not in self.ours and is_billed(self.tracker, r)
        }
        if seed_billed != self.baseline_billed:
            broken.append(
                f"seed entries changed billing state: {sorted(seed_billed ^ self.baseline_billed)}"
            )
        return broken


def touch(server: SandboxServer, tracker: str) -> None:
    """Drop an emulator's cached listings after a change made straight in the store (mite has
    `touch()`; clockodo keys its caches on a version bumped by `_changed`)."""
    if tracker == "mite":
        server.mite.touch()
    else:
        server.clockodo._changed(reorder=True)


@contextlib.contextmanager
def module_env(
    tmp: Path, tracker: str, *, create_takes_marker: bool = False, **sandbox: Any
) -> Iterator[Env]:
    """A sandbox, config and data dir for a whole test module; the default RetryPolicy records
    its waits instead of sleeping them (as tests/test_cli.py does). `create_takes_marker`: the
    Billomat sandbox takes customfield from the create body too (digest UNCERTAIN 6)."""
    waits = Waits()
    with pytest.MonkeyPatch.context() as outer:
        if create_takes_marker:
            outer.setenv(CUSTOMFIELD_ON_CREATE_ENV, "1")
        server = SandboxServer(today=TODAY, **sandbox)
    with pytest.MonkeyPatch.context() as mp, server:
        config = tmp / "config" / "config.toml"
        data = tmp / "data"
        save_settings(demo_config(server, tracker), config)
        for name in list(os.environ):
            if name.startswith("TIMEBILL_"):
                mp.delenv(name)
        mp.setenv("TIMEBILL_CONFIG", str(config))
        mp.setenv("TIMEBILL_DATA_DIR", str(data))
        mp.setattr(timebill.core.http, "RetryPolicy", functools.partial(RetryPolicy, sleep=waits))
        billing = BillingEnv(server, tracker, config, data)
        with httpx.Client(timeout=WAIT) as client:
            env = Env(billing, Traffic(server), waits, client)
            env.baseline_billed = billing.billed()
            yield env
