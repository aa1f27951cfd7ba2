"""Hostile and odd data from the APIs, for mite and for clockodo: shown safely as plain text by
the commands (`timebill entries` as table, CSV and JSON, the invoice preview, `timebill check`,
error lines), never a crash, never a corrupted plan.

Notes come in through the trackers' APIs (POST, as a coworker would type them). What an API
would refuse but a server could still send (nulls, missing fields, zero and negative durations,
entries without customer, project or service) is written into the emulators' store. Shapes the
mite emulator cannot store (it keeps entries compact and renders them: a number sent as a
string, an unknown field, a field left out) are applied to its answers on the wire.

"Shown safely": no control character (ESC, BEL, NUL, C1 CSI, DEL ...) and no bidi override in
anything printed, markup like `[bold red]` shown literally, and the JSON output still carries
each note exactly as the tracker sent it (escaped). "Never corrupts a plan": the entries that can
be billed are planned, each on exactly one line, the lines add up to the totals, and Billomat's
draft says the same.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from billing_env import MUELLER
from reliability_support import SUMMARY, Env, module_env, touch
from timebill.core.money import totals
from timebill.core.sandbox import mite_data
from timebill.core.sandbox.server import Response
from timebill.core.sources.clockodo import ClockodoSource
from timebill.core.sources.mite import MiteSource

TRACKERS = ("mite", "clockodo")
FIRST_DAY = dt.date(2026, 2, 2)

ESCAPES = (
    "\x1b[31mRot\x1b[0m \x1b]0;pwned-title\x07 "
    "\x1b]8;;http://evil.example\x1b\\Klick\x1b]8;;\x1b\\ \x1b[2J\x1b[H"
)
MARKUP = "[bold red]Alarm[/bold red] [link=http://evil.example]klick[/link] [/] [@click=quit]x[/]"
CONTROLS = "A\x00B\x07C\x08D\x7fE\rF\x9b31mG\x85H\u2028I\tJ"
LONG = "Langer Text " * 834  # 10,008 characters
WORLD = "Fix 🎉👩‍💻 done, שלום עולם, مرحبا \u202eevil\u202c \u2067x\u2069"
# Allowed in output: newlines; ZWJ/ZWNJ (emoji sequences) and RTL letters are printable.
KEEP = frozenset("\n\u200d\u200c")
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe(text: str) -> list[str]:
    """Characters a terminal would act on instead of showing."""
    return sorted(
        {
            repr(ch)
            for ch in text
            if ch not in KEEP
            and (unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch in BIDI)
        }
    )


MISSING = object()


@pytest.fixture(scope="module", params=TRACKERS)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with module_env(tmp_path_factory.mktemp(f"hostile-{request.param}"), request.param) as env:
        env.traffic.rewrites.append(_rewriter(env))
        yield env


def _rewriter(env: Env) -> Callable[[Any, str, Any], Any]:
    """Applies `env.wire_edits` (entry id -> {field: value or MISSING}) to entry listings."""

    def rewrite(request: Any, service: str, response: Any) -> Any:
        edits = env.wire_edits
        listing = request.method == "GET" and request.path in (
            "/time_entries.json",
            "/api/v2/entries",
        )
        if not edits or not listing or response is None or response.status != 200:
            return response
        body = json.loads(response.body)
        rows = [item["time_entry"] for item in body] if service == "mite" else body["entries"]
        for row in rows:
            for name, value in edits.get(str(row["id"]), {}).items():
                if value is MISSING:
                    row.pop(name, None)
                else:
                    row[name] = value
        return Response(200, json.dumps(body).encode(), response.content_type, response.headers)

    return rewrite


@dataclass
class Injected:
    """What a case put into the tracker, and what must come of it."""

    billed: set[str]  # entries the invoice must bill
    skipped: set[str] = field(default_factory=set)  # entries it must leave out
    notes: dict[str, str] = field(default_factory=dict)  # entry id -> note as the API sent it
    # entry id -> (minutes, hourly rate) as `timebill entries --format json` must read them
    numbers: dict[str, tuple[int, Decimal]] = field(default_factory=dict)


def model(env: Env, n: int = 0) -> dict[str, Any]:
    return env.models("Müller")[n]


def notes_case(*notes: str) -> Callable[[Env, dt.date], Injected]:
    def inject(env: Env, day: dt.date) -> Injected:
        made = Injected(billed=set())
        for n, note in enumerate(notes):
            text = f"{env.token(env.tracker)} {note}"
            entry_id = env.add_entry(day, model(env, n % 2), text, hour=7 + n)
            made.billed.add(entry_id)
            made.notes[entry_id] = text
        return made

    return inject


def stored_edits(env: Env, day: dt.date) -> Injected:
    """Nulls, zero and negative durations, no customer/project/service, extra stored fields."""
    made = Injected(billed=set())
    ids = [
        env.add_entry(day, model(env, n % 2), f"{env.token(env.tracker)} odd {n}", hour=7 + n)
        for n in range(6)
    ]
    null_note, zero, negative, orphan, extra, normal = ids
    mite = env.tracker == "mite"
    edits: dict[str, dict[str, Any]] = {
        # A note of null: shown as nothing, billed as any other entry.
        null_note: {"note": None} if mite else {"text": None, "texts_id": None},
        zero: {"minutes": 0} if mite else {"duration": 0},
        negative: {"minutes": -30} if mite else {"duration": -1800},
        orphan: {"project_id": None, "service_id": None}
        if mite
        else {"customers_id": None, "projects_id": None, "services_id": None},
        extra: {"x_future": {"nested": [1, None, "drei"]}, "labels": None},
    }
    for entry_id, change in edits.items():
        env.put_entry({**env.stored(entry_id), **change})
    # A zero-minute entry is billed (0 h at its rate); a negative one never; one without a
    # customer cannot belong to Müller's invoice (and is not even listed for him).
    env.untrack(null_note)
    made.billed = {null_note, zero, extra, normal}
    made.skipped = {negative}
    made.notes = {null_note: ""}
    return made


def wire_edits(env: Env, day: dt.date) -> Injected:
    """Numbers sent as strings, fields left out, unknown fields: as the API might send them."""
    ids = [
        env.add_entry(day, model(env, n % 2), f"{env.token(env.tracker)} wire {n}", hour=7 + n)
        for n in range(3)
    ]
    strings, missing, unknown = ids
    if env.tracker == "mite":
        record = env.stored(strings)
        edits = {
            strings: {
                "id": strings,
                "minutes": str(record["minutes"]),
                "hourly_rate": str(record["hourly_rate"]),
                "revenue": "1234.0",
                "project_id": str(record["project_id"]),
            },
            missing: {"note": MISSING, "user_name": MISSING, "revenue": MISSING},
            unknown: {"x_future": {"a": [1, 2]}, "tags": ["eins", None], "locked_reason": None},
        }
    else:
        record = env.stored(strings)
        edits = {
            strings: {
                "id": strings,
                "duration": str(record["duration"]),
                "hourly_rate": str(record["hourly_rate"]),
                "billable": "1",
                "customers_id": str(record["customers_id"]),
                "revenue": "71.25",
            },
            missing: {"text": MISSING, "users_name": MISSING, "revenue": MISSING},
            unknown: {"x_future": {"a": [1, 2]}, "tags": ["eins", None], "hourly_rate_visible": 1},
        }
    env.wire_edits = edits
    env.untrack(missing)
    if env.tracker == "mite":
        numbers = (record["minutes"], Decimal(record["hourly_rate"]) / 100)
    else:
        numbers = ((record["duration"] + 30) // 60, Decimal(str(record["hourly_rate"])))
    return Injected(billed=set(ids), notes={missing: ""}, numbers={strings: numbers})


CASES: dict[str, Callable[[Env, dt.date], Injected]] = {
    "terminal escape sequences": notes_case(ESCAPES, "ok"),
    "Rich/Textual markup": notes_case(MARKUP, "[b]fett[/b]"),
    "control characters": notes_case(CONTROLS),
    "10,000-character note": notes_case(LONG),
    "emoji and right-to-left text": notes_case(WORLD),
    "nulls, zero and negative durations, no customer": stored_edits,
    "numbers as strings, missing and unknown fields": wire_edits,
}


def cli(env: Env, *argv: str) -> Any:
    run = env.run(*argv)
    assert "Traceback" not in run.text, run.text
    assert unsafe(run.text) == [], (unsafe(run.text), run.text[:3000])
    return run


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_entries_are_shown_safely_and_billed_correctly(env: Env, case: str) -> None:
    env.wire_edits = {}
    day = FIRST_DAY + dt.timedelta(days=len(env.created) + env.counter)
    made = CASES[case](env, day)
    period = ("--from", day.isoformat(), "--to", day.isoformat())

    table = cli(env, "entries", *period)
    assert table.code == 0, table.text
    if case == "Rich/Textual markup":
        assert "[bold red]Alarm" in table.out  # as typed, not styled (the column is cut)
    csv_run = cli(env, "entries", *period, "--format", "csv")
    assert csv_run.code == 0
    rows = list(csv.DictReader(io.StringIO(csv_run.out)))
    json_run = cli(env, "entries", *period, "--format", "json")
    assert json_run.code == 0
    listed = {e["id"]: e for e in json.loads(json_run.out)}
    assert {r["id"] for r in rows} == set(listed)
    assert made.billed | made.skipped <= set(listed)
    for entry_id, note in made.notes.items():
        # JSON is for programs: the note exactly as the tracker sent it, only escaped.
        assert listed[entry_id]["note"] == note
    for entry_id, (minutes, rate) in made.numbers.items():
        # Numbers sent as strings are read as the numbers they are.
        assert listed[entry_id]["minutes"] == minutes
        assert Decimal(listed[entry_id]["hourly_rate"]) == rate

    run = cli(env, "invoice", "--customer", "müller", *period, "--yes")
    assert run.code == 0, run.text
    [record] = [r for r in env.billing.plans() if set(r.entry_ids) & (made.billed | made.skipped)]
    plan = record.plan
    assert record.state == "done"
    assert set(plan.entry_ids) == made.billed
    assert sorted(i for line in plan.lines for i in line.entry_ids) == sorted(plan.entry_ids)
    summed = totals(plan.lines)
    assert (summed.net, summed.gross) == (plan.total_net, plan.total_gross)
    assert sum(line.total_net for line in plan.lines) == plan.total_net
    count = len(made.billed)
    assert f"{count} {'entry' if count == 1 else 'entries'} marked billed" in run.out
    billed = env.billing.billed()
    assert made.billed <= billed and not made.skipped & billed
    if made.skipped:
        assert "Not billed: " in run.out and "invalid duration" in run.out

    draft = next(i for i in env.server.billomat.invoices() if i["id"] == record.invoice_id)
    assert Decimal(draft["total_net"]) == plan.total_net
    assert Decimal(draft["total_gross"]) == plan.total_gross
    for item in draft["items"]:
        assert unsafe(item["title"]) == [] and unsafe(item["description"]) == [], item
        assert len(item["description"]) <= 4000
    assert env.check_invariants() == []
    SUMMARY["hostile data"]["cases shown safely, plans intact"] += 1


def test_hostile_names_in_check_entries_and_preview(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Account, customer, project, service and Billomat client names with escapes, markup and
    bidi overrides: `check`, the entries table and the invoice preview show them as text."""
    hostile = "\x1b[5mBlink\x1b[0m [bold red]Name[/] \u202eesrever\u202c\x07"
    day = FIRST_DAY + dt.timedelta(days=len(env.created) + env.counter)
    entry = env.add_entry(day, model(env), f"{env.token(env.tracker)} names")
    store = env.server.store
    mite = env.tracker == "mite"
    record = env.stored(entry)
    kinds = (
        {"projects": record["project_id"], "services": record["service_id"]}
        if mite
        else {"projects": record["projects_id"], "services": record["services_id"]}
    )
    saved = []
    with store.lock:
        for kind, obj_id in kinds.items():
            obj = store.get(env.tracker, kind, str(obj_id))
            assert obj is not None
            saved.append((env.tracker, kind, dict(obj)))
            store.put(env.tracker, kind, {**obj, "name": f"{hostile} {kind}"})
        client = store.get("billomat", "clients", MUELLER)
        assert client is not None
        saved.append(("billomat", "clients", dict(client)))
        store.put("billomat", "clients", {**client, "name": f"{hostile} Müller"})
        if not mite:
            user = next(iter(store.collection("clockodo", "users").values()))
            saved.append(("clockodo", "users", dict(user)))
            store.put("clockodo", "users", {**user, "name": f"{hostile} Anna"})
    if mite:
        monkeypatch.setitem(mite_data.ACCOUNT_JSON, "title", f"{hostile} GmbH")
    touch(env.server, env.tracker)
    try:
        check = cli(env, "check")
        assert check.code == 0, check.text
        assert "[bold red]Name[/]" in check.out
        period = ("--from", day.isoformat(), "--to", day.isoformat())
        table = cli(env, "entries", *period)
        assert "Blink [bold red" in table.out  # as typed, not styled (the column is cut)
        listed = cli(env, "entries", *period, "--format", "csv").out
        assert "Blink [bold red]Name[/] esrever projects" in listed
        preview = cli(
            env,
            "invoice",
            "--customer",
            "müller",
            "--from",
            day.isoformat(),
            "--to",
            day.isoformat(),
            "--client",
            MUELLER,
            "--dry-run",
        )
        assert preview.code == 0, preview.text
        assert "Draft for Blink [bold red]Name[/] esrever Müller" in preview.out
    finally:
        with store.lock:
            for service, kind, obj in saved:
                store.put(service, kind, obj)
        touch(env.server, env.tracker)
    SUMMARY["hostile data"]["cases shown safely, plans intact"] += 1


