"""The chat-completions request a client sends, and what of it reaches the provider.

Only generation parameters are passed on (the allow-list below), never connection settings: a
client cannot redirect the provider call (`api_base`, `api_key`, …) or bill more than one
completion per step (`n` > 1). Parameters a chosen model does not support are dropped by litellm.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

PASSED_ON = frozenset({
    "temperature", "top_p", "stop", "tool_choice", "parallel_tool_calls", "response_format", "seed",
    "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "reasoning_effort",
})


class ChatRequest(BaseModel):
    """An OpenAI `/v1/chat/completions` body. `model` is accepted and ignored: the router picks."""

    model_config = ConfigDict(extra="allow")

    model: str = "agentroute"
    messages: list[dict[str, Any]] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(default=None, gt=0)
    max_completion_tokens: int | None = Field(default=None, gt=0)
    user: str | None = None
    n: int = 1

    @field_validator("n")
    @classmethod
    def _one_choice(cls, n: int) -> int:
        if n != 1:
            raise ValueError("only n=1 is supported: each step is one routed completion")
        return n

    @property
    def output_limit(self) -> int | None:
        """The client's cap on output tokens (the router may lower it to fit the budget)."""
        return self.max_completion_tokens or self.max_tokens

    @property
    def wants_usage_chunk(self) -> bool:
        """Whether a streaming client asked for the final usage chunk."""
        return bool((self.stream_options or {}).get("include_usage"))

    def provider_kwargs(self) -> dict[str, Any]:
        """The generation parameters passed on to the routed model."""
        extra = self.model_extra or {}
        return {name: value for name, value in extra.items() if name in PASSED_ON and value is not None}
