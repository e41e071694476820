"""Where runs are kept: a SQLite file on this machine (the embedded default) or one Postgres
database shared by many processes and machines (`AGENTROUTE_DB=postgresql://…`).

`agentroute.trace.TraceStore(location)` opens the backend a location names; `open_checkpointer`
gives LangGraph's checkpointer for the same place.
"""

from agentroute.store.checkpoints import open_checkpointer
from agentroute.store.location import DB_ENV, database_url, is_postgres

__all__ = ["DB_ENV", "database_url", "is_postgres", "open_checkpointer"]
