"""LiteLLM's rule-based complexity router as a peer baseline (offline: `classify` calls no model).

Tiers: 0 SIMPLE, 1 MEDIUM, 2 COMPLEX, 3 REASONING. `tier_of_request` reads chat messages the way
the router's pre-routing hook does (the newest human ask and the system prompt; no ask → MEDIUM).
Uses a private helper of litellm 1.106.2 (`_extract_current_ask_and_system_prompt`), pinned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ComplexityClassifier:
    """`ComplexityRouter.classify` mapped to tier indices, remembered per text (the replays ask
    about the same task text once per step and order; classify runs hundreds of regex searches)."""

    def __init__(self) -> None:
        from agentroute._litellm import load_litellm

        load_litellm()
        from litellm.router_strategy.complexity_router.complexity_router import (
            ComplexityRouter,
            _extract_current_ask_and_system_prompt,
        )
        from litellm.router_strategy.complexity_router.config import ComplexityTier

        # classify() is pure scoring; the litellm Router instance is only used for routing calls.
        self._router = ComplexityRouter(model_name="agentroute-peer", litellm_router_instance=None)
        self._read = _extract_current_ask_and_system_prompt
        self._tiers: dict[Any, int] = {
            ComplexityTier.SIMPLE: 0, ComplexityTier.MEDIUM: 1, ComplexityTier.COMPLEX: 2, ComplexityTier.REASONING: 3,
        }
        self._known: dict[tuple[str, str | None], int] = {}

    def tier(self, prompt: str, system_prompt: str | None = None) -> int:
        """The tier of one prompt."""
        key = (prompt, system_prompt)
        if key not in self._known:
            tier, _score, _signals = self._router.classify(prompt, system_prompt)
            self._known[key] = self._tiers[tier]
        return self._known[key]

    def tier_of_request(self, messages: Sequence[Any]) -> int:
        """The tier of a chat request, read as the router's hook reads it."""
        ask, system_prompt = self._read(messages)
        return 1 if ask is None else self.tier(ask, system_prompt)
