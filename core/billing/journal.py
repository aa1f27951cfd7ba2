"""The journal (SQLite, stdlib): remembered assignments, per-client settings, and the billing
journal that makes "create the draft, then mark the entries billed" safe across crashes.

A plan moves pending -> created -> done. Entries of an active plan (pending, created, done) are
held by a unique index, so neither a second plan in this process nor a second timebill process on
the same journal (two SSH logins) can take them: the second `begin` fails and names them.
Released and abandoned plans let go of their entries.

Schema 2 adds what proving and re-checking need: the Billomat account a plan is created in
(`billomat_account`), when a create request whose answer was lost went out (`attempt_at`), and
each entry as it was planned (`plan_entries.snapshot`). A journal of schema 1 is migrated in
place when it is opened; its old plans have no recorded account, so `sync` releases nothing of
them (`timebill abandon` still can).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timebill.core.errors import ConfigError, TimebillError
from timebill.core.models import InvoicePlan

SCHEMA_VERSION = 2
ACTIVE_STATES = ("pending", "created", "done")
UNFINISHED_STATES = ("pending", "created")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assignments (
    account TEXT NOT NULL,          -- the tracker account, e.g. "mite:nordlicht"
    kind TEXT NOT NULL,             -- customer | service | project
    tracker_id TEXT NOT NULL,
    billomat_id TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '', -- the Billomat name at the time, for messages
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, kind, tracker_id)
);
CREATE TABLE IF NOT EXISTS client_settings (
    account TEXT NOT NULL,
    client_id TEXT NOT NULL,
    settings TEXT NOT NULL,         -- JSON
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, client_id)
);
CREATE TABLE IF NOT EXISTS plans (
    id TEXT PRIMARY KEY,
    marker TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    client_id TEXT NOT NULL,
    state TEXT NOT NULL,
    into_draft TEXT,                -- set when the lines go into an existing draft
    invoice_id TEXT,
    invoice_number TEXT,
    final INTEGER NOT NULL DEFAULT 0, -- the invoice left DRAFT: it can no longer be deleted
    plan TEXT NOT NULL,             -- the InvoicePlan as JSON
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS plan_entries (
    plan_id TEXT NOT NULL REFERENCES plans(id),
    account TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    marked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (plan_id, entry_id)
);
-- The invariant "no entry on two invoices", enforced by the database itself.
CREATE UNIQUE INDEX IF NOT EXISTS one_active_plan_per_entry
    ON plan_entries (account, entry_id) WHERE active = 1;
CREATE INDEX IF NOT EXISTS plans_by_state ON plans (state);
"""

# Columns added after schema 1: (table, column, declaration).
MIGRATIONS = (
    ("plans", "billomat_account", "TEXT"),
    ("plans", "attempt_at", "TEXT"),
    ("plans", "attempt_of", "TEXT"),  # what that request was to create: the marker of it
    ("plans", "lost_at", "TEXT"),  # when a create request's answer was lost (kept for the sweep)
    ("plan_entries", "snapshot", "TEXT"),
)
# plan_entries.marked: 1 marked billed, 2 deleted in the tracker before it could be marked.
GONE = 2
# A later step of its own (History): entries taken off a draft one by one. `released` turns 1
# once the tracker has them open again, so an interrupted take-off can be finished.
TAKEN_OFF_SCHEMA = """
CREATE TABLE IF NOT EXISTS taken_off (
    plan_id TEXT NOT NULL REFERENCES plans(id),
    entry_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    released INTEGER NOT NULL DEFAULT 0,
    taken_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, entry_id)
);
"""


class EntriesInProgressError(TimebillError):
    """Some entries already belong to another unfinished or finished plan."""

    def __init__(self, message: str, entry_ids: Iterable[str]) -> None:
        super().__init__(message)
        self.entry_ids = tuple(entry_ids)


