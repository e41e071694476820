"""`AgentRoute`: one router configuration behind the three integration doors.

It holds the pool, the policy name, the per-task budget and the trace store, and hands out one
`Router` per run id. Inside a LangGraph run the run id is the thread id of the config (or its
`agentroute_run_id`), so a resumed thread, or a new run on it, gets its router back with its spend
restored from the trace store.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentroute.budget import validate_cap
from agentroute.credentials import require_keys
from agentroute.errors import ConfigError
from agentroute.policies import DEFAULT_POLICY, make_policy
from agentroute.policies.learned import train_step_model
from agentroute.policies.sufficiency import SufficiencyModel
from agentroute.pool import Pool, load_pool
from agentroute.router import Router
from agentroute.router_settings import RouterSettings
from agentroute.trace import RunInfo, TraceStore

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from agentroute.integrations.chat_model import RoutedChatModel
    from agentroute.integrations.middleware import AgentRouteMiddleware


RUN_KEY = "agentroute_run_id"
"""The `configurable` key that names a graph run's agentroute run (router, budget, trace) when it
is not the thread id. The LangGraph server's own `run_id` changes with every run on a thread, so
it is never used: one thread is one budget across its runs."""


def run_id_of(config: Mapping[str, Any]) -> str | None:
    """The agentroute run of a LangGraph config: its RUN_KEY, else its thread id."""
    configurable = config.get("configurable") or {}
    run_id = configurable.get(RUN_KEY) or configurable.get("thread_id")
    return str(run_id) if run_id is not None else None


class GraphCall(BaseModel):
    """Where a routed call runs: inside a LangGraph graph or not, its thread id and node."""

    in_graph: bool = False
    thread_id: str | None = None  # the agentroute run: RUN_KEY, else the thread id
    node: str | None = None


def current_graph_call() -> GraphCall:
    """The agentroute run (see `run_id_of`) and node name of the runnable being executed, if any."""
    try:
        from langgraph.config import get_config

        config = get_config()
    except (RuntimeError, ImportError):
        return GraphCall()
    node = (config.get("metadata") or {}).get("langgraph_node")
    return GraphCall(in_graph=node is not None, thread_id=run_id_of(config), node=node)


def _store(memory: Any) -> Any:
    """The ExperienceMemory for a `memory` argument (an ExperienceMemory, a store path, or None)."""
    if memory is None:
        return None
    from agentroute.memory.store import ExperienceMemory

    return memory if isinstance(memory, ExperienceMemory) else ExperienceMemory(memory)


def _experience(store: Any) -> Any:
    """The experience source over a store, or None. A memory that fails during a run turns off
    for that run with one warning (see memory/guard.py)."""
    if store is None:
        return None
    from agentroute.memory.experience import MemoryExperience
    from agentroute.memory.guard import SurvivingExperience
    from agentroute.memory.records import Retrieval

    return SurvivingExperience(MemoryExperience(store, Retrieval(signal="task")))


class AgentRoute:
    """Routing for a family of runs: same pool, policy and per-task budget, one router per run.

    `memory` (an `ExperienceMemory` or a store path) turns on the C-A-F loop for the step
    policies: each decision is written with its outcome, task outcomes are credited back when a
    run finishes, similar past steps sharpen each tier's expected success, and the learned
    policy's model is fitted on the shipped seed plus the memory's labeled and credited steps
    (once, here). `use_seed=False` starts the learned policy cold: only the memory teaches it.
    `tier_floor` (a tier name) is the cheapest tier its routers may use (see `Router`)."""

    def __init__(
        self,
        *,
        pool: Pool | str | Path | None = None,
        policy: str = DEFAULT_POLICY,
        budget_usd: float = 0.50,
        store: TraceStore | str | Path | None = None,
        settings: RouterSettings | None = None,
        task: dict[str, Any] | None = None,
        seed: int = 0,
        run_id: str | None = None,
        memory: Any = None,
        use_seed: bool = True,
        tier_floor: str | None = None,
    ) -> None:
        validate_cap(budget_usd)
        self.pool = pool if isinstance(pool, Pool) else load_pool(pool)
        make_policy(policy, self.pool)  # fail early on an unknown policy name
        self.tier_floor = self.pool.tier_named(tier_floor).index if tier_floor is not None else 0
        self.policy_name = policy
        self.budget_usd = budget_usd
        self.store = store if isinstance(store, TraceStore) else TraceStore(store)
        self.settings = settings or RouterSettings()
        self.task = dict(task or {})
        self.seed = seed
        self.explicit_run_id = run_id
        self.default_run_id = run_id or f"run-{uuid.uuid4().hex[:12]}"
        self.memory = _store(memory)
        self.experience = _experience(self.memory)
        self.step_model = self._step_model(use_seed)
        self._routers: dict[str, Router] = {}
        self._lock = threading.Lock()

    def router(self, run_id: str | None = None, *, budget_usd: float | None = None) -> Router:
        """The router of a run (created, or restored from the trace store, on first use).
        `budget_usd` sets the cap of a new run (default: this configuration's budget); a run
        that already exists keeps the cap it started with."""
        run_id = run_id or self.default_run_id
        with self._lock:
            router = self._routers.get(run_id)
            if router is None:
                info = self.store.start_run(RunInfo(
                    run_id=run_id, created=time.time(), cap_usd=budget_usd or self.budget_usd, pool=self.pool.source,
                    policy=self.policy_name, task=self.task,
                ))
                router = Router(
                    self.pool, make_policy(self.policy_name, self.pool, seed=self.seed, experience=self.experience,
                                           step_model=self.step_model),
                    budget_usd=info.cap_usd, run_id=run_id, store=self.store, settings=self.settings, task=info.task,
                    tier_floor=self.tier_floor,
                )
                self._routers[run_id] = router
            return router

    def _step_model(self, use_seed: bool) -> SufficiencyModel | None:
        """The learned policy's model for this configuration (None for other policies or untrained).
        A memory that cannot be read is left out of the fit, with one warning."""
        if self.policy_name != "learned":
            return None
        from agentroute.memory.errors import MemoryUnavailable

        try:
            return train_step_model(use_seed=use_seed, memory=self.memory)
        except MemoryUnavailable as error:
            logging.getLogger("agentroute.memory").warning("warning: %s; the learned policy fits without the memory", error)
            return train_step_model(use_seed=use_seed)

    def current_router(self) -> tuple[Router, str | None]:
        """The router for the LangGraph thread being executed, and the node.

        Each thread id is one task with its own budget. A graph invoked without a thread id is
        refused (its calls would otherwise share one budget with every other such invocation)
        unless this AgentRoute was given a `run_id`; calls outside any graph use that run."""
        call = current_graph_call()
        if call.in_graph and call.thread_id is None and self.explicit_run_id is None:
            raise ConfigError(
                "no thread id: each task gets its own budget by its thread id, so invoke the graph with "
                "config={'configurable': {'thread_id': 'TASK-ID'}} (or give AgentRoute(run_id=...) to share one run)"
            )
        return self.router(call.thread_id), call.node

    def chat_model(self, **kwargs: Any) -> RoutedChatModel:
        """A LangChain chat model whose every call is routed by this configuration (checks the
        pool's API keys now, as `agentroute run` does)."""
        from agentroute.integrations.chat_model import RoutedChatModel

        require_keys(self.pool)
        return RoutedChatModel(agentroute=self, **kwargs)

    def middleware(self) -> AgentRouteMiddleware:
        """Middleware for `langchain.agents.create_agent` that routes every model request (checks
        the pool's API keys now, as `agentroute run` does)."""
        from agentroute.integrations.middleware import AgentRouteMiddleware

        require_keys(self.pool)
        return AgentRouteMiddleware(self)

    def supervise(self, agent: Any, *, checkpointer: Any = None) -> CompiledStateGraph:
        """Wrap a compiled graph, agent or callable in a budget-carrying supervising graph."""
        from agentroute.integrations.supervisor import supervise

        return supervise(agent, self, checkpointer=checkpointer)
