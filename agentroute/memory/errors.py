"""Errors of the experience memory: unavailable (gone, unreadable) and damaged (records lost)."""

from __future__ import annotations

from agentroute.errors import AgentRouteError


class MemoryUnavailable(AgentRouteError):
    """The store cannot be read or written (removed while in use, unreadable, server down).
    A run routes on without memory; a command reports it and exits non-zero."""


class MemoryDamaged(MemoryUnavailable):
    """Chroma holds fewer records than its side index lists: records were lost outside agentroute.
    Nothing is changed; the message says how to restore or accept what Chroma holds."""
