"""What a routing server is configured with (the `agentroute serve` options)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from agentroute.budget import validate_cap
from agentroute.errors import BudgetError


class ServeSettings(BaseModel):
    """Server configuration: the routing (pool, policy, stores) and the per-task budget rules.

    `budget_usd` is the cap of a task that names none; `max_budget_usd` the most a client may
    ask for with `X-AgentRoute-Budget` (default: `budget_usd`, so clients may only lower it).
    `api_key`, when set, is the bearer token every request must carry."""

    model_config = ConfigDict(frozen=True)

    budget_usd: float = 0.50
    max_budget_usd: float | None = None
    pool: str | Path | None = None
    policy: str = "learned"
    store: Path | None = None
    memory: Path | None = None
    use_memory: bool = True
    api_key: SecretStr | None = None
    routed_model_name: str = Field(default="agentroute", description="the model id /v1/models lists")

    @model_validator(mode="after")
    def _budgets_are_valid(self) -> ServeSettings:
        validate_cap(self.budget_usd)
        if self.max_budget_usd is not None:
            validate_cap(self.max_budget_usd)
            if self.max_budget_usd < self.budget_usd:
                raise BudgetError(f"--max-budget ${self.max_budget_usd:g} is below --budget ${self.budget_usd:g}")
        return self

    @property
    def budget_ceiling_usd(self) -> float:
        """The largest per-task budget a client may ask for."""
        return self.max_budget_usd if self.max_budget_usd is not None else self.budget_usd