@dataclass(frozen=True)
class PlanRecord:
    id: str
    marker: str
    account: str
    client_id: str
    state: str
    into_draft: str | None
    invoice_id: str | None
    invoice_number: str | None
    error: str | None
    final: bool
    created_at: str
    updated_at: str
    plan: InvoicePlan
    entry_ids: tuple[str, ...]
    marked_ids: tuple[str, ...]
    billomat_account: str | None = None
    attempt_at: str | None = None  # a create request went out and its outcome is not known
    attempt_of: str | None = None  # the marker of the draft or line that request creates
    lost_at: str | None = None  # when a create request's answer was lost
    gone_ids: tuple[str, ...] = ()  # deleted in the tracker before they could be marked
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def unmarked_ids(self) -> tuple[str, ...]:
        done = set(self.marked_ids) | set(self.gone_ids)
        return tuple(e for e in self.entry_ids if e not in done)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise ConfigError(
                f"the data dir {folder} is a file, not a folder: point TIMEBILL_DATA_DIR at a "
                "folder (`timebill locate` shows where timebill keeps its journal)."
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # isolation_level=None: we open transactions ourselves (BEGIN IMMEDIATE takes the
            # write lock up front, so two processes serialise instead of failing half-way).
            self._db = sqlite3.connect(self.path, timeout=15.0, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            reason = getattr(err, "strerror", None) or str(err)
            raise ConfigError(
                f"cannot open the journal {self.path} ({reason}): the data dir must be a folder "
                "timebill can write to (TIMEBILL_DATA_DIR; `timebill locate` shows it)."
            ) from None
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._db.executescript(TAKEN_OFF_SCHEMA)
        with self._write() as db:
            for table, column, declaration in MIGRATIONS:
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    # -- assignments -----------------------------------------------------------------------
    def assignments(self, account: str, kind: str) -> dict[str, str]:
        rows = self._db.execute(
            "SELECT tracker_id, billomat_id FROM assignments WHERE account = ? AND kind = ?",
            (account, kind),
        )
        return {row["tracker_id"]: row["billomat_id"] for row in rows}

    def assign(
        self, account: str, kind: str, tracker_id: str, billomat_id: str, label: str = ""
    ) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO assignments (account, kind, tracker_id, billomat_id, label, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, kind, tracker_id) DO UPDATE SET"
                " billomat_id = excluded.billomat_id, label = excluded.label,"
                " updated_at = excluded.updated_at",
                (account, kind, tracker_id, billomat_id, label, _now()),
            )

    def unassign(self, account: str, kind: str, tracker_id: str) -> None:
        with self._write() as db:
            db.execute(
                "DELETE FROM assignments WHERE account = ? AND kind = ? AND tracker_id = ?",
                (account, kind, tracker_id),
            )

    # -- per-client settings -----------------------------------------------------------------
    def client_settings(self, account: str, client_id: str) -> dict[str, Any]:
        row = self._db.execute(
            "SELECT settings FROM client_settings WHERE account = ? AND client_id = ?",
            (account, client_id),
        ).fetchone()
        return json.loads(row["settings"]) if row else {}

    def set_client_settings(self, account: str, client_id: str, settings: dict[str, Any]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO client_settings (account, client_id, settings, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account, client_id) DO UPDATE SET"
                " settings = excluded.settings, updated_at = excluded.updated_at",
                (account, client_id, json.dumps(settings, default=str), _now()),
            )

    # -- the billing journal -------------------------------------------------------------------
    def begin(
        self,
        plan: InvoicePlan,
        account: str,
        *,
        into_draft: str | None = None,
        billomat_account: str | None = None,
        snapshots: dict[str, dict[str, Any]] | None = None,
    ) -> PlanRecord:
        """Record the plan as pending and take its entries. Raises EntriesInProgressError (and
        records nothing) when any entry is already held by another plan. `snapshots`: each
        entry as planned (timebill.core.billing.freshness), checked again before creating."""
        now = _now()
        with self._write() as db:
            held = self._held(db, account, plan.entry_ids)
            if held:
                raise EntriesInProgressError(
                    f"{len(held)} of these entries are already on another invoice or being billed"
                    " (an unfinished invoice or another timebill session): reload the entries,"
                    " or run `timebill resume` to finish unfinished invoices.",
                    held,
                )
            db.execute(
                "INSERT INTO plans (id, marker, account, client_id, state, into_draft, plan,"
                " created_at, updated_at, billomat_account)"
                " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                (
                    plan.id,
                    plan.marker,
                    account,
                    plan.client_id,
                    into_draft,
                    plan.model_dump_json(),
                    now,
                    now,
                    billomat_account,
                ),
            )
            snaps = snapshots or {}
            db.executemany(
                "INSERT INTO plan_entries (plan_id, account, entry_id, snapshot)"
                " VALUES (?, ?, ?, ?)",
                [
                    (
                        plan.id,
                        account,
                        entry_id,
                        json.dumps(snaps[entry_id]) if entry_id in snaps else None,
                    )
                    for entry_id in plan.entry_ids
                ],
            )
        return self.plan(plan.id)

    @staticmethod
    def _held(db: sqlite3.Connection, account: str, entry_ids: Iterable[str]) -> list[str]:
        ids = list(entry_ids)
        held: list[str] = []
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            held += [
                row[0]
                for row in db.execute(
                    f"SELECT entry_id FROM plan_entries WHERE active = 1 AND account = ?"
                    f" AND entry_id IN ({marks})",
                    (account, *part),
                )
            ]
        return held

    def record_created(
        self, plan_id: str, invoice_id: str, invoice_number: str | None = None
    ) -> None:
        self._set(
            plan_id, "created", invoice_id=invoice_id, invoice_number=invoice_number, error=None
        )

    def record_marked(self, plan_id: str, entry_ids: Iterable[str]) -> None:
        ids = list(entry_ids)
        if not ids:
            return
        with self._write() as db:
            db.executemany(
                "UPDATE plan_entries SET marked = 1 WHERE plan_id = ? AND entry_id = ?",
                [(plan_id, entry_id) for entry_id in ids],
            )
            db.execute("UPDATE plans SET updated_at = ? WHERE id = ?", (_now(), plan_id))

    def record_gone(self, plan_id: str, entry_ids: Iterable[str]) -> None:
        """Entries deleted in the tracker before they were marked: nothing left to mark."""
        with self._write() as db:
            db.executemany(
                "UPDATE plan_entries SET marked = ? WHERE plan_id = ? AND entry_id = ?",
                [(GONE, plan_id, entry_id) for entry_id in entry_ids],
            )

    def record_attempt(self, plan_id: str, what: str, when: dt.datetime | None = None) -> None:
        """A create request is about to go out (`what`: the marker of the draft or line it
        creates): until its outcome is known, nobody may send another
        (timebill.core.billing.transaction)."""
        stamp = (when or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        with self._write() as db:
            db.execute(
                "UPDATE plans SET attempt_at = ?, attempt_of = ?, updated_at = ? WHERE id = ?",
                (stamp, what, _now(), plan_id),
            )

    def record_lost(self, plan_id: str) -> None:
        """A create request's answer was lost: a copy may land later (never cleared)."""
        with self._write() as db:
            db.execute("UPDATE plans SET lost_at = ? WHERE id = ?", (_now(), plan_id))

    def clear_attempt(self, plan_id: str) -> None:
        """The request's outcome is known (answered, or refused before it was carried out)."""
        with self._write() as db:
            db.execute(
                "UPDATE plans SET attempt_at = NULL, attempt_of = NULL WHERE id = ?", (plan_id,)
            )

    def set_billomat_account(self, plan_id: str, billomat_account: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE plans SET billomat_account = ? WHERE id = ? AND billomat_account IS NULL",
                (billomat_account, plan_id),
            )

    def record_done(self, plan_id: str) -> None:
        self._set(plan_id, "done", error=None)

    def record_final(self, plan_id: str) -> None:
        with self._write() as db:
            db.execute("UPDATE plans SET final = 1, updated_at = ? WHERE id = ?", (_now(), plan_id))

    def record_error(self, plan_id: str, error: str) -> None:
        """Keep the state (resume continues from it) and remember what went wrong."""
        with self._write() as db:
            db.execute(
                "UPDATE plans SET error = ?, updated_at = ? WHERE id = ?", (error, _now(), plan_id)
            )

    def record_abandoned(self, plan_id: str, reason: str, *, invoice_id: str | None = None) -> None:
        """A plan given up: its entries are free again. `invoice_id`: a draft the user chose to
        keep (any other draft carrying the plan's marker is an extra, and swept)."""
        if invoice_id is None:
            self._set(plan_id, "abandoned", error=reason, release=True)
        else:
            self._set(plan_id, "abandoned", error=reason, release=True, invoice_id=invoice_id)

    def record_released(self, plan_id: str, reason: str = "") -> None:
        """The draft was deleted and the entries released in the tracker."""
        self._set(plan_id, "released", error=reason or None, release=True)

    def _set(self, plan_id: str, state: str, *, release: bool = False, **fields: Any) -> None:
        columns = ", ".join(f"{name} = ?" for name in fields)
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE plans SET state = ?, updated_at = ?{', ' + columns if columns else ''}"
                " WHERE id = ?",
                (state, _now(), *fields.values(), plan_id),
            )
            if cursor.rowcount != 1:
                raise KeyError(plan_id)
            if release:
                db.execute("UPDATE plan_entries SET active = 0 WHERE plan_id = ?", (plan_id,))

    # -- reading -------------------------------------------------------------------------------
    def plan(self, plan_id: str) -> PlanRecord:
        row = self._db.execute("SELECT * FROM plans WHERE id = ?", (plan_id,)).fetchone()
        if row is None:
            raise KeyError(plan_id)
        return self._record(row)

    def plans(self, *states: str, account: str | None = None) -> list[PlanRecord]:
        query = "SELECT * FROM plans"
        clauses, args = [], []
        if states:
            clauses.append(f"state IN ({','.join('?' * len(states))})")
            args += list(states)
        if account is not None:
            clauses.append("account = ?")
            args.append(account)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        rows = self._db.execute(query + " ORDER BY created_at, id", args).fetchall()
        return [self._record(row) for row in rows]

    def by_marker(self, marker: str) -> PlanRecord | None:
        row = self._db.execute("SELECT * FROM plans WHERE marker = ?", (marker,)).fetchone()
        return None if row is None else self._record(row)

    def unfinished(self, account: str | None = None) -> list[PlanRecord]:
        return self.plans(*UNFINISHED_STATES, account=account)

    def in_progress(self, account: str) -> set[str]:
        """Entry ids of unfinished plans: shown as "in progress", never selectable."""
        rows = self._db.execute(
            "SELECT e.entry_id FROM plan_entries e JOIN plans p ON p.id = e.plan_id"
            " WHERE e.account = ? AND e.active = 1 AND p.state IN ('pending', 'created')",
            (account,),
        )
        return {row[0] for row in rows}

    def held(self, account: str) -> set[str]:
        """Entry ids of every active plan (unfinished or done)."""
        rows = self._db.execute(
            "SELECT entry_id FROM plan_entries WHERE account = ? AND active = 1", (account,)
        )
        return {row[0] for row in rows}

    # -- history: drafts of billed entries, single entries taken off a draft ------------------
    def entry_invoices(self, account: str) -> dict[str, tuple[str, str, str]]:
        """entry id -> (plan id, invoice id, invoice number) for every entry an active plan put
        on an invoice."""
        rows = self._db.execute(
            "SELECT e.entry_id, p.id, p.invoice_id, p.invoice_number FROM plan_entries e"
            " JOIN plans p ON p.id = e.plan_id WHERE e.account = ? AND e.active = 1"
            " AND p.invoice_id IS NOT NULL",
            (account,),
        )
        return {row[0]: (row[1], row[2], row[3] or "") for row in rows}

    def take_off(self, plan_id: str, entry_id: str, item_id: str) -> None:
        """The entry's line was deleted from the plan's draft: the plan lets go of the entry
        (released in the tracker next, see `record_taken_off_released`)."""
        with self._write() as db:
            db.execute(
                "UPDATE plan_entries SET active = 0 WHERE plan_id = ? AND entry_id = ?",
                (plan_id, entry_id),
            )
            db.execute(
                "INSERT OR REPLACE INTO taken_off (plan_id, entry_id, item_id, taken_at)"
                " VALUES (?, ?, ?, ?)",
                (plan_id, entry_id, item_id, _now()),
            )
            db.execute("UPDATE plans SET updated_at = ? WHERE id = ?", (_now(), plan_id))

    def record_taken_off_released(self, plan_id: str, entry_id: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE taken_off SET released = 1 WHERE plan_id = ? AND entry_id = ?",
                (plan_id, entry_id),
            )

    def taken_off(self, plan_id: str) -> dict[str, bool]:
        """entry id -> released in the tracker yet, for the entries taken off this plan."""
        rows = self._db.execute(
            "SELECT entry_id, released FROM taken_off WHERE plan_id = ?", (plan_id,)
        )
        return {row[0]: bool(row[1]) for row in rows}

    def _record(self, row: sqlite3.Row) -> PlanRecord:
        # An entry taken off the draft is no longer the plan's: sync or resume must never
        # release or mark it (it may be on another invoice by now).
        entries = self._db.execute(
            "SELECT entry_id, marked, snapshot FROM plan_entries WHERE plan_id = ? AND entry_id"
            " NOT IN (SELECT entry_id FROM taken_off WHERE plan_id = ?) ORDER BY rowid",
            (row["id"], row["id"]),
        ).fetchall()
        return PlanRecord(
            id=row["id"],
            marker=row["marker"],
            account=row["account"],
            client_id=row["client_id"],
            state=row["state"],
            into_draft=row["into_draft"],
            invoice_id=row["invoice_id"],
            invoice_number=row["invoice_number"],
            error=row["error"],
            final=bool(row["final"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            plan=InvoicePlan.model_validate_json(row["plan"]),
            entry_ids=tuple(e["entry_id"] for e in entries),
            marked_ids=tuple(e["entry_id"] for e in entries if e["marked"] == 1),
            gone_ids=tuple(e["entry_id"] for e in entries if e["marked"] == GONE),
            billomat_account=row["billomat_account"],
            attempt_at=row["attempt_at"],
            attempt_of=row["attempt_of"],
            lost_at=row["lost_at"],
            snapshots={e["entry_id"]: json.loads(e["snapshot"]) for e in entries if e["snapshot"]},
        )
