"""agentroute's task-level escalation policy: a budget-aware cascade that weighs every further attempt
against its price, given the failures so far, and stops when none is worth it.

Units are the benchmark's own: an attempt is worth its expected gain in task score minus
`cost_weight` (0.1) × its expected cost in USD (r = score − 0.1·cost).

Estimates, per model m, for this task and the set F of models that already failed it:
- the chance p_m that m succeeds: for the first attempt a Thompson draw (seeded, so runs repeat
  exactly) from Beta(α, β) with α = successes + w·p0, β = failures + w·(1 − p0) among comparable
  past tasks (the evidence source: group statistics or Chroma kNN over similar tasks), p0 a
  price-rank prior from 0.15 for the cheapest listed model to 0.65 for the dearest (w =
  `prior_weight`), plus an optimism bonus `bonus`/√(trials + 1); for every further attempt the
  posterior mean α / (α + β) instead (the draws explore which model opens a task; whether and
  with what to escalate is decided on the estimates, not on a draw's luck);
- after failures, scaled by how much the failures in F changed m's odds on past tasks where the same models failed
  (`FailureStats`: failures are correlated, so after cheaper models failed a strong model's chance
  is below its average, and its cost above);
- the cost c_m: the mean recorded cost, scaled the same way; a model never tried is priced from the
  cost per listed-price unit seen so far.

The value of trying m with best feedback b so far is p_m·(1 − b) − 0.1·c_m + (1 − p_m)·V, where V is
the value of the best attempt after m fails too, or 0 (looked ahead `lookahead` attempts). Among
the affordable untried models (expected cost within what is left of the budget) whose value is
positive, attempt j takes the cheapest whose chance (drawn for the first, the mean after) clears τ_j
(0.30 for the first attempt, 0.60 for every escalation), else the likeliest; a seeded ε (2%)
sometimes opens with a random one. It stops at a success (feedback ≥ `accept`), after
`max_attempts`, or when no attempt has positive value: that is where it stops paying for tasks no
model will solve.

Apply-only feedback (`feedback="apply-only"`: the attempt's feedback only says that its patch
applies) is weak evidence, never a success: a patch that does not apply is a failure, one that
applies resolves the task with probability q_m (the price-rank prior, since nothing observed can
tell), so m's chance of a resolved patch is its learned apply rate × q_m, and another attempt is
worth its chance of an applying patch × (q_m − q of the patch kept).
"""

from __future__ import annotations

import math
import random

from pydantic import BaseModel, Field

from agentroute.escalation.evidence import EvidenceSource
from agentroute.escalation.failures import FailureStats
from agentroute.escalation.protocol import Attempt, FeedbackMode, TaskView
from agentroute.memory.records import ModelEvidence

Estimate = tuple[float, float]  # chance of success, expected cost in USD


class CascadeSettings(BaseModel):
    """The policy's knobs (defaults as described above)."""

    thresholds: tuple[float, ...] = (0.30, 0.60)
    epsilon: float = Field(default=0.02, ge=0, le=1)
    max_attempts: int = Field(default=4, ge=1)
    accept: float = 0.99
    prior_weight: float = Field(default=2.0, gt=0)
    prior_range: tuple[float, float] = (0.15, 0.65)
    bonus: float = Field(default=0.05, ge=0)
    cost_weight: float = Field(default=0.1, ge=0)
    lookahead: int = Field(default=2, ge=1)


