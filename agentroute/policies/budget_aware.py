"""The step policy: the cheapest tier whose expected success clears a budget-moved threshold.

One policy object, two sources of prior success per tier (an `Estimator`): the learned one
(agentroute/policies/learned.py, the default, named `learned`) and the hand-set difficulty table
below (`HandSetEstimator`, kept as the baseline named `budget-aware`). Both then go through the
same steps 2–4.

1. Hand-set difficulty d ∈ [0, 1] of the next step from prefix signals: the phase (explore 0.15,
   verify 0.25, submit 0.45, edit 0.55; the first call plans, 0.45), plus trouble (a failed tool
   or failing tests +0.15, each further consecutive failure +0.10 up to +0.20, a command
   repeated twice or more +0.20, a failed previous call +0.10, a long prefix +0.10) minus
   progress (tests that went from failing to passing −0.15).
2. Prior success of tier t (hand-set: at difficulty d, p = σ(8·(c_t − d)), c_t = (t+1)/n_tiers;
   learned: the fitted P(tier sufficient)). When an experience source is attached (and consulted:
   the hand-set policy does; the learned one learns from the memory through its fit instead, which
   measured better, see benchmarks/step_model_selection.py), p is blended with the successes and
   trials of similar past steps: (w·p + successes) / (w + trials), w = prior_weight.
3. Threshold τ (hand-set 0.5, learned 0.8: a risk target on P(sufficient)) moved by budget
   pressure ρ = expected remaining steps × cost per step on the tier τ alone would pick /
   remaining budget: plenty of money (ρ < 0.25) tightens τ by `plenty_margin` (hand-set 0.05,
   to buy a little safety; learned 0, its τ already is the risk target), a budget that cannot
   pay for the rest of the task at that tier (ρ > 1) divides τ by ρ (accept a cheaper tier
   rather than run out).
4. Escalation: while the last step failed the tier never drops below the previous one, and after
   two consecutive failures it climbs above it. With progress the floor is gone and the tier
   follows difficulty back down.
"""

from __future__ import annotations

import math
from typing import Protocol

from pydantic import BaseModel

from agentroute.context import StepContext
from agentroute.policies.base import Decision, Feedback, failed_since_last_call

PHASE_DIFFICULTY = {"explore": 0.15, "verify": 0.25, "submit": 0.45, "edit": 0.55}
LONG_PREFIX_CHARS = 60_000


class TierEvidence(BaseModel):
    """What past experience says about a tier at steps like this one."""

    successes: float
    trials: float


class ExperienceSource(Protocol):
    """The seam for the experience memory: evidence per tier, and a place to write outcomes."""

    def estimate(self, context: StepContext) -> dict[int, TierEvidence]:
        """Successes and trials of each tier among past steps similar to this context."""
        ...

    def record(self, context: StepContext, decision: Decision, feedback: Feedback) -> None:
        """Store one decision with its immediate feedback."""
        ...

    def finish(self, run_id: str, outcome: str) -> None:
        """Credit the task outcome back to every decision of the run."""
        ...


def estimate_difficulty(context: StepContext) -> tuple[float, list[str]]:
    """Difficulty of the next step and the signals that moved it."""
    signals = context.signals
    why = [f"phase={signals.phase}"]
    difficulty = PHASE_DIFFICULTY[signals.phase]
    if context.step == 0:
        difficulty = max(difficulty, 0.45)
        why = ["first call"]
    if signals.last_tool_failed:
        difficulty += 0.15
        why.append(f"{signals.failing_tests} failing tests" if signals.failing_tests else "tool failed")
    if signals.consecutive_failures > 1:
        difficulty += 0.10 * min(signals.consecutive_failures - 1, 2)
        why.append(f"{signals.consecutive_failures} failures in a row")
    if signals.repeated_commands >= 2:
        difficulty += 0.20
        why.append("repeated command")
    if context.previous_outcome not in (None, "ok"):
        difficulty += 0.10
        why.append(f"previous call {context.previous_outcome}")
    if signals.prompt_chars > LONG_PREFIX_CHARS:
        difficulty += 0.10
        why.append("long prefix")
    if signals.tests_fixed:
        difficulty -= 0.15
        why.append("tests fixed")
    return min(1.0, max(0.0, difficulty)), why


class Estimator(Protocol):
    """Prior success of each tier at a step, and the evidence behind it (for the reason)."""

    def estimate(self, context: StepContext) -> tuple[list[float], list[str]]:
        """P(success) per tier, cheapest first, and a few words naming the evidence."""
        ...


