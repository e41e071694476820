"""The SQLite trace store: one file on this machine (the embedded default).

A locked or slow database never fails a call: writes it refuses wait in a backlog that a
background writer retries (tenacity) until they are stored; reads see the backlog too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from agentroute.errors import AgentRouteError
from agentroute.home import trace_store_path
from agentroute.trace import RunInfo, TraceRecord, TraceStore

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
_UPSERT = """
INSERT INTO records (run_id, step, cost_nanos, body, attempt_key) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (run_id, attempt_key) DO UPDATE SET cost_nanos = excluded.cost_nanos, body = excluded.body
"""


class SqliteTraceStore(TraceStore):
    """Run headers and trace records in one SQLite file (WAL mode, safe across processes).

    `busy_timeout` is how long one trace record waits for a lock before it joins the backlog
    (run headers and reads wait up to 30 s, as before); `close_timeout` how long `close` waits
    for the backlog to be written.
    """

    def __init__(self, path: str | Path | None = None, *, busy_timeout: float = 2.0, close_timeout: float = 60.0) -> None:
        self.path = Path(path) if path is not None else trace_store_path()
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            why = "a file is in the way" if isinstance(error, (FileExistsError, NotADirectoryError)) else error.strerror
            raise AgentRouteError(f"trace store {self.path}: cannot create its folder {self.path.parent} ({why})") from None
        self.close_timeout = close_timeout
        self._lock = threading.Lock()
        self._records_lock = threading.Lock()
        self._backlog: list[TraceRecord] = []
        self._backlog_changed = threading.Condition()
        self._writer: threading.Thread | None = None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
            if "attempt_key" not in columns:  # a store written before pending records existed
                self._db.execute("ALTER TABLE records ADD COLUMN attempt_key TEXT")
            self._db.execute("CREATE UNIQUE INDEX IF NOT EXISTS records_attempt ON records(run_id, attempt_key)")
            self._db.commit()
            self._records_db = sqlite3.connect(self.path, check_same_thread=False, timeout=busy_timeout)
        except sqlite3.DatabaseError as error:
            raise AgentRouteError(f"trace store {self.path} is not readable: {error}") from None

    def close(self) -> None:
        """Write the backlog (waiting up to close_timeout), then close the connection. Raises
        AgentRouteError naming the records still unwritten if the database stayed locked."""
        unwritten = self.flush(self.close_timeout)
        with self._lock, self._records_lock:
            self._db.close()
            self._records_db.close()
        if unwritten:
            raise AgentRouteError(f"trace store {self.path} stayed locked: {unwritten} trace records were not written")

    def flush(self, timeout: float | None = None) -> int:
        """Wait until the backlog is written (or timeout seconds); returns how many records remain."""
        with self._backlog_changed:
            self._backlog_changed.wait_for(lambda: not self._backlog, timeout)
            return len(self._backlog)

    def _write(self, sql: str, parameters: tuple[Any, ...]) -> None:
        with self._lock, self._db:
            self._db.execute(sql, parameters)

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
        """Store one record (replacing the earlier record of the same attempt) and commit it; if
        the database is locked, queue it for the background writer instead. Never raises for a lock."""
        with self._backlog_changed:
            if not self._backlog:
                try:
                    self._store(record)
                    return
                except sqlite3.OperationalError:
                    pass
            self._backlog.append(record)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_backlog, name="agentroute-trace", daemon=True)
                self._writer.start()

    def _store(self, record: TraceRecord) -> None:
        with self._records_lock, self._records_db:
            self._records_db.execute(
                _UPSERT, (record.run_id, record.step, record.cost_nanos, record.model_dump_json(), record.attempt_key))

    def _write_backlog(self) -> None:
        """Write queued records in order, retrying while the database stays locked."""
        retrying = Retrying(retry=retry_if_exception_type(sqlite3.OperationalError),
                            wait=wait_exponential(multiplier=0.05, max=2.0), stop=stop_after_delay(24 * 3600), reraise=True)
        while True:
            with self._backlog_changed:
                if not self._backlog:
                    self._writer = None  # decided under the lock: the next queued record starts a writer
                    return
                record = self._backlog[0]
            try:
                retrying(self._store, record)
            except BaseException:
                with self._backlog_changed:
                    self._writer = None
                raise
            with self._backlog_changed:
                self._backlog.pop(0)
                self._backlog_changed.notify_all()

    def run_ids(self) -> list[str]:
        """Every run id, newest first."""
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT run_id FROM runs ORDER BY created DESC")]

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

    def records(self, run_id: str) -> list[TraceRecord]:
        """The run's records (one per attempt, the latest state) in the order they were first
        written, the backlog included."""
        with self._backlog_changed:
            backlog = [record for record in self._backlog if record.run_id == run_id]
        with self._lock:
            rows = self._db.execute("SELECT body FROM records WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()
        records = [TraceRecord.model_validate_json(row[0]) for row in rows]
        position = {record.attempt_key: index for index, record in enumerate(records) if record.attempt_key}
        for record in backlog:
            key = record.attempt_key
            if key is not None and key in position:
                records[position[key]] = record
                continue
            if key is not None:
                position[key] = len(records)
            records.append(record)
        return records
