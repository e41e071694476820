"""A task's budget ledger in Postgres, shared by every process and machine working on the task.

One row per run holds (cap, spent, held); one row per open reservation says who holds it. Each
operation is a single atomic statement:

- reserve: `UPDATE … SET reserved = reserved + n WHERE spent + reserved + n <= cap` takes the
  row lock, so concurrent reserves on one task queue up and each sees the others' holds; no
  pair can overspend together (a CHECK constraint on the row backs this up);
- settle/release: delete the reservation and move its money from held to spent (or back);
- reclaim: when a process resumes a task, the reservations of processes that died (their owner
  lock is free, see postgres_connection.py) are billed at their full reserve, as the trace
  counts a call cut off mid-flight.
"""

from __future__ import annotations

from agentroute.store.postgres_connection import PostgresConnection

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS agentroute_ledgers (
    run_id TEXT PRIMARY KEY,
    cap_nanos BIGINT NOT NULL CHECK (cap_nanos > 0),
    spent_nanos BIGINT NOT NULL DEFAULT 0 CHECK (spent_nanos >= 0),
    reserved_nanos BIGINT NOT NULL DEFAULT 0 CHECK (reserved_nanos >= 0),
    CHECK (spent_nanos + reserved_nanos <= cap_nanos)
);
CREATE TABLE IF NOT EXISTS agentroute_reservations (
    id BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES agentroute_ledgers (run_id),
    nanos BIGINT NOT NULL CHECK (nanos >= 0),
    owner BIGINT NOT NULL,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS agentroute_reservations_run ON agentroute_reservations (run_id);
"""

_OPEN = """
INSERT INTO agentroute_ledgers (run_id, cap_nanos) VALUES (%(run)s, %(cap)s) ON CONFLICT (run_id) DO NOTHING
"""
_RESERVE = """
WITH held AS (
    UPDATE agentroute_ledgers SET reserved_nanos = reserved_nanos + %(nanos)s
    WHERE run_id = %(run)s AND spent_nanos + reserved_nanos + %(nanos)s <= cap_nanos
    RETURNING run_id)
INSERT INTO agentroute_reservations (run_id, nanos, owner) SELECT run_id, %(nanos)s, %(owner)s FROM held
RETURNING id
"""
_SETTLE = """
WITH closed AS (DELETE FROM agentroute_reservations WHERE id = %(id)s AND run_id = %(run)s RETURNING nanos)
UPDATE agentroute_ledgers SET spent_nanos = spent_nanos + %(cost)s, reserved_nanos = reserved_nanos - closed.nanos
FROM closed WHERE agentroute_ledgers.run_id = %(run)s
"""
_RECLAIM = """
WITH orphans AS (
    DELETE FROM agentroute_reservations
    WHERE run_id = %(run)s AND owner <> %(owner)s AND pg_try_advisory_xact_lock(owner)
    RETURNING nanos),
total AS (SELECT coalesce(sum(nanos), 0) AS nanos FROM orphans)
UPDATE agentroute_ledgers SET spent_nanos = spent_nanos + total.nanos, reserved_nanos = reserved_nanos - total.nanos
FROM total WHERE agentroute_ledgers.run_id = %(run)s AND total.nanos > 0
"""
_TOTALS = "SELECT cap_nanos, spent_nanos, reserved_nanos FROM agentroute_ledgers WHERE run_id = %(run)s"


class PostgresAccount:
    """The `Account` (agentroute/budget.py) of one run, kept in Postgres.

    Opening it creates the run's row with `cap_nanos` (a row that exists keeps its own cap) and
    bills the reservations that processes which died left open."""

    def __init__(self, db: PostgresConnection, run_id: str, cap_nanos: int) -> None:
        self._db = db
        self.run_id = run_id
        db.execute(_OPEN, {"run": run_id, "cap": cap_nanos})
        db.execute(_RECLAIM, {"run": run_id, "owner": db.owner})
        self.cap_nanos = db.execute(_TOTALS, {"run": run_id})[0][0]

    def reserve(self, nanos: int) -> int | None:
        rows = self._db.execute(_RESERVE, {"run": self.run_id, "nanos": nanos, "owner": self._db.owner})
        return rows[0][0] if rows else None

    def settle(self, reservation_id: int, nanos: int, cost_nanos: int) -> None:
        # A reservation already gone was reclaimed at its full reserve, which the cost never exceeds.
        self._db.execute(_SETTLE, {"run": self.run_id, "id": reservation_id, "cost": cost_nanos})

    def totals(self) -> tuple[int, int]:
        _, spent, held = self._db.execute(_TOTALS, {"run": self.run_id})[0]
        return spent, held

    def restore(self, spent_nanos: int) -> None:
        """The row keeps the run's spend: the trace's sum is not needed."""
