"""The router's settings: the knobs of one run's call loop, and the safety margin its prompt reserve keeps."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from agentroute.errors import ConfigError

MIN_PROMPT_MARGIN = 1.1
MIN_PROMPT_SLACK_TOKENS = 32


class RouterSettings(BaseModel):
    """Knobs of the call loop. Defaults suit real providers; tests shrink the waits.

    `timeout` bounds each read from the provider; `deadline` bounds one whole call (every retry
    and fallback) in wall-clock seconds. The prompt reserve is counted tokens × `prompt_margin`
    + `prompt_slack_tokens`, never below MIN_PROMPT_MARGIN / MIN_PROMPT_SLACK_TOKENS.
    """

    max_tokens: int = Field(default=4096, gt=0)
    min_max_tokens: int = Field(default=256, gt=0)
    prompt_margin: float = Field(default=1.2, allow_inf_nan=False)
    prompt_slack_tokens: int = 64
    tool_overhead_tokens: int = Field(default=512, ge=0)
    attempts_per_model: int = Field(default=3, ge=1)
    backoff_initial: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=8.0, ge=0)
    timeout: float = Field(default=120.0, gt=0)
    deadline: float = Field(default=600.0, gt=0, allow_inf_nan=False)
    tier_changes: int = Field(default=1, ge=0)
    expected_steps: int = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _keeps_the_safety_margin(self) -> RouterSettings:
        if self.prompt_margin < MIN_PROMPT_MARGIN or self.prompt_slack_tokens < MIN_PROMPT_SLACK_TOKENS:
            raise ConfigError(
                f"router settings: prompt_margin must be ≥ {MIN_PROMPT_MARGIN} and prompt_slack_tokens ≥ "
                f"{MIN_PROMPT_SLACK_TOKENS} (got {self.prompt_margin} and {self.prompt_slack_tokens}): the reserve "
                f"must cover a provider that counts more prompt tokens than litellm's counter")
        return self
