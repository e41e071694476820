"""The central trace store in Postgres: run headers, trace records and each run's budget ledger
(agentroute/store/postgres_ledger.py), shared by every process and machine that runs tasks.

Tables are created on first use. Every write is committed as it is made (one statement each);
a database that cannot be reached fails with one AgentRouteError line instead of running a call
whose cost could not be held against the budget.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentroute.budget import validate_cap
from agentroute.store.location import database_url, postgres_url
from agentroute.store.postgres_connection import PostgresConnection
from agentroute.store.postgres_ledger import LEDGER_DDL, PostgresAccount
from agentroute.trace import RunInfo, TraceRecord, TraceStore

TRACE_DDL = """
CREATE TABLE IF NOT EXISTS agentroute_runs (
    run_id TEXT PRIMARY KEY, created DOUBLE PRECISION NOT NULL, cap_usd DOUBLE PRECISION NOT NULL,
    pool TEXT NOT NULL, policy TEXT NOT NULL, outcome TEXT, task JSONB NOT NULL
);
CREATE TABLE IF NOT EXISTS agentroute_records (
    id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, attempt_key TEXT, step INTEGER NOT NULL,
    cost_nanos BIGINT NOT NULL, body JSONB NOT NULL, UNIQUE (run_id, attempt_key)
);
CREATE INDEX IF NOT EXISTS agentroute_records_run ON agentroute_records (run_id, id);
"""
_START = """
INSERT INTO agentroute_runs (run_id, created, cap_usd, pool, policy, outcome, task)
VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT (run_id) DO NOTHING
"""
_UPSERT = """
INSERT INTO agentroute_records (run_id, attempt_key, step, cost_nanos, body) VALUES (%s, %s, %s, %s, %s::jsonb)
ON CONFLICT (run_id, attempt_key) DO UPDATE SET cost_nanos = EXCLUDED.cost_nanos, body = EXCLUDED.body
"""


class PostgresTraceStore(TraceStore):
    """Runs, trace records and budget ledgers in the Postgres database at `location` (a
    postgresql:// URL; default $AGENTROUTE_DB)."""

    def __init__(self, location: str | Path | None = None, *, connect_timeout: float = 10.0) -> None:
        url = postgres_url(str(location)) if location is not None else database_url()
        assert url is not None, "TraceStore chose Postgres without a URL"
        self._db = PostgresConnection(url, connect_timeout=connect_timeout)
        self.url = url
        self.where = self._db.where
        self._db.migrate(TRACE_DDL + LEDGER_DDL)

    def start_run(self, info: RunInfo) -> RunInfo:
        self._db.execute(_START, (info.run_id, info.created, info.cap_usd, info.pool, info.policy, info.outcome,
                                  json.dumps(info.task)))
        stored = self.find_run(info.run_id)
        assert stored is not None
        return stored

    def finish_run(self, run_id: str, outcome: str) -> None:
        self._db.execute("UPDATE agentroute_runs SET outcome = %s WHERE run_id = %s", (outcome, run_id))

    def append(self, record: TraceRecord) -> None:
        self._db.execute(_UPSERT, (record.run_id, record.attempt_key, record.step, record.cost_nanos,
                                   record.model_dump_json()))

    def find_run(self, run_id: str) -> RunInfo | None:
        rows = self._db.execute(
            "SELECT run_id, created, cap_usd, pool, policy, outcome, task FROM agentroute_runs WHERE run_id = %s",
            (run_id,))
        if not rows:
            return None
        run_id, created, cap_usd, pool, policy, outcome, task = rows[0]
        return RunInfo(run_id=run_id, created=created, cap_usd=cap_usd, pool=pool, policy=policy, outcome=outcome,
                       task=task)

    def run_ids(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT run_id FROM agentroute_runs ORDER BY created DESC")]

    def records(self, run_id: str) -> list[TraceRecord]:
        rows = self._db.execute("SELECT body FROM agentroute_records WHERE run_id = %s ORDER BY id", (run_id,))
        return [TraceRecord.model_validate(row[0]) for row in rows]

    def flush(self, timeout: float | None = None) -> int:
        return 0  # every record is committed as it is appended

    def close(self) -> None:
        self._db.close()

    def ledger_account(self, run_id: str, cap_usd: float) -> PostgresAccount:
        """The run's ledger row, shared by every process on the run; reservations that processes
        which died left open are billed at their reserve."""
        return PostgresAccount(self._db, run_id, validate_cap(cap_usd))
