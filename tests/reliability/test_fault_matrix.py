"""The fault matrix: every fault the sandbox can inject, on every request a billing run makes, for
mite and for clockodo, through the `timebill` commands a user runs.

Faults: 429 with and without Retry-After, 500, 503, a read timeout, a dropped connection, a JSON
body cut in half, a proxy's HTML error page (502), and 401 in the middle of a run (the key
revoked after some requests went through). Operations: verify (`timebill check`), list entries,
list Billomat clients and articles, create a draft, add items to an existing draft, mark entries
billed (each through `timebill invoice`).

Each scenario bills three fresh entries of its own day. Transient faults are retried (the waits
recorded, not slept) and the run succeeds; a request that may have been carried out is never
repeated blindly: the draft is looked up by its marker, or the run ends in a clear message and
`timebill resume` finishes it; a permanent fault ends in a typed error's message. After
`timebill resume` the invariants are checked in the emulators' state (reliability_support).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import timebill.core.http
from billing_env import GRUENWALD_DRAFT, is_billed
from reliability_support import Env, module_env
from timebill.core.billing import transaction

TRACKERS = ("mite", "clockodo")
# A read timeout: the client gives up after READ_TIMEOUT s.
READ_TIMEOUT = 0.3
FIRST_DAY = dt.date(2026, 1, 5)  # scenario days: before the seed's three months, one each

FAULTS: dict[str, dict[str, Any]] = {
    "429 with Retry-After": {"kind": "rate_limit", "retry_after": 2, "count": 2},
    # Billomat's window (X-Rate-Limit-Reset) ends in 30 s: timebill waits for it and goes on.
    "429 without Retry-After": {"kind": "rate_limit", "count": 2, "reset_in": 30},
    "500": {"kind": "status", "status": 500, "count": 2},
    "503": {"kind": "status", "status": 503, "count": 2},
    # The client gives up after READ_TIMEOUT s; the sandbox carries the request out only after
    # the run ended ("late"), so a lost create cannot be found at once.
    "read timeout": {"kind": "late", "count": 1},
    "dropped connection": {"kind": "drop", "count": 2},
    "malformed JSON": {"kind": "malformed", "count": 2},
    "HTML error page": {"kind": "html", "status": 502, "count": 2},
    "401 mid-run": {"kind": "status", "status": 401, "count": None},
    # A slow service that answers within the timeout: nothing is retried or doubled.
    "slow answer": {"kind": "latency", "delay": 0.4, "count": 2},
}
OPS = ("verify", "list entries", "Billomat lists", "create draft", "add items", "mark billed")
# Requests a POST fault can hit after the service carried them out or not: never repeated.
MAYBE_DONE = ("500", "read timeout", "dropped connection", "HTML error page")
# ...of which these were not carried out: nothing ever lands (the sandbox did not process them).
LOST_NOT_LANDED = {
    (fault, op)
    for fault in ("500", "dropped connection", "HTML error page")
    for op in ("create draft", "add items")
}


def targets(op: str, tracker: str) -> list[dict[str, Any]]:
    """Where the op's requests go: service, method, path (a substring), and for the 401 how
    many requests of the kind pass first."""
    mite = tracker == "mite"
    return {
        "verify": [
            {"service": tracker, "method": "GET", "path": "/account.json" if mite else "/users/me"},
            {"service": "billomat", "method": "GET", "path": "/api/clients/myself"},
        ],
        "list entries": [
            {
                "service": tracker,
                "method": "GET",
                "path": "/time_entries.json" if mite else "/api/v2/entries",
            }
        ],
        "Billomat lists": [
            {"service": "billomat", "method": "GET", "path": "/api/clients"},
            {"service": "billomat", "method": "GET", "path": "/api/articles"},
        ],
        "create draft": [{"service": "billomat", "method": "POST", "path": "/api/invoices"}],
        # Two lines go in, one POST each: the 401 lets the first through.
        "add items": [
            {"service": "billomat", "method": "POST", "path": "/api/invoice-items", "after": 1}
        ],
        "mark billed": [
            {
                "service": tracker,
                "method": "PATCH" if mite else "PUT",
                "path": "/time_entries/" if mite else "/api/v2/entries/",
                "after": 1,
            }
        ],
    }[op]


@dataclass(frozen=True)
class Outcome:
    says: tuple[str, ...] = ()  # fragments of the first run's output, in the user's words
    billed: bool = True  # after `timebill resume`: the scenario's entries are billed


Expect = dict[int, Outcome]  # the first run's exit code -> what it says and how it ends

SUCCESS = Outcome(("entries marked billed",))
RESUME = "`timebill resume` picks it up from here"


def expect(fault: str, op: str, tracker: str) -> Expect:
    refused = {
        "mite": "mite refused the API key (401 Unauthorized)",
        "clockodo": "clockodo did not accept the login e-mail",
    }[tracker]
    billomat_refused = "Billomat refused the API key (401 Unauthorized)"
    if op == "verify":
        if fault == "401 mid-run":
            verify_refused = {
                "mite": "mite refused the API key for account 'nordlicht' (401 Unauthorized)",
                "clockodo": refused,
            }[tracker]
            return {1: Outcome((verify_refused, billomat_refused), billed=False)}
        return {0: Outcome(("ok",), billed=False)}
    path = "/api/invoice-items" if op == "add items" else "/api/invoices"
    if fault == "401 mid-run":
        return {
            "list entries": {1: Outcome((refused,), billed=False)},
            "Billomat lists": {1: Outcome((billomat_refused,), billed=False)},
            "create draft": {
                1: Outcome((f"The draft could not be created: {billomat_refused}", RESUME))
            },
            "add items": {
                1: Outcome(
                    (
                        f"The lines could not be added to draft {GRUENWALD_DRAFT}: "
                        f"{billomat_refused}",
                        RESUME,
                    )
                )
            },
            "mark billed": {
                4: Outcome(
                    (
                        "The draft exists, but 2 entries could not be marked billed",
                        "`timebill resume` tries again",
                    )
                )
            },
        }[op]
    if op in ("create draft", "add items") and fault in MAYBE_DONE:
        what = {
            "500": f"Billomat answered POST {path} with HTTP 500; it may or may not have been carried out.",
            "HTML error page": f"Billomat answered POST {path} with HTTP 502; it may or may not have been carried out.",
            "dropped connection": f"Billomat did not answer POST {path} (connection closed without an answer); it may or may not have been carried out.",
            "read timeout": f"Billomat did not answer POST {path} (timed out waiting for the answer); it may or may not have been carried out.",
        }[fault]
        return {1: Outcome((what, RESUME))}
    if (fault, op) == ("malformed JSON", "add items"):
        what = "Billomat answered POST /api/invoice-items with something that is not JSON"
        return {1: Outcome((what, RESUME))}
    if (fault, op) == ("malformed JSON", "create draft"):
        # The draft was created and its answer cut short: found by its marker at once.
        return {0: Outcome(("found again after an interrupted run", "entries marked billed"))}
    return {0: SUCCESS}


@pytest.fixture(scope="module", params=TRACKERS)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    # A fault on the create or an item's POST lands between it and its customfield PUT; with
    # the sandbox's default (the documented PUT path) such a draft carries no marker, and
    # finding it anyway is the marker lookup's job (issue 9, merged separately). Until then the
    # matrix runs against the create-takes-customfield reading of digest UNCERTAIN 6.
    with module_env(
        tmp_path_factory.mktemp(f"matrix-{request.param}"), request.param, create_takes_marker=True
    ) as env:
        yield env


def make_entries(env: Env, op: str, day: dt.date) -> list[str]:
    """Three open entries on `day`: two of one service, one of another (so two lines)."""
    first, second = env.models("Grünwald" if op == "add items" else "Müller")[:2]
    return [
        env.add_entry(day, model, f"{env.token(env.tracker)} {what}", hour=8 + n)
        for n, (model, what) in enumerate(
            [(first, "Konzept"), (first, "Umsetzung"), (second, "Abstimmung")]
        )
    ]


def command(op: str, day: dt.date) -> tuple[str, ...]:
    if op == "verify":
        return ("check",)
    period = ("--from", day.isoformat(), "--to", day.isoformat())
    if op == "add items":
        return (
            "invoice",
            "--customer",
            "Grünwald",
            *period,
            "--into-draft",
            GRUENWALD_DRAFT,
            "--yes",
        )
    return ("invoice", "--customer", "müller", *period, "--yes")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_scenario(env: Env, fault: str, op: str, monkeypatch: pytest.MonkeyPatch) -> None:
    server = env.server
    server.faults.clear()
    env.waits.waits.clear()
    day = FIRST_DAY + dt.timedelta(days=env.counter)
    ours = [] if op == "verify" else make_entries(env, op, day)
    if fault == "read timeout":
        monkeypatch.setattr(
            timebill.core.http, "DEFAULT_TIMEOUT", httpx.Timeout(5.0, read=READ_TIMEOUT)
        )
    options = {k: v for k, v in FAULTS[fault].items()}
    rules = [server.faults.add(**{**options, **target}) for target in targets(op, env.tracker)]

    run = env.run(*command(op, day))
    for rule in rules:
        rule.release.set()  # a "late" request lands now, after the run gave up on it
    env.traffic.wait_idle()  # a request the client gave up on has landed by now
    fired = [rule.fired for rule in rules]
    if (
        fault in ("429 without Retry-After", "401 mid-run")
        and op == "Billomat lists"
        and run.code == 1
    ):
        # Clients and articles are asked together; when the first refusal stops the run (a
        # 401, or a 429 whose window ends more than two minutes from now), the other request
        # may not have left yet: on a busy machine it never does.
        assert any(fired), [(r.path, r.seen, r.fired) for r in rules]
    else:
        assert all(fired), [(r.path, r.seen, r.fired) for r in rules]
    outcomes = expect(fault, op, env.tracker)
    assert run.code in outcomes, run.text
    wanted = outcomes[run.code]
    for text in wanted.says:
        assert text in run.text, (text, run.text)
    assert "Traceback" not in run.text
    if fault == "429 with Retry-After" and run.code == 0:
        assert any(2.0 <= w <= 2.2 for w in env.waits.waits), env.waits.waits
    elif fault in ("429 without Retry-After", "503") and run.code == 0:
        assert env.waits.waits, "retried without any backoff"

    server.faults.clear()  # the fault is over (the key fixed, the service back)
    resumed = env.run("resume")
    if (fault, op) in LOST_NOT_LANDED:
        # The request may have been carried out and nothing shows it was: resume does not send
        # it again while it could still land; once that window has passed, it does.
        assert resumed.code == 4, resumed.text
        assert "may still reach Billomat" in resumed.err
        monkeypatch.setattr(transaction, "LATE_WINDOW", dt.timedelta(0))
        resumed = env.run("resume")
    assert resumed.code == 0, resumed.text
    assert env.billing.plans("pending", "created") == []

    holders = env.holders()
    entries = env.billing.entries()
    tokens = [t for t, i in env.created.items() if i in ours]
    for token in tokens:
        billed = is_billed(env.tracker, entries[env.created[token]])
        assert billed is wanted.billed, (token, run.text, resumed.text)
        assert len(holders.get(token, [])) == int(wanted.billed), (token, holders.get(token))
    if wanted.billed:
        # All three on one draft: a new one, or the existing draft for "add items".
        drafts = {holders[t][0] for t in tokens}
        assert len(drafts) == 1, drafts
        if op == "add items":
            assert drafts == {GRUENWALD_DRAFT}
    assert env.check_invariants() == []
