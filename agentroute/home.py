"""Where agentroute keeps its files: $AGENTROUTE_HOME, or ./.agentroute by default."""

from __future__ import annotations

import os
from pathlib import Path

from agentroute.errors import ConfigError


def home() -> Path:
    """The directory for the trace store and checkpoints (not created here); ConfigError when a
    file is in its place."""
    path = Path(os.environ.get("AGENTROUTE_HOME") or ".agentroute")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"AGENTROUTE_HOME {path} is a file, not a directory: point it at a directory")
    return path


def trace_store_path() -> Path:
    """Default SQLite file of run traces."""
    return home() / "runs.sqlite"


def checkpoint_path() -> Path:
    """Default SQLite file of LangGraph checkpoints."""
    return home() / "checkpoints.sqlite"
