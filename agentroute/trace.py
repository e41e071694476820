"""The decision trace: one record per model attempt (and per budget stop), stored in SQLite.

Each record is committed as soon as it is written, so a killed process loses nothing already
billed; a resumed run rebuilds its ledger from these records.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentroute.errors import AgentRouteError, UnknownRun
from agentroute.home import trace_store_path
from agentroute.money import usd


class TraceRecord(BaseModel):
    """One attempt of one step: what was chosen, why, what it used and what it cost."""

    run_id: str
    step: int
    attempt: int = 0
    kind: str = "model"
    node: str | None = None
    tier: int | None = None
    tier_name: str | None = None
    model: str | None = None
    reason: str = ""
    max_tokens: int | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reserved_nanos: int = 0
    cost_nanos: int = 0
    outcome: str = "ok"
    error: str | None = None
    latency_ms: float = 0.0
    ts: float = Field(default_factory=time.time)

    @property
    def cost_usd(self) -> float:
        """Billed cost in USD."""
        return usd(self.cost_nanos)


class RunInfo(BaseModel):
    """A run's header: its budget, pool, policy and outcome."""

    run_id: str
    created: float
    cap_usd: float
    pool: str
    policy: str
    outcome: str | None = None
    task: dict[str, Any] = Field(default_factory=dict)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created REAL, cap_usd REAL, pool TEXT, policy TEXT,
    outcome TEXT, task TEXT
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step INTEGER, cost_nanos INTEGER,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_run ON records(run_id, id);
"""


class TraceStore:
    """Run headers and trace records in one SQLite file (WAL mode, safe across processes)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else trace_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise AgentRouteError(f"trace store {self.path} is not readable: {error}") from None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, parameters: Iterable[Any]) -> None:
        with self._lock, self._db:
            self._db.execute(sql, tuple(parameters))

    def start_run(self, info: RunInfo) -> RunInfo:
        """Record a new run, or return the stored header when the run already exists."""
        existing = self.find_run(info.run_id)
        if existing is not None:
            return existing
        self._write(
            "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
            (info.run_id, info.created, info.cap_usd, info.pool, info.policy, info.outcome, json.dumps(info.task)),
        )
        return info

    def finish_run(self, run_id: str, outcome: str) -> None:
        """Set a run's outcome."""
        self._write("UPDATE runs SET outcome = ? WHERE run_id = ?", (outcome, run_id))

    def append(self, record: TraceRecord) -> None:
        """Store one record and commit it."""
        self._write(
            "INSERT INTO records (run_id, step, cost_nanos, body) VALUES (?, ?, ?, ?)",
            (record.run_id, record.step, record.cost_nanos, record.model_dump_json()),
        )

    def find_run(self, run_id: str) -> RunInfo | None:
        """The run's header, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT run_id, created, cap_usd, pool, policy, outcome, task FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        if row is None:
            return None
        return RunInfo(
            run_id=row[0], created=row[1], cap_usd=row[2], pool=row[3], policy=row[4], outcome=row[5],
            task=json.loads(row[6] or "{}"),
        )

    def run(self, run_id: str) -> RunInfo:
        """The run's header, or UnknownRun."""
        info = self.find_run(run_id)
        if info is None:
            raise UnknownRun(f"no run {run_id!r} in trace store {self.path}")
        return info

    def runs(self) -> list[RunInfo]:
        """All runs, newest first."""
        with self._lock:
            ids = [row[0] for row in self._db.execute("SELECT run_id FROM runs ORDER BY created DESC")]
        return [self.run(run_id) for run_id in ids]

    def records(self, run_id: str) -> list[TraceRecord]:
        """The run's records in the order they were written."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM records WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()
        return [TraceRecord.model_validate_json(row[0]) for row in rows]

    def spent_nanos(self, run_id: str) -> int:
        """Everything billed to the run so far."""
        with self._lock:
            row = self._db.execute("SELECT COALESCE(SUM(cost_nanos), 0) FROM records WHERE run_id = ?", (run_id,)).fetchone()
        return int(row[0])

    def export_jsonl(self, run_id: str, path: Path) -> int:
        """Write the run's records as JSON lines; returns how many were written."""
        records = self.records(self.run(run_id).run_id)
        with path.open("w") as out:
            for record in records:
                out.write(record.model_dump_json() + "\n")
        return len(records)
