"""The routed SWE coding agent as a module-level graph, for `langgraph dev` (see langgraph.json).

Configured from the environment: AGENTROUTE_POOL (pool file; default: the built-in pool),
AGENTROUTE_POLICY (default: learned), AGENTROUTE_BUDGET (USD per thread, across all its runs;
default 0.50), AGENTROUTE_MEMORY_URL (a Chroma server) or AGENTROUTE_MEMORY (a store directory)
for the experience memory (neither set: no memory). Start a run with the input
`{"task": "evals/swe/local__semver-1"}` and a thread id. See docs/langgraph.md.
From the CLI, `agentroute run` builds the same graph with a SQLite checkpointer.
"""

from __future__ import annotations

import os
from typing import Any

from agentroute.app import AgentRoute
from agentroute.budget import parse_budget
from agentroute.policies import DEFAULT_POLICY
from agentroute.swe.agent import build_agent


def memory_from_environment() -> Any:
    """The experience memory AGENTROUTE_MEMORY_URL or AGENTROUTE_MEMORY names (the URL wins), or None."""
    if not (os.environ.get("AGENTROUTE_MEMORY_URL") or os.environ.get("AGENTROUTE_MEMORY")):
        return None
    from agentroute.memory.store import ExperienceMemory

    return ExperienceMemory()  # reads both variables, as the CLI does


route = AgentRoute(
    pool=os.environ.get("AGENTROUTE_POOL") or None,
    policy=os.environ.get("AGENTROUTE_POLICY", DEFAULT_POLICY),
    budget_usd=parse_budget(os.environ.get("AGENTROUTE_BUDGET", "0.50"), "AGENTROUTE_BUDGET"),
    memory=memory_from_environment(),
)
graph = build_agent(route)
