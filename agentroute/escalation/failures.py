"""What failures on a task say about the next model: P(m succeeds | the models in F failed).

Failures are correlated: when cheaper models failed a task, it is likely hard, and a strong model's
chance drops below its average. `FailureStats` keeps, from past tasks, per-group and global counts
of each model's outcome among tasks where every model of F was also tried and failed (any order):
successes, trials and cost, for every failed set F of up to `depth` models.

The estimate for (m, F) backs off along F (drop the last-added model) toward the marginal, so an
unseen failure pattern starts from what fewer failures said:

    p_global(m | F) = (s_F + w · d · p_global(m | F⁻)) / (n_F + w)
    p_group(m | F)  = (s_gF + w · p_global(m | F)) / (n_gF + w)

where d is the discount one more failure brings, pooled over every model (the success rate of
attempts after a failure over that of all attempts, itself shrunk toward 1), and the same
shrinkage for the mean cost. The policy uses the ratio p_group(m | F) / p_group(m | ∅)
(how much the failures change the odds) to scale its per-task estimate of m.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from agentroute.escalation.protocol import Attempt

Counts = list[float]  # successes, trials, cost


class FailureStats:
    """Conditional outcome counts of each model given the set of models that failed the same task."""

    def __init__(self, *, depth: int = 3, shrink: float = 2.0) -> None:
        self.depth = depth
        self.shrink = shrink
        self._counts: dict[tuple[str, frozenset[str], str], Counts] = defaultdict(lambda: [0.0, 0.0, 0.0])
        self._pooled: dict[bool, Counts] = defaultdict(lambda: [0.0, 0.0, 0.0])  # after a failure? → counts
        self._discount = 1.0

    def record(self, group: str, attempts: list[Attempt], outcomes: list[float], failed: list[bool]) -> None:
        """Count each attempted model's outcome (in [0, 1]) under every subset of the other attempts that
        failed, in `group` and globally."""
        for index, attempt in enumerate(attempts):
            others = sorted({a.model for a, bad in zip(attempts, failed) if bad and a.model != attempt.model})
            for after_failure in {False, bool(others)}:
                self._pooled[after_failure][0] += outcomes[index]
                self._pooled[after_failure][1] += 1
            for size in range(min(self.depth, len(others)) + 1):
                for subset in combinations(others, size):
                    for scope in (group, "*"):
                        counts = self._counts[(scope, frozenset(subset), attempt.model)]
                        counts[0] += outcomes[index]
                        counts[1] += 1
                        counts[2] += attempt.cost_usd
        self._update_discount()

    def rate(self, group: str, model: str, failed: tuple[str, ...], prior: tuple[float, float]) -> tuple[float, float, float]:
        """(success rate, mean cost, trials) of `model` given `failed` (in the order they failed), backed
        off toward `prior` (the rate and cost with nothing known)."""
        p_global, c_global = prior
        discount = self._discount
        for size in range(len(failed[: self.depth]) + 1):
            successes, trials, cost = self._counts.get(("*", frozenset(failed[:size]), model), (0.0, 0.0, 0.0))
            p_global = (successes + self.shrink * p_global * (discount if size else 1.0)) / (trials + self.shrink)
            c_global = (cost + self.shrink * c_global) / (trials + self.shrink)
        successes, trials, cost = self._counts.get((group, frozenset(failed[: self.depth]), model), (0.0, 0.0, 0.0))
        return ((successes + self.shrink * p_global) / (trials + self.shrink),
                (cost + self.shrink * c_global) / (trials + self.shrink), trials)

    def _update_discount(self) -> None:
        """d: how much one more failure scales a model's chance, pooled over models (1 with no data)."""
        after, overall = self._pooled[True], self._pooled[False]
        ratio_after = (after[0] + self.shrink) / (after[1] + self.shrink)
        ratio_all = (overall[0] + self.shrink) / (overall[1] + self.shrink)
        self._discount = min(1.0, ratio_after / ratio_all)
