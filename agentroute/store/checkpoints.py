"""LangGraph's checkpointer for the store in use: Postgres (langgraph-checkpoint-postgres) for
the central store, else a SQLite file on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentroute.config_files import error_line
from agentroute.errors import AgentRouteError
from agentroute.home import checkpoint_path
from agentroute.store.location import database_url, redact


def open_checkpointer(db: str | None = None) -> Any:
    """A PostgresSaver on `db` (or $AGENTROUTE_DB), its tables created on first use; without
    either, a SqliteSaver on $AGENTROUTE_HOME/checkpoints.sqlite."""
    url = database_url(db)
    return sqlite_checkpointer() if url is None else postgres_checkpointer(url)


def sqlite_checkpointer(path: str | Path | None = None) -> Any:
    """A SQLite checkpointer on `path` (default: $AGENTROUTE_HOME/checkpoints.sqlite), for sync and
    async runs alike (`invoke` and `ainvoke`/`astream`)."""
    from agentroute.integrations.checkpoints import SqliteCheckpointer

    return SqliteCheckpointer(checkpoint_path() if path is None else path)


def postgres_checkpointer(url: str) -> Any:
    """LangGraph's PostgresSaver on its own connection, its migrations run one process at a time."""
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    from agentroute.store.postgres_connection import SCHEMA_LOCK

    try:
        conn = psycopg.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row, connect_timeout=10)
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        saver = PostgresSaver(conn)
        saver.setup()
        conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
    except psycopg.Error as error:
        raise AgentRouteError(f"cannot reach the database {redact(url)}: {error_line(error)}") from None
    return saver
