"""The routed SWE coding agent as a module-level graph, for `langgraph dev` (see langgraph.json).

Configured from the environment: AGENTROUTE_POOL (pool file; default: the built-in pool),
AGENTROUTE_POLICY (default: learned), AGENTROUTE_BUDGET (USD per thread; default 0.50),
AGENTROUTE_MEMORY (experience memory directory; unset: no memory). Start a run with the input
`{"task": "evals/swe/local__semver-1"}` and a thread id.
From the CLI, `agentroute run` builds the same graph with a SQLite checkpointer.
"""

from __future__ import annotations

import os

from agentroute.app import AgentRoute
from agentroute.policies import DEFAULT_POLICY
from agentroute.budget import parse_budget
from agentroute.swe.agent import build_agent

route = AgentRoute(
    pool=os.environ.get("AGENTROUTE_POOL") or None,
    policy=os.environ.get("AGENTROUTE_POLICY", DEFAULT_POLICY),
    budget_usd=parse_budget(os.environ.get("AGENTROUTE_BUDGET", "0.50"), "AGENTROUTE_BUDGET"),
    memory=os.environ.get("AGENTROUTE_MEMORY") or None,
)
graph = build_agent(route)
