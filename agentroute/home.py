"""Where agentroute keeps its files: $AGENTROUTE_HOME, or ./.agentroute by default."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The directory for the trace store and checkpoints (not created here)."""
    return Path(os.environ.get("AGENTROUTE_HOME", ".agentroute"))


def trace_store_path() -> Path:
    """Default SQLite file of run traces."""
    return home() / "runs.sqlite"


def checkpoint_path() -> Path:
    """Default SQLite file of LangGraph checkpoints."""
    return home() / "checkpoints.sqlite"
