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


def usage_from_openai(usage: Any) -> Usage:
    """Read a litellm/OpenAI `usage` payload (object or dict); missing → reported=False."""
    if usage is None:
        return Usage(reported=False)
    prompt = int(_field(usage, "prompt_tokens") or 0)
    completion = int(_field(usage, "completion_tokens") or 0)
    details = _field(usage, "prompt_tokens_details")
    cache_read = _field(usage, "cache_read_input_tokens") or _field(details, "cached_tokens") or 0
    cache_write = _field(usage, "cache_creation_input_tokens") or _field(details, "cache_creation_tokens") or 0
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cache_read_tokens=int(cache_read),
        cache_write_tokens=int(cache_write),
        reported=prompt > 0 or completion > 0,
    )


def usage_from_langchain(usage_metadata: Mapping[str, Any] | None) -> Usage:
    """Read a LangChain `usage_metadata` dict; absent or all-zero → reported=False."""
    if not usage_metadata:
        return Usage(reported=False)
    details = usage_metadata.get("input_token_details") or {}
    prompt = int(usage_metadata.get("input_tokens") or 0)
    completion = int(usage_metadata.get("output_tokens") or 0)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cache_read_tokens=int(details.get("cache_read") or 0),
        cache_write_tokens=int(details.get("cache_creation") or 0),
        reported=prompt > 0 or completion > 0,
    )
