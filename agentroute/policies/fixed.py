"""Baseline: always the same tier."""

from __future__ import annotations

from agentroute.context import StepContext
from agentroute.policies.base import Decision, StatelessPolicy


class FixedTierPolicy(StatelessPolicy):
    """Route every call to one tier."""

    def __init__(self, tier: int, tier_name: str) -> None:
        self.tier = tier
        self.name = f"always-{tier_name}"

    def decide(self, context: StepContext) -> Decision:
        """The configured tier, every time."""
        return Decision(tier=self.tier, reason=f"always:{self.name.removeprefix('always-')}")
