"""What the router may see when it routes one call: the step context."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agentroute.signals import Signals


class StepContext(BaseModel):
    """Everything a policy may read at one LLM call of a task.

    `tier_reserve_usd[t]` is the worst-case cost of this call on tier t's first model (counted
    prompt × dearest input rate + max_tokens × output rate); `tier_mean_cost_usd[t]` is the mean
    billed cost of this run's earlier calls on tier t, or None before the first one.
    """

    run_id: str
    step: int = Field(ge=0, description="0-based index of this call within the task")
    node: str | None = None
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    max_tokens: int
    cap_usd: float
    spent_usd: float
    remaining_usd: float
    tier_reserve_usd: list[float]
    tier_mean_cost_usd: list[float | None]
    expected_remaining_steps: int
    previous_tier: int | None = None
    previous_outcome: str | None = None
    model_last_used: dict[str, float] = Field(default_factory=dict)
    signals: Signals = Field(default_factory=Signals)
    task: dict[str, Any] = Field(default_factory=dict)