class EscalationPolicy:
    """The most valuable next attempt given every failure so far, or stop; within the budget."""

    def __init__(self, models: list[str], prices: dict[str, float], evidence: EvidenceSource, *,
                 settings: CascadeSettings | None = None, seed: int = 0, name: str | None = None,
                 feedback: FeedbackMode = "resolved", rising: bool = False) -> None:
        """`rising`: `models` are in order of strength (weakest first) and a further attempt only
        weighs the models above every model tried, in its choice and its lookahead (a tier floor
        that only rises, as `agentroute run --attempts` drives it)."""
        self.rank = {model: index for index, model in enumerate(models)} if rising else None
        self.models = sorted(models)
        self.prices = prices
        self.evidence = evidence
        self.settings = settings or CascadeSettings()
        self._rng = random.Random(seed)
        self.feedback = feedback
        ranked = sorted(self.models, key=lambda model: (prices.get(model, 0.0), model))
        low, high = self.settings.prior_range
        self._prior = {model: low + (high - low) * index / max(1, len(ranked) - 1) for index, model in enumerate(ranked)}
        self._cost_per_price: list[float] = [0.0, 0.0]
        self._base: dict[str, Estimate] = {}
        self._mean: dict[str, float] = {}
        self._given: dict[tuple[str, tuple[str, ...]], Estimate] = {}
        self.name = name or f"agentroute ({evidence.name})"

    @property
    def failures(self) -> FailureStats:
        """The conditional failure counts, kept with the evidence so every policy over it shares them."""
        return self.evidence.failures

    def base_estimates(self, task: TaskView) -> dict[str, Estimate]:
        """(p, c) per model for this task before any attempt (p: a draw of the visible feedback's mean;
        the posterior mean is kept for escalations)."""
        evidence = self.evidence.stats(task)
        spent, price_units = self._cost_per_price
        unit = spent / price_units if price_units else 1e-4
        weight = self.settings.prior_weight
        out = {}
        for model in self.models:
            seen = evidence.get(model, ModelEvidence(successes=0.0, trials=0.0, mean_cost_usd=None))
            prior = 0.8 if self.feedback == "apply-only" else self._prior[model]
            alpha = seen.successes + weight * prior
            beta = max(seen.trials - seen.successes, 0.0) + weight * (1 - prior)
            p = self._rng.betavariate(alpha, beta) + self.settings.bonus / math.sqrt(seen.trials + 1)
            self._mean[model] = alpha / (alpha + beta)
            cost = seen.mean_cost_usd if seen.mean_cost_usd is not None else unit * self.prices.get(model, 1.0)
            out[model] = (min(p, 1.0), max(cost, 1e-9))
        return out

    def estimate(self, task: TaskView, model: str, failed: tuple[str, ...]) -> Estimate:
        """(p, c) of `model` on this task given that the models in `failed` failed it (p: the drawn
        chance with no failure, else the posterior mean scaled by what the failures did)."""
        key = (model, failed)
        if not failed:
            return self._base[model]
        if key not in self._given:
            cost = self._base[model][1]
            p = self._mean[model]
            if failed:
                p_now, c_now, _ = self.failures.rate(task.group, model, failed, (p, cost))
                if (model, ()) not in self._given:
                    self._given[(model, ())] = self.failures.rate(task.group, model, (), (p, cost))[:2]
                p_before, c_before = self._given[(model, ())]
                p, cost = min(1.0, p * p_now / max(p_before, 1e-9)), cost * c_now / max(c_before, 1e-9)
            self._given[key] = (p, cost)
        return self._given[key]

    def _gain(self, model: str, p: float, kept: float) -> float:
        """Expected rise of the task's score from an attempt by `model` (p: chance of success, or of
        an applying patch in apply-only mode), when the patch kept so far is worth `kept`."""
        if self.feedback == "apply-only":
            return p * (self._prior[model] - kept)
        return p * (1.0 - kept)

    def _value(self, task: TaskView, model: str, tried: set[str], failed: tuple[str, ...], kept: float,
               remaining_usd: float, depth: int) -> float:
        """The value of an attempt by `model`, looking `depth` attempts ahead (the best one after it
        fails too, or stopping)."""
        p, cost = self.estimate(task, model, failed)
        value = self._gain(model, p, kept) - self.settings.cost_weight * cost
        if depth > 1:
            after = [self._value(task, other, tried | {model}, failed + (model,), kept, remaining_usd - cost, depth - 1)
                     for other in self._affordable(task, tried | {model}, failed + (model,), remaining_usd - cost)]
            value += (1.0 - p) * max([0.0, *after])
        return value

    def stronger(self, tried: set[str]) -> list[str]:
        """The models a further attempt may use: untried ones, and with `rising` only those above
        every model tried, weakest first."""
        if self.rank is None:
            return [model for model in self.models if model not in tried]
        highest = max((self.rank[model] for model in tried), default=-1)
        return sorted((model for model in self.rank if self.rank[model] > highest), key=self.rank.__getitem__)

    def _affordable(self, task: TaskView, tried: set[str], failed: tuple[str, ...], remaining_usd: float) -> list[str]:
        allowed = set(self.stronger(tried))
        return [m for m in self.models if m in allowed and self.estimate(task, m, failed)[1] <= remaining_usd]

    def _kept(self, attempts: list[Attempt]) -> float:
        """What the patch kept so far is worth: the best feedback, or in apply-only mode the prior
        chance that the last applying patch resolves the task."""
        if self.feedback == "apply-only":
            return next((self._prior[a.model] for a in reversed(attempts) if a.feedback >= self.settings.accept), 0.0)
        return max((attempt.feedback for attempt in attempts), default=0.0)

    def next_model(self, task: TaskView, attempts: list[Attempt], remaining_usd: float) -> str | None:
        """The next model of the cascade, or None to stop."""
        settings = self.settings
        if self.feedback == "resolved" and attempts and max(a.feedback for a in attempts) >= settings.accept:
            return None
        left = settings.max_attempts - len(attempts)
        if left <= 0:
            return None
        if not attempts or not self._base:  # a driver may hand a fresh policy a task already attempted
            self._base = self.base_estimates(task)
        self._given = {}
        failed = tuple(a.model for a in attempts if a.feedback < settings.accept)
        tried, kept, depth = {a.model for a in attempts}, self._kept(attempts), min(left, settings.lookahead)
        affordable = self._affordable(task, tried, failed, remaining_usd)
        if not attempts and affordable and self._rng.random() < settings.epsilon:
            affordable = [self._rng.choice(affordable)]
        for model in self._preference(affordable, len(attempts)):
            if self._value(task, model, tried, failed, kept, remaining_usd, depth) > 0:
                return model
        return None

    def _preference(self, models: list[str], attempt: int) -> list[str]:
        """The models in the order the cascade prefers them: those whose chance (drawn for the first
        attempt, the posterior mean after) clears the attempt's threshold, cheapest first, then the
        rest, likeliest first."""
        chance = {m: (self._mean[m] if attempt else self._base[m][0]) * (self._prior[m] if self.feedback == "apply-only" else 1.0)
                  for m in models}
        threshold = self.settings.thresholds[min(attempt, len(self.settings.thresholds) - 1)]
        clearing = sorted((m for m in models if chance[m] >= threshold), key=lambda m: (self._base[m][1], m))
        return clearing + sorted((m for m in models if chance[m] < threshold), key=lambda m: (-chance[m], m))

    def learn(self, task: TaskView, attempts: list[Attempt]) -> None:
        """Write the attempts to the evidence and the failure counts; learn the cost per price unit."""
        self.evidence.record(task, attempts)
        failed = [attempt.feedback < self.settings.accept for attempt in attempts]
        self.failures.record(task.group, attempts, [attempt.feedback for attempt in attempts], failed)
        for attempt in attempts:
            self._cost_per_price[0] += attempt.cost_usd
            self._cost_per_price[1] += self.prices.get(attempt.model, 1.0)
