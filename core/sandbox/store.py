"""In-memory state of the emulators, with an optional append-only log so state survives a restart.

The seed is regenerated from its parameters on every start (fast and deterministic); the log
holds only the changes made through the APIs since, and is replayed on top. Appending one line per
change keeps a SIGKILL of the sandbox from losing anything that was answered.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, TextIO


class Store:
    def __init__(self, log_path: str | os.PathLike[str] | None = None) -> None:
        self.lock = threading.RLock()
        self._data: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self.log_path = Path(log_path) if log_path else None
        self._log: TextIO | None = None
        self.meta: dict[str, Any] = {}
        # Goes up with every change: emulators key their caches of filtered lists on it.
        self.version = 0

    # -- reading ---------------------------------------------------------------------------
    def collection(self, service: str, name: str) -> dict[str, dict[str, Any]]:
        """The live dict of one collection (id -> object). Hold `lock` while iterating."""
        return self._data.setdefault((service, name), {})

    def get(self, service: str, name: str, obj_id: str) -> dict[str, Any] | None:
        return self.collection(service, name).get(str(obj_id))

    # -- writing ---------------------------------------------------------------------------
    def seed(self, service: str, name: str, obj: dict[str, Any]) -> None:
        """Initial data: not logged (it is regenerated from the seed parameters)."""
        obj_id = str(obj["id"])
        self.collection(service, name)[obj_id] = obj
        self._bump(service, name, obj_id)
        self.version += 1

    def put(self, service: str, name: str, obj: dict[str, Any]) -> None:
        with self.lock:
            obj_id = str(obj["id"])
            self.collection(service, name)[obj_id] = obj
            self._bump(service, name, obj_id)
            self.version += 1
            self._append({"s": service, "c": name, "id": obj_id, "o": obj})

    def delete(self, service: str, name: str, obj_id: str) -> dict[str, Any] | None:
        with self.lock:
            gone = self.collection(service, name).pop(str(obj_id), None)
            self.version += 1
            if gone is not None:
                self._append({"s": service, "c": name, "id": str(obj_id), "del": True})
            return gone

    def next_id(self, service: str, name: str, start: int = 1) -> int:
        with self.lock:
            key = (service, name)
            value = max(self._counters.get(key, start - 1) + 1, start)
            self._counters[key] = value
            return value

    def _bump(self, service: str, name: str, obj_id: str) -> None:
        if obj_id.isdigit():
            key = (service, name)
            self._counters[key] = max(self._counters.get(key, 0), int(obj_id))

    # -- persistence -----------------------------------------------------------------------
    def open_log(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Read the log's meta line (the seed parameters of its first start) and return it,
        or write `meta` as the first line of a new log."""
        if self.log_path is None:
            self.meta = meta
            return meta
        if self.log_path.exists() and self.log_path.stat().st_size:
            with self.log_path.open(encoding="utf-8") as fh:
                first = fh.readline()
            try:
                self.meta = json.loads(first)["meta"]
            except (ValueError, KeyError, TypeError):
                raise SystemExit(f"sandbox: {self.log_path} is not a sandbox state file") from None
        else:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("w", encoding="utf-8") as fh:
                fh.write(json.dumps({"meta": meta}) + "\n")
            self.meta = meta
        return self.meta

    def replay(self) -> int:
        """Apply the logged changes on top of the seed; then start appending. Returns the count."""
        if self.log_path is None:
            return 0
        applied = 0
        with self.log_path.open(encoding="utf-8") as fh:
            next(fh, None)
            for line in fh:
                try:
                    change = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill: the change was never answered
                key = (change["s"], change["c"])
                if change.get("del"):
                    self.collection(*key).pop(change["id"], None)
                else:
                    self.collection(*key)[change["id"]] = change["o"]
                    self._bump(change["s"], change["c"], change["id"])
                applied += 1
        self.version += 1
        self._log = self.log_path.open("a", encoding="utf-8")
        return applied

    def _append(self, change: dict[str, Any]) -> None:
        if self._log is not None:
            self._log.write(json.dumps(change, ensure_ascii=False, default=str) + "\n")
            self._log.flush()

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
