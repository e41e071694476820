"""agentroute's task-level escalation policy: a memory-informed, budget-aware cascade.

For each model m it estimates the chance of success p_m and the cost c_m of an attempt:
- p_m is a Thompson sample (seeded, so runs repeat exactly) from Beta(α, β) with α = successes +
  w·p0 and β = failures + w·(1 − p0), where successes and trials come from the evidence source
  (the experience memory: similar past tasks, shrunk toward the task's group) and p0 is a
  price-rank prior rising from 0.15 for the cheapest listed model to 0.65 for the dearest
  (w = `prior_weight` pseudo-trials), plus an optimism bonus 0.05/√(trials + 1). Sampling keeps
  exploring a model that failed early; the bonus and the prior bound how far.
- c_m is the mean recorded cost among comparable tasks; a model never tried is priced from the
  cost per listed-price unit seen so far.

Attempt j takes the cheapest affordable untried model whose p clears τ_j — τ = 0.30 for the
first attempt (a cheap probe), 0.60 for every escalation (a strong model) — and when none clears,
the untried affordable model with the highest p, if p beats its weighted cost 0.1·c. Affordable
means its expected cost fits what is left of the per-task budget. The cascade stops at a success
(feedback ≥ `accept`), after `max_attempts`, or when nothing fits. A seeded ε (2%) sometimes
opens with a random affordable model.
"""

from __future__ import annotations

import math
import random

from pydantic import BaseModel, Field

from agentroute.memory.records import ModelEvidence
from agentroute.escalation.evidence import EvidenceSource
from agentroute.escalation.protocol import Attempt, TaskView

class CascadeSettings(BaseModel):
    """The policy's knobs (defaults as described above)."""

    thresholds: tuple[float, ...] = (0.30, 0.60)
    max_attempts: int = Field(default=4, ge=1)
    accept: float = 0.99
    prior_weight: float = Field(default=2.0, gt=0)
    bonus: float = Field(default=0.05, ge=0)
    epsilon: float = Field(default=0.02, ge=0, le=1)


class EscalationPolicy:
    """Cheapest model that clears a rising threshold, escalating on failure, within the budget."""

    def __init__(self, models: list[str], prices: dict[str, float], evidence: EvidenceSource, *,
                 settings: CascadeSettings | None = None, seed: int = 0, name: str | None = None) -> None:
        self.models = sorted(models)
        self.prices = prices
        self.evidence = evidence
        self.settings = settings or CascadeSettings()
        self._rng = random.Random(seed)
        ranked = sorted(self.models, key=lambda model: (prices.get(model, 0.0), model))
        self._prior = {model: 0.15 + 0.5 * index / max(1, len(ranked) - 1) for index, model in enumerate(ranked)}
        self._cost_per_price: list[float] = [0.0, 0.0]
        self._estimates: dict[str, tuple[float, float]] = {}
        self.name = name or f"agentroute ({evidence.name})"

    def estimate(self, task: TaskView) -> dict[str, tuple[float, float]]:
        """(p, c) per model for this task."""
        evidence = self.evidence.stats(task)
        spent, price_units = self._cost_per_price
        unit = spent / price_units if price_units else 1e-4
        out = {}
        for model in self.models:
            seen = evidence.get(model, ModelEvidence(successes=0.0, trials=0.0, mean_cost_usd=None))
            weight = self.settings.prior_weight
            alpha = seen.successes + weight * self._prior[model]
            beta = max(seen.trials - seen.successes, 0.0) + weight * (1 - self._prior[model])
            p = self._rng.betavariate(alpha, beta) + self.settings.bonus / math.sqrt(seen.trials + 1)
            cost = seen.mean_cost_usd if seen.mean_cost_usd is not None else unit * self.prices.get(model, 1.0)
            out[model] = (p, max(cost, 1e-9))
        return out

    def next_model(self, task: TaskView, attempts: list[Attempt], remaining_usd: float) -> str | None:
        """The next model of the cascade, or None to stop."""
        settings = self.settings
        if attempts and max(attempt.feedback for attempt in attempts) >= settings.accept:
            return None
        if len(attempts) >= settings.max_attempts:
            return None
        if not attempts:
            self._estimates = self.estimate(task)
        tried = {attempt.model for attempt in attempts}
        affordable = [m for m in self.models if m not in tried and self._estimates[m][1] <= remaining_usd]
        if not affordable:
            return None
        if not attempts and self._rng.random() < settings.epsilon:
            return self._rng.choice(affordable)
        threshold = settings.thresholds[min(len(attempts), len(settings.thresholds) - 1)]
        clearing = [m for m in affordable if self._estimates[m][0] >= threshold]
        if clearing:
            return min(clearing, key=lambda m: (self._estimates[m][1], m))
        best = max(affordable, key=lambda m: (self._estimates[m][0], m))
        p, cost = self._estimates[best]
        return best if p > 0.1 * cost else None

    def learn(self, task: TaskView, attempts: list[Attempt]) -> None:
        """Write the attempts to the evidence source; learn the cost per listed-price unit."""
        self.evidence.record(task, attempts)
        for attempt in attempts:
            self._cost_per_price[0] += attempt.cost_usd
            self._cost_per_price[1] += self.prices.get(attempt.model, 1.0)
