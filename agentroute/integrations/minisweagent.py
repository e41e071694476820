"""mini-swe-agent door: a `Model` for `mini`, its batch runners and `DefaultAgent` whose every query
is one routed step under the task's hard budget.

One line of mini's config turns it on (see docs/minisweagent.md)::

    model:
      model_class: agentroute.integrations.minisweagent.AgentRouteModel
      model_name: agentroute          # a label: the pool picks each step's model
      pool: pools/mine.toml           # agentroute's tiers; default: the built-in pool
      budget_usd: 0.50                # the hard cap of this task

It is mini's own `LitellmModel` (same tool-call protocol, parsing, observation templates) with the
completion sent through `Router.complete` instead of litellm; `AgentRouteTextbasedModel` is the
same for mini's text-based model (`mini_textbased.yaml`, actions in fenced blocks). Each model object is one task: mini
and its batch runners build one per instance, so each instance gets its own run and budget. The
cost mini adds up is what the router billed. When the budget cannot pay for another step the
query raises mini's `LimitsExceeded`, so the agent ends the way it ends on its own cost limit;
mini's retry loop is turned off (the router already retries and falls back), so no failure of a
routed step is ever repeated as a new step.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from minisweagent.exceptions import LimitsExceeded
from minisweagent.models.litellm_model import LitellmModel, LitellmModelConfig
from minisweagent.models.litellm_textbased_model import LitellmTextbasedModel, LitellmTextbasedModelConfig
from minisweagent.models.utils.actions_toolcall import BASH_TOOL
from minisweagent.utils.serialize import recursive_merge
from pydantic import Field

from agentroute.app import AgentRoute
from agentroute.errors import AllModelsFailed, BudgetExhausted, BudgetOverrun
from agentroute.money import usd
from agentroute.policies import DEFAULT_POLICY
from agentroute.provider_call import check_call_kwargs
from agentroute.router import Router
from agentroute.router_settings import RouterSettings

BUDGET_STOPS = ("budget_exhausted", "budget_overrun")


class AgentRouteModelConfig(LitellmModelConfig):
    """mini's model config plus where and how to route. `model_kwargs` go to every call (their
    `max_tokens` is the output limit the router fits to the budget); `router` holds RouterSettings."""

    model_name: str = "agentroute"
    pool: str | None = None
    policy: str = DEFAULT_POLICY
    budget_usd: float = 0.50
    trace_store: str | None = None
    memory: str | None = None
    router: dict[str, Any] = Field(default_factory=dict)


_ROUTES: dict[str, AgentRoute] = {}
_ROUTES_LOCK = threading.Lock()


def _shared_route(config: AgentRouteModelConfig) -> AgentRoute:
    """One AgentRoute per routing configuration in this process (pool, policy, stores loaded once),
    so a batch runner's many model objects share them while each keeps its own run."""
    fields = config.model_dump(include={"pool", "policy", "budget_usd", "trace_store", "memory", "router"})
    key = json.dumps(fields, sort_keys=True)
    with _ROUTES_LOCK:
        if key not in _ROUTES:
            _ROUTES[key] = AgentRoute(pool=config.pool, policy=config.policy, budget_usd=config.budget_usd,
                                      store=config.trace_store, memory=config.memory,
                                      settings=RouterSettings(**config.router))
        return _ROUTES[key]


class _RoutedSteps:
    """What makes a mini LitellmModel routed: its completion goes through `Router.complete`."""

    # mini retries a query on any error (10 times, 4–60 s apart); the router has already retried and
    # fallen back, so a failed step ends the query at once instead of coming back as a new step.
    abort_exceptions = [BaseException]
    routed_tools: list[dict[str, Any]] | None = None
    config: AgentRouteModelConfig

    def _start_routing(self) -> None:
        self.agentroute = _shared_route(self.config)
        check_call_kwargs(self.agentroute.pool, self._call_kwargs({}))  # a bad model_kwargs fails here, not mid-task
        self.run_id = f"mini-{uuid.uuid4().hex[:12]}"
        self.router: Router = self.agentroute.router(self.run_id)
        self._step_cost_usd = 0.0

    def _call_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in (self.config.model_kwargs | kwargs).items() if key != "max_tokens"}

    def _query(self, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        """One routed step; a budget stop ends the task through mini's LimitsExceeded."""
        if self.router.outcome in BUDGET_STOPS:
            raise self._limit(self.router.outcome, "the task's budget already stopped it")
        max_tokens = (self.config.model_kwargs | kwargs).get("max_tokens")
        spent_before = self.router.ledger.spent_nanos
        try:
            return self.router.complete(messages, tools=self.routed_tools, max_tokens=max_tokens,
                                        node="mini", **self._call_kwargs(kwargs))
        except BudgetExhausted as stop:
            outcome = BUDGET_STOPS[1] if isinstance(stop, BudgetOverrun) else BUDGET_STOPS[0]
            self.router.finish(outcome)
            raise self._limit(outcome, str(stop)) from stop
        except AllModelsFailed:  # mini's agents end on it (retries are off): the task ends here
            self.router.finish("error")
            raise
        finally:
            self._step_cost_usd = usd(self.router.ledger.spent_nanos - spent_before)

    def _limit(self, outcome: str, why: str) -> LimitsExceeded:
        snapshot = self.router.ledger.snapshot()
        return LimitsExceeded({
            "role": "exit",
            "content": f"LimitsExceeded: {why}",
            "extra": {"exit_status": "LimitsExceeded", "submission": "", "agentroute_outcome": outcome,
                      "spent_usd": snapshot.spent_usd, "cap_usd": snapshot.cap_usd},
        })

    def _calculate_cost(self, response: Any) -> dict[str, float]:
        """What the router billed for the step just taken (all its attempts), so mini's cost limit
        and `instance_cost` see the routed spend."""
        return {"cost": self._step_cost_usd}

    def finish(self, outcome: str) -> None:
        """Record how the task ended (e.g. "resolved" after evaluation): the trace's run outcome and
        the experience memory's credit. Budget stops and failed steps are recorded by the model itself."""
        self.router.finish(outcome)

    def serialize(self) -> dict[str, Any]:
        """mini's model record plus the run id, spend and outcome of the routed task."""
        routed = {"run_id": self.run_id, "trace_store": str(self.agentroute.store.path), "outcome": self.router.outcome,
                  **self.router.ledger.snapshot().model_dump()}
        return recursive_merge(super().serialize(), {"info": {"agentroute": routed}})  # type: ignore[misc]


class AgentRouteModel(_RoutedSteps, LitellmModel):
    """mini-swe-agent's tool-call model (its default), routed: one object = one task = one budget."""

    routed_tools = [BASH_TOOL]

    def __init__(self, **kwargs: Any) -> None:
        LitellmModel.__init__(self, config_class=AgentRouteModelConfig, **kwargs)
        self._start_routing()


class AgentRouteTextbasedModelConfig(AgentRouteModelConfig, LitellmTextbasedModelConfig):
    """The routed config with the text-based model's action regex and format-error template."""


class AgentRouteTextbasedModel(_RoutedSteps, LitellmTextbasedModel):
    """mini-swe-agent's text-based model (actions in ```mswea_bash_command blocks, no tools), routed."""

    def __init__(self, **kwargs: Any) -> None:
        LitellmModel.__init__(self, config_class=AgentRouteTextbasedModelConfig, **kwargs)
        self._start_routing()
