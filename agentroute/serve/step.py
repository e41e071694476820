"""One request = one routed step: find the task's router, route the call, report what happened.

The routing, pricing, ledger, trace and memory writes are the router's own (`Router.complete`);
this module only maps a request onto it and its outcome back onto what the client receives.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agentroute.app import AgentRoute
from agentroute.errors import AllModelsFailed, BudgetExhausted, BudgetOverrun, DeadlineExceeded
from agentroute.money import usd
from agentroute.router import Router
from agentroute.serve.errors import UpstreamFailed, UpstreamTimeout
from agentroute.serve.request import ChatRequest
from agentroute.serve.tasks import TaskRef

Outcome = Literal["ok", "budget_exhausted", "budget_overrun"]


class StepReport(BaseModel):
    """What the client learns about its step (the `agentroute` field and X-AgentRoute-* headers)."""

    task: str
    run_id: str
    outcome: Outcome
    step: int | None = None
    tier: str | None = None
    model: str | None = None
    reason: str = ""
    cost_usd: float = 0.0
    spent_usd: float
    budget_usd: float
    remaining_usd: float
    message: str | None = None

    def headers(self) -> dict[str, str]:
        """The report as response headers."""
        values = {"Task": self.task, "Run": self.run_id, "Outcome": self.outcome, "Tier": self.tier,
                  "Model": self.model, "Spent-USD": f"{self.spent_usd:.9f}", "Budget-USD": f"{self.budget_usd:g}",
                  "Remaining-USD": f"{self.remaining_usd:.9f}"}
        return {f"X-AgentRoute-{name}": value for name, value in values.items() if value is not None}


class StepResult(BaseModel):
    """The reply of a routed step (a litellm response, or its chunks when streaming), or none
    when the budget stopped the task; with its report."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reply: Any = None
    report: StepReport


def _report(router: Router, ref: TaskRef, outcome: Outcome, message: str | None = None) -> StepReport:
    snapshot = router.ledger.snapshot()
    last = next((record for record in reversed(router.records)
                 if record.kind == "model" and record.outcome.startswith("ok")), None) if outcome == "ok" else None
    return StepReport(
        task=ref.task, run_id=ref.run_id, outcome=outcome, message=message,
        step=last.step if last else None, tier=last.tier_name if last else None, model=last.model if last else None,
        reason=last.reason if last else "", cost_usd=usd(last.cost_nanos) if last else 0.0,
        spent_usd=snapshot.spent_usd, budget_usd=snapshot.cap_usd, remaining_usd=snapshot.remaining_usd,
    )


def _stop(route: AgentRoute, router: Router, ref: TaskRef, error: BudgetExhausted) -> StepResult:
    """The task cannot pay for another call: end its run once (crediting the memory) and report."""
    outcome: Outcome = "budget_overrun" if isinstance(error, BudgetOverrun) else "budget_exhausted"
    info = route.store.find_run(ref.run_id)
    if info is not None and info.outcome is None:
        router.finish(outcome)
    return StepResult(report=_report(router, ref, outcome, f"[agentroute] Stopping: {error}"))


def routed_step(route: AgentRoute, ref: TaskRef, request: ChatRequest, node: str | None) -> StepResult:
    """Route the request as the next step of its task. Raises UpstreamFailed/UpstreamTimeout when
    every model tried failed; a budget stop is a result, not an error."""
    router = route.router(ref.run_id, budget_usd=ref.budget_usd)
    kwargs = {**request.provider_kwargs(), "drop_params": True}
    if request.stream:
        kwargs["stream"] = True
    try:
        reply = router.complete(request.messages, tools=request.tools, node=node, max_tokens=request.output_limit,
                                **kwargs)
    except BudgetExhausted as error:
        return _stop(route, router, ref, error)
    except DeadlineExceeded as error:
        raise UpstreamTimeout(str(error)) from None
    except AllModelsFailed as error:
        raise UpstreamFailed(str(error)) from None
    return StepResult(reply=list(reply) if request.stream else reply, report=_report(router, ref, "ok"))