class HandSetEstimator:
    """The hand-set difficulty table: p = σ(8·(c_t − d)), c_t = (t+1)/n_tiers."""

    def __init__(self, n_tiers: int) -> None:
        self.n_tiers = n_tiers

    def estimate(self, context: StepContext) -> tuple[list[float], list[str]]:
        """Success per tier at the step's hand-set difficulty."""
        difficulty, why = estimate_difficulty(context)
        priors = [1.0 / (1.0 + math.exp(-8.0 * ((tier + 1) / self.n_tiers - difficulty))) for tier in range(self.n_tiers)]
        return priors, [*why, f"d={difficulty:.2f}"]


class BudgetAwarePolicy:
    """Cheapest tier with expected success ≥ a budget-adjusted threshold; escalates on failure."""

    def __init__(
        self,
        n_tiers: int,
        *,
        estimator: Estimator | None = None,
        name: str = "budget-aware",
        threshold: float = 0.5,
        plenty_margin: float = 0.05,
        prior_weight: float = 4.0,
        consult_memory: bool = True,
        experience: ExperienceSource | None = None,
    ) -> None:
        self.n_tiers = n_tiers
        self.estimator = estimator or HandSetEstimator(n_tiers)
        self.name = name
        self.threshold = threshold
        self.plenty_margin = plenty_margin
        self.prior_weight = prior_weight
        self.consult_memory = consult_memory
        self.experience = experience
        self._run_id: str | None = None

    def success_estimate(self, context: StepContext) -> tuple[list[float], list[str]]:
        """Expected success of each tier at this step: the estimator's prior, blended with the
        successes and trials of similar past steps when an experience source is attached."""
        priors, why = self.estimator.estimate(context)
        evidence = self.experience.estimate(context) if self.experience and self.consult_memory else {}
        estimates = []
        for tier, prior in enumerate(priors):
            seen = evidence.get(tier)
            if seen is not None and seen.trials > 0:
                prior = (self.prior_weight * prior + seen.successes) / (self.prior_weight + seen.trials)
            estimates.append(prior)
        trials = sum(seen.trials for seen in evidence.values())
        if trials:
            why.append(f"memory {trials:.0f} trials")
        return estimates, why

    def step_cost(self, context: StepContext, tier: int) -> float:
        """Expected cost of one call on a tier: this run's mean so far, else half the reserve."""
        mean = context.tier_mean_cost_usd[tier]
        return mean if mean is not None else context.tier_reserve_usd[tier] / 2

    def adjusted_threshold(self, context: StepContext, reference_tier: int) -> tuple[float, float]:
        """τ moved by budget pressure ρ = remaining steps × cost per step on the reference tier /
        remaining budget: ρ < 0.25 tightens τ by `plenty_margin`; ρ > 1 divides τ by ρ."""
        if context.remaining_usd <= 0:
            return 0.0, math.inf
        pressure = context.expected_remaining_steps * self.step_cost(context, reference_tier) / context.remaining_usd
        if pressure < 0.25:
            return min(0.95, self.threshold + self.plenty_margin), pressure
        if pressure > 1.0:
            return self.threshold / pressure, pressure
        return self.threshold, pressure

    @staticmethod
    def _cheapest_clearing(estimates: list[float], threshold: float, floor: int) -> int:
        for tier in range(floor, len(estimates)):
            if estimates[tier] >= threshold:
                return tier
        return len(estimates) - 1

    def decide(self, context: StepContext) -> Decision:
        """The cheapest tier that clears the budget-adjusted threshold, above the escalation floor."""
        estimates, why = self.success_estimate(context)
        floor = 0
        if context.previous_tier is not None and failed_since_last_call(context):
            floor = context.previous_tier
            if context.signals.consecutive_failures >= 2 or context.previous_outcome not in (None, "ok"):
                floor = min(self.n_tiers - 1, context.previous_tier + 1)
                why.append("escalate")
        reference = self._cheapest_clearing(estimates, self.threshold, floor)
        threshold, pressure = self.adjusted_threshold(context, reference)
        chosen = self._cheapest_clearing(estimates, threshold, floor)
        reason = (
            f"{', '.join(why)}; p={estimates[chosen]:.2f} "
            f"τ={threshold:.2f} ρ={pressure:.2f}"
        )
        return Decision(tier=chosen, reason=reason)

    def observe(self, context: StepContext, decision: Decision, feedback: Feedback) -> None:
        """Hand the outcome to the experience source, if one is attached."""
        self._run_id = context.run_id
        if self.experience is not None:
            self.experience.record(context, decision, feedback)

    def finish(self, outcome: str) -> None:
        """Credit the task outcome through the experience source."""
        if self.experience is not None and self._run_id is not None:
            self.experience.finish(self._run_id, outcome)
