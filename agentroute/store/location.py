"""Which store a location names: `$AGENTROUTE_DB` or `--db` (a postgresql:// URL), else SQLite."""

from __future__ import annotations

import os
from pathlib import Path

from agentroute.config_files import error_line
from agentroute.errors import AgentRouteError

DB_ENV = "AGENTROUTE_DB"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(location: object) -> bool:
    """Whether `location` is a Postgres URL (anything else is a SQLite path)."""
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def database_url(url: str | None = None) -> str | None:
    """The central store's URL: `url` (from --db), else $AGENTROUTE_DB, else None (the embedded
    SQLite default). Raises AgentRouteError for a value that is not a well-formed postgresql:// URL."""
    source = "--db" if url is not None else DB_ENV
    url = url if url is not None else os.environ.get(DB_ENV) or None
    return None if url is None else postgres_url(url, source)


def postgres_url(url: str, source: str = "database URL") -> str:
    """`url`, checked to be a well-formed postgresql:// URL (else one AgentRouteError line)."""
    if not is_postgres(url):
        raise AgentRouteError(f"{source} must be a postgresql:// URL, got {redact(url)!r}")
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        raise AgentRouteError(f"{source}: the Postgres store needs the postgres extra: pip install 'agentroute[postgres]'") from None
    try:
        ports = str(conninfo_to_dict(url).get("port") or "")
    except Exception as error:  # psycopg.ProgrammingError for a malformed URL
        raise AgentRouteError(f"{source}: malformed Postgres URL {redact(url)!r}: {error_line(error)}") from None
    if ports and not all(port.isdigit() for port in ports.split(",")):
        raise AgentRouteError(f"{source}: malformed Postgres URL {redact(url)!r}: port {ports!r} is not a number")
    return url


def store_location(location: str | Path | None) -> str | Path | None:
    """What a trace store opens: the location given, else $AGENTROUTE_DB, else None (SQLite at
    $AGENTROUTE_HOME/runs.sqlite)."""
    return location if location is not None else database_url()


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"

