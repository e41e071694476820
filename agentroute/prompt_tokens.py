"""Prompt token counts by litellm's counter, one message at a time, remembered.

An agent's prefix grows by a message or two per step and repeats every earlier message, so
counting the whole prefix at every call re-encodes the same text again and again (about 10 ms
for a 6k-token prefix). litellm's count of a message list is its count of no messages plus, for
each message, its count of that message alone minus the count of no messages (checked for the
OpenAI, Anthropic and Gemini counters in the pinned litellm), so each message is encoded once per
model and the sum is the same number. Tool schemas are counted on their own, which can exceed
litellm's joint count by a few tokens (a reserve may only err upward).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from threading import Lock
from typing import Any

CACHE_SIZE = 20_000


class PromptTokenCounter:
    """Counts prompts like `litellm.token_counter`, remembering each message's count per model."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._counts: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def count(self, model: str, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None) -> int:
        """Prompt tokens of `messages` (and `tools`) for `model`."""
        empty = self._cached(model, "[]", lambda: self._litellm_count(model, []))
        total = empty
        for message in messages:
            key = json.dumps(message, sort_keys=True, default=str)
            total += self._cached(model, key, lambda m=message: self._litellm_count(model, [dict(m)])) - empty
        if tools:
            key = "tools:" + json.dumps(list(tools), sort_keys=True, default=str)
            total += self._cached(model, key, lambda: self._litellm_count(model, [], tools)) - empty
        return total

    def _cached(self, model: str, key: str, compute: Any) -> int:
        with self._lock:
            found = self._counts.get((model, key))
            if found is not None:
                self._counts.move_to_end((model, key))
                return found
        value = compute()
        with self._lock:
            self._counts[(model, key)] = value
            while len(self._counts) > self._size:
                self._counts.popitem(last=False)
        return value

    @staticmethod
    def _litellm_count(model: str, messages: list[dict[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None) -> int:
        from agentroute._litellm import load_litellm

        return int(load_litellm().token_counter(model=model, messages=messages, tools=list(tools) if tools else None))


PROMPT_TOKENS = PromptTokenCounter()
"""The process-wide counter the routers share (an agent's system prompt and task repeat across runs)."""
