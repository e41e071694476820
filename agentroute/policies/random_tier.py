"""Baseline: a uniformly random tier from a seeded generator."""

from __future__ import annotations

import random

from agentroute.context import StepContext
from agentroute.policies.base import Decision, StatelessPolicy


class RandomTierPolicy(StatelessPolicy):
    """Pick any tier with equal probability; the same seed gives the same sequence."""

    name = "random"

    def __init__(self, n_tiers: int, seed: int = 0) -> None:
        self.n_tiers = n_tiers
        self._rng = random.Random(seed)

    def decide(self, context: StepContext) -> Decision:
        """A random tier."""
        return Decision(tier=self._rng.randrange(self.n_tiers), reason="random")
