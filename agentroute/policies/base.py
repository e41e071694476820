"""The policy protocol: decide a tier from a step context, observe what happened."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from agentroute.context import StepContext


class Decision(BaseModel):
    """A routing decision. `model` pins one model of the tier; None means the tier's order."""

    tier: int = Field(ge=0)
    reason: str
    model: str | None = None
    max_tokens: int | None = Field(default=None, gt=0)


class Feedback(BaseModel):
    """The outcome of one routed call (tool and test results arrive in the next step's signals)."""

    ok: bool
    outcome: str
    tier: int
    model: str | None = None
    cost_usd: float = 0.0
    error: str | None = None


@runtime_checkable
class Policy(Protocol):
    """A router: one small object with a `decide` method, and hooks to learn."""

    name: str

    def decide(self, context: StepContext) -> Decision:
        """Choose the tier for this call."""
        ...

    def observe(self, context: StepContext, decision: Decision, feedback: Feedback) -> None:
        """Learn from the outcome of the call made for `decision`."""
        ...

    def finish(self, outcome: str) -> None:
        """The task ended with `outcome` (resolved, unresolved, budget_exhausted, …)."""
        ...


class StatelessPolicy:
    """Base for policies that do not learn: observe and finish do nothing."""

    name = "stateless"

    def observe(self, context: StepContext, decision: Decision, feedback: Feedback) -> None:
        """Nothing to learn."""

    def finish(self, outcome: str) -> None:
        """Nothing to credit."""


def failed_since_last_call(context: StepContext) -> bool:
    """Whether the step since the previous call shows trouble: a failed call, or a newest tool
    output that failed (non-zero exit, failing tests or an error)."""
    return context.previous_outcome not in (None, "ok") or context.signals.last_tool_failed
