"""`AgentRoute`: one router configuration behind the three integration doors.

It holds the pool, the policy name, the per-task budget and the trace store, and hands out one
`Router` per run id. Inside a LangGraph run the run id is the thread id of the config, so a
resumed thread gets its router back with its spend restored from the trace store.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentroute.budget import validate_cap
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


def current_thread_and_node() -> tuple[str | None, str | None]:
    """The LangGraph thread id and node name of the runnable being executed, if any."""
    try:
        from langgraph.config import get_config

        config = get_config()
    except (RuntimeError, ImportError):
        return None, None
    thread_id = (config.get("configurable") or {}).get("thread_id")
    node = (config.get("metadata") or {}).get("langgraph_node")
    return (str(thread_id) if thread_id is not None else None), node


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
    (once, here). `use_seed=False` starts the learned policy cold: only the memory teaches it."""

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
    ) -> None:
        validate_cap(budget_usd)
        self.pool = pool if isinstance(pool, Pool) else load_pool(pool)
        make_policy(policy, self.pool)  # fail early on an unknown policy name
        self.policy_name = policy
        self.budget_usd = budget_usd
        self.store = store if isinstance(store, TraceStore) else TraceStore(store)
        self.settings = settings or RouterSettings()
        self.task = dict(task or {})
        self.seed = seed
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
        """The router for the LangGraph thread being executed (or the default run), and the node."""
        thread_id, node = current_thread_and_node()
        return self.router(thread_id), node

    def chat_model(self, **kwargs: Any) -> RoutedChatModel:
        """A LangChain chat model whose every call is routed by this configuration."""
        from agentroute.integrations.chat_model import RoutedChatModel

        return RoutedChatModel(agentroute=self, **kwargs)

    def middleware(self) -> AgentRouteMiddleware:
        """Middleware for `langchain.agents.create_agent` that routes every model request."""
        from agentroute.integrations.middleware import AgentRouteMiddleware

        return AgentRouteMiddleware(self)

    def supervise(self, agent: Any, *, checkpointer: Any = None) -> CompiledStateGraph:
        """Wrap a compiled graph, agent or callable in a budget-carrying supervising graph."""
        from agentroute.integrations.supervisor import supervise

        return supervise(agent, self, checkpointer=checkpointer)
