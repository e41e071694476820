"""Token usage in the four billed buckets, and what it costs at a model's prices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from agentroute.money import nanos_up
from agentroute.pool import Price


class Usage(BaseModel):
    """Provider-reported usage. prompt_tokens includes cache reads and writes (OpenAI convention)."""

    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    cache_read_tokens: int = Field(default=0, ge=0)
    cache_write_tokens: int = Field(default=0, ge=0)
    reported: bool = True
    problem: str | None = None  # why the usage could not be trusted (then reported is False)

    @property
    def plain_input_tokens(self) -> int:
        """Prompt tokens billed at the plain input rate."""
        return max(0, self.prompt_tokens - self.cache_read_tokens - self.cache_write_tokens)

    def cost_nanos(self, price: Price) -> int:
        """Cost in nano-USD at these prices, rounded up."""
        per_million = (
            self.plain_input_tokens * price.input
            + self.cache_read_tokens * price.cache_read_rate
            + self.cache_write_tokens * price.cache_write_rate
            + self.completion_tokens * price.output
        )
        return nanos_up(per_million / 1e6)


def _field(source: Any, name: str) -> Any:
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def _usage(prompt: Any, completion: Any, cache_read: Any, cache_write: Any) -> Usage:
    """Usage from raw counts; anything but non-negative integers is untrusted (reported=False)."""
    counts = {"prompt_tokens": prompt or 0, "completion_tokens": completion or 0,
              "cache_read_tokens": cache_read or 0, "cache_write_tokens": cache_write or 0}
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return Usage(reported=False, problem=f"{name}={value!r} is not a token count")
    if counts["prompt_tokens"] == 0 and counts["completion_tokens"] == 0:
        return Usage(reported=False, problem="usage reports no tokens")
    return Usage(**counts)


def usage_from_openai(usage: Any) -> Usage:
    """Read a litellm/OpenAI `usage` payload (object or dict); missing or invalid → reported=False."""
    if usage is None:
        return Usage(reported=False, problem="no usage in the reply")
    details = _field(usage, "prompt_tokens_details")
    return _usage(
        _field(usage, "prompt_tokens"),
        _field(usage, "completion_tokens"),
        _field(usage, "cache_read_input_tokens") or _field(details, "cached_tokens"),
        _field(usage, "cache_creation_input_tokens") or _field(details, "cache_creation_tokens"),
    )


def usage_from_langchain(usage_metadata: Mapping[str, Any] | None) -> Usage:
    """Read a LangChain `usage_metadata` dict; absent, all-zero or invalid → reported=False."""
    if not usage_metadata:
        return Usage(reported=False, problem="no usage in the reply")
    details = usage_metadata.get("input_token_details") or {}
    return _usage(usage_metadata.get("input_tokens"), usage_metadata.get("output_tokens"),
                  details.get("cache_read"), details.get("cache_creation"))
