"""One connection to the central Postgres store: errors as one line, DDL on first use, and the
owner lock that tells other processes this one is alive."""

from __future__ import annotations

import secrets
import threading
from typing import Any

from agentroute.config_files import error_line
from agentroute.errors import AgentRouteError
from agentroute.store.location import postgres_url, redact

# Serialises DDL across processes: two workers creating the tables at once would collide.
SCHEMA_LOCK = 0x6167_7274_7363_6D61  # "agrtscma"


class PostgresConnection:
    """An autocommit psycopg connection shared by this process's threads (one statement at a time).

    `owner` is a random key this connection holds a session advisory lock on for its lifetime:
    when the process dies, Postgres drops the connection and the lock with it, which is how
    another process knows the reservations this one left open are orphans."""

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        import psycopg

        self.url = postgres_url(url)
        self.where = redact(url)
        self._lock = threading.Lock()
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, round(connect_timeout)))
        except psycopg.Error as error:
            raise AgentRouteError(f"cannot reach the database {self.where}: {error_line(error)}") from None
        self.owner = secrets.randbits(63)
        self.execute("SELECT pg_advisory_lock(%s)", (self.owner,))

    def execute(self, sql: str, parameters: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (its own transaction); the rows it returns."""
        import psycopg

        try:
            with self._lock:
                cursor = self._conn.execute(sql, parameters)
                return cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as error:
            raise AgentRouteError(f"database {self.where}: {error_line(error)}") from None

    def migrate(self, ddl: str) -> None:
        """Create the tables if they are missing, one process at a time."""
        import psycopg

        try:
            with self._lock, self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                self._conn.execute(ddl)
        except psycopg.Error as error:
            raise AgentRouteError(f"database {self.where}: cannot create the tables: {error_line(error)}") from None

    def close(self) -> None:
        """Close the connection (releasing the owner lock)."""
        with self._lock:
            self._conn.close()