def test_a_hostile_error_message_is_shown_as_text(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = env.server.emulators[env.tracker]
    plain = emulator.error

    def error(status: int, message: str) -> Response:
        return plain(status, "\x1b]0;owned\x07\x1b[31m[bold]Zugriff verweigert[/bold]\x1b[0m\x9b2J")

    monkeypatch.setattr(emulator, "error", error)
    path = "/time_entries.json" if env.tracker == "mite" else "/api/v2/entries"
    env.server.faults.add("status", service=env.tracker, method="GET", path=path, status=422)
    try:
        run = cli(env, "entries", "--from", "2026-10-01", "--to", "2026-10-31")
    finally:
        env.server.faults.clear()
    assert run.code == 1
    assert run.out == ""
    assert "rejected the request: [bold]Zugriff verweigert[/bold]" in run.err
    assert len(run.err.splitlines()) == 1
    SUMMARY["hostile data"]["cases shown safely, plans intact"] += 1


def test_entries_that_move_between_pages_are_listed_once(env: Env) -> None:
    """Small pages; after the first page is served, two entries appear at the top of the list,
    so every later page starts with entries already seen. Each comes back exactly once."""
    days = [dt.date(2026, 6, 1) + dt.timedelta(days=n) for n in range(13)]
    ours = [env.add_entry(day, model(env, n % 2), f"page {n}") for n, day in enumerate(days[1:])]
    inner = env.server.dispatch
    moved: list[str] = []
    path = "/time_entries.json" if env.tracker == "mite" else "/api/v2/entries"

    def dispatch(request: Any, service: str) -> Any:
        response = inner(request, service)
        first_page = request.arg("page") == "1" and request.path == path
        if request.method == "GET" and first_page and not moved:
            moved.extend(env.add_entry(days[0], model(env), f"early {n}") for n in range(2))
        return response

    env.server.dispatch = dispatch  # type: ignore[method-assign]
    try:
        creds = env.server.credentials()[env.tracker]
        found = asyncio.run(_list(env.tracker, creds, days[0], days[-1]))
    finally:
        env.server.dispatch = inner  # type: ignore[method-assign]
    ids = [e.id for e in found]
    assert len(ids) == len(set(ids)), "an entry came twice"
    assert set(ours) <= set(ids), "an entry that was there all along went missing"
    assert moved and set(ids) <= set(ours) | set(moved)
    SUMMARY["hostile data"]["cases shown safely, plans intact"] += 1


async def _list(tracker: str, creds: dict[str, str], start: dt.date, end: dt.date) -> list[Any]:
    if tracker == "mite":
        async with MiteSource(
            creds["account"], creds["api_key"], base_url=creds["base_url"], page_size=5
        ) as source:
            return await source.entries(start, end)
    async with ClockodoSource(
        creds["email"], creds["api_key"], base_url=creds["base_url"], page_size=5
    ) as source:
        return await source.entries(start, end)


@pytest.mark.parametrize(
    "field", ["minutes", "date"], ids=["a duration that is no number", "a date that is no date"]
)
def test_an_unreadable_entry_ends_in_one_clear_line(env: Env, field: str) -> None:
    """A value no reading can make sense of: one line naming the entry, exit 1, nothing billed."""
    day = dt.date(2026, 7, 1) + dt.timedelta(days=len(env.created))
    entry = env.add_entry(day, model(env), f"{env.token(env.tracker)} unreadable")
    mite = env.tracker == "mite"
    name = {
        "minutes": "minutes" if mite else "duration",
        "date": "date_at" if mite else "time_since",
    }
    env.wire_edits = {entry: {name[field]: "gestern" if field == "date" else "viel"}}
    period = ("--from", day.isoformat(), "--to", day.isoformat())
    try:
        for argv in (("entries", *period), ("invoice", "--customer", "müller", *period, "--yes")):
            run = cli(env, *argv)
            assert (run.code, run.out) == (1, ""), run.text
            assert len(run.err.splitlines()) == 1 and entry in run.err, run.err
    finally:
        env.wire_edits = {}
    assert entry not in env.billing.billed()
    SUMMARY["hostile data"]["cases shown safely, plans intact"] += 1
