"""What failures on a task say about the next model: P(m succeeds | the models in F failed).

Failures are correlated: when cheaper models failed a task, it is likely hard, and a strong model's
chance drops below its average. `FailureStats` keeps, from past tasks, per-group and global counts
of each model's outcome among tasks where every model of F was also tried and failed (any order):
successes, trials and cost, for every failed set F of up to `depth` models.

The estimate for (m, F) backs off along F (drop the last-added model) toward the marginal, so an
unseen failure pattern starts from what fewer failures said:

    p_global(m | F) = (s_F + w · d · p_global(m | F⁻)) / (n_F + w)
    p_group(m | F)  = (s_gF + w · p_global(m | F)) / (n_gF + w)

where d is the discount the |F|-th failure brings, pooled over every model and adjusted for which
models were tried: D_k = (observed / expected successes among attempts made after k earlier
failures on their task) over the same ratio for first attempts, each shrunk toward 1, where an
attempt's expected success is its model's success rate over all its past attempts; d = D_|F| /
D_|F|−1 (never above 1 overall). Without that adjustment a cheap model tried after a failure looks
like a discount (its low rate is its own, not the failure's). The same shrinkage applies to the
mean cost. The policy uses the ratio p_group(m | F) / p_group(m | ∅) (how much the failures change
the odds) to scale its per-task estimate of m.
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
        self._after: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])  # earlier failures → observed, expected

    def record(self, group: str, attempts: list[Attempt], outcomes: list[float], failed: list[bool]) -> None:
        """Count each attempted model's outcome (in [0, 1]) under every subset of the other attempts that
        failed, in `group` and globally; and its outcome against its model's past rate, by how many
        attempts failed before it."""
        expected = [self._marginal(attempt.model) for attempt in attempts]
        for index, attempt in enumerate(attempts):
            others = sorted({a.model for a, bad in zip(attempts, failed) if bad and a.model != attempt.model})
            after = self._after[min(sum(failed[:index]), self.depth)]
            after[0] += outcomes[index]
            after[1] += expected[index]
            for size in range(min(self.depth, len(others)) + 1):
                for subset in combinations(others, size):
                    for scope in (group, "*"):
                        counts = self._counts[(scope, frozenset(subset), attempt.model)]
                        counts[0] += outcomes[index]
                        counts[1] += 1
                        counts[2] += attempt.cost_usd

    def rate(self, group: str, model: str, failed: tuple[str, ...], prior: tuple[float, float]) -> tuple[float, float, float]:
        """(success rate, mean cost, trials) of `model` given `failed` (in the order they failed), backed
        off toward `prior` (the rate and cost with nothing known)."""
        p_global, c_global = prior
        for size in range(len(failed[: self.depth]) + 1):
            successes, trials, cost = self._counts.get(("*", frozenset(failed[:size]), model), (0.0, 0.0, 0.0))
            step = self.discount(size) / self.discount(size - 1) if size else 1.0
            p_global = (successes + self.shrink * p_global * step) / (trials + self.shrink)
            c_global = (cost + self.shrink * c_global) / (trials + self.shrink)
        successes, trials, cost = self._counts.get((group, frozenset(failed[: self.depth]), model), (0.0, 0.0, 0.0))
        return ((successes + self.shrink * p_global) / (trials + self.shrink),
                (cost + self.shrink * c_global) / (trials + self.shrink), trials)

    def discount(self, failures: int) -> float:
        """D_k: how much k earlier failures on a task scale a model's chance (1 with no data, never above 1)."""
        if failures <= 0:
            return 1.0

        def observed_over_expected(k: int) -> float:
            observed, expected = self._after[min(k, self.depth)]
            return (observed + self.shrink) / (expected + self.shrink)

        return min(1.0, observed_over_expected(failures) / observed_over_expected(0))

    def _marginal(self, model: str) -> float:
        """The model's success rate over all its past attempts (Laplace-smoothed)."""
        successes, trials, _ = self._counts.get(("*", frozenset(), model), (0.0, 0.0, 0.0))
        return (successes + 1.0) / (trials + 2.0)
