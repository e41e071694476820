"""Baseline: verify-and-escalate cascade.

Start on the cheapest tier; after `patience` failures at a tier (a failed call, a failed tool or
failing tests since the previous call) move one tier up. Never come back down within a task.
"""

from __future__ import annotations

from agentroute.context import StepContext
from agentroute.policies.base import Decision, StatelessPolicy, failed_since_last_call


class CascadePolicy(StatelessPolicy):
    """Escalate one tier after `patience` failures at the current tier."""

    def __init__(self, n_tiers: int, patience: int = 1) -> None:
        if patience < 1:
            raise ValueError("cascade patience must be at least 1")
        self.n_tiers = n_tiers
        self.patience = patience
        self.name = f"cascade-k{patience}"
        self.level = 0
        self.failures = 0

    def decide(self, context: StepContext) -> Decision:
        """Stay, or escalate when the failures at this tier reach the patience."""
        if context.step > 0 and failed_since_last_call(context):
            self.failures += 1
        if self.failures >= self.patience and self.level < self.n_tiers - 1:
            self.level += 1
            self.failures = 0
            return Decision(tier=self.level, reason=f"cascade: {self.patience} failure(s), escalate to tier {self.level}")
        return Decision(tier=self.level, reason=f"cascade: stay at tier {self.level}")
