"""`MemoryExperience`: the experience memory behind the step policy's ExperienceSource seam."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from agentroute.context import StepContext
from agentroute.memory.context_text import context_features, context_group, context_text
from agentroute.memory.records import Experience, Retrieval
from agentroute.policies.base import Decision, Feedback
from agentroute.policies.budget_aware import TierEvidence
from agentroute.policies.learned import experience_features

if TYPE_CHECKING:
    from agentroute.memory.store import ExperienceMemory

SUCCESS_OUTCOMES = frozenset({"resolved", "completed", "submitted"})


class MemoryExperience:
    """Per-tier evidence from similar past steps; every decision written back; task outcomes
    credited to the whole run when it ends (success 1.0 for resolved/completed/submitted)."""

    def __init__(self, memory: ExperienceMemory, retrieval: Retrieval | None = None) -> None:
        self.memory = memory
        self.retrieval = retrieval or Retrieval()

    def estimate(self, context: StepContext) -> dict[int, TierEvidence]:
        """Successes and trials per tier among similar past steps, shrunk toward the task's group
        (toward the whole memory when the task has no dimension/source)."""
        evidence = self.memory.evidence(context_text(context), group=context_group(context) or None,
                                        **self.retrieval.model_dump())
        return {tier: TierEvidence(successes=e.successes, trials=e.trials) for tier, e in evidence.per_tier.items()}

    def record(self, context: StepContext, decision: Decision, feedback: Feedback) -> None:
        """Write the decision with its immediate outcome (1.0 when the call succeeded) and cost."""
        self.memory.add(Experience(
            id=uuid.uuid4().hex, run_id=context.run_id, step=context.step, created=time.time(),
            text=context_text(context), group=context_group(context),
            features={**context_features(context), **experience_features(context, len(context.tier_reserve_usd))},
            tier=feedback.tier, model=feedback.model or decision.model or f"tier-{feedback.tier}",
            success=1.0 if feedback.ok else 0.0, cost_usd=feedback.cost_usd,
        ))

    def finish(self, run_id: str, outcome: str) -> None:
        """Credit the task outcome to every decision of the run."""
        self.memory.credit(run_id, outcome, 1.0 if outcome in SUCCESS_OUTCOMES else 0.0)
