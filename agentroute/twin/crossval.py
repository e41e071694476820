"""Out-of-sample scores for the learned step policy: leave-trajectory-out folds and bootstrap intervals.

`cross_validated` splits the bank's trajectories into K folds (seeded shuffle); for each fold it
fits the sufficiency model on the other folds' rows only and routes the held-out fold through
the core Router with that model, so no trajectory has rows in both the fitting and the scored
part and the shipped seed is never used. `bootstrap_interval` resamples whole trajectories
(seeded) and re-scores every router's picks, giving a percentile interval on COMBINED.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from agentroute.policies.base import Policy
from agentroute.policies.learned import learned_policy
from agentroute.policies.seed import row_steps
from agentroute.policies.sufficiency import SufficiencyModel
from agentroute.pool import Pool
from agentroute.twin.adapters import PolicyRouter, Routed, route_bank, tokens_by_id
from agentroute.twin.records import Bank
from agentroute.twin.scorer import score
from agentroute.twin.tokens import RowTokens

BOOTSTRAP_SAMPLES = 1000


def trajectory_folds(bank: Bank, folds: int, seed: int) -> list[list[int]]:
    """Trajectory positions (into `bank.trajectories`) per fold, from a seeded shuffle."""
    order = list(range(len(bank.trajectories)))
    random.Random(seed).shuffle(order)
    return [order[fold::folds] for fold in range(folds)]


def sub_bank(bank: Bank, trajectories: Sequence[int]) -> tuple[Bank, list[int]]:
    """The bank restricted to some trajectories, and each kept row's index in the full bank."""
    kept = [index for position in trajectories for index in bank.trajectories[position]]
    where = {index: new for new, index in enumerate(kept)}
    part = Bank(
        source=bank.source, rows=tuple(bank.rows[index] for index in kept), lines=tuple(bank.lines[index] for index in kept),
        trajectories=tuple(tuple(where[index] for index in bank.trajectories[position]) for position in trajectories),
    )
    return part, kept


def fitted_learned_policy(fitting: Bank, pool: Pool) -> Callable[[], Policy]:
    """The product's learned policy, its model fitted on `fitting` alone (no seed)."""
    model = SufficiencyModel.fit(row_steps(fitting.rows))
    return lambda: learned_policy(pool.size, model)


def cross_validated(bank: Bank, tokens: Sequence[RowTokens], pool: Pool, *, folds: int, seed: int,
                    budget_usd: float, name: str,
                    fit: Callable[[Bank, Pool], Callable[[], Policy]] = fitted_learned_policy) -> Routed:
    """A learned policy's picks on every row, each from a policy `fit` on the other folds' rows only."""
    picks: list[int | None] = [None] * len(bank.rows)
    errors: list[str | None] = [None] * len(bank.rows)
    by_id = tokens_by_id(bank, tokens)
    for held_out in trajectory_folds(bank, folds, seed):
        held = set(held_out)
        fitting, _ = sub_bank(bank, [position for position in range(len(bank.trajectories)) if position not in held])
        scored, kept = sub_bank(bank, held_out)
        router = PolicyRouter(name, fit(fitting, pool), pool, by_id, budget_usd=budget_usd)
        routed = route_bank(router, scored)
        for new, index in enumerate(kept):
            picks[index], errors[index] = routed.picks[new], routed.errors[new]
    return Routed(router=name, picks=picks, errors=errors)


def bootstrap_interval(bank: Bank, tokens: Sequence[RowTokens], picks: Sequence[int | None], *, seed: int,
                       samples: int = BOOTSTRAP_SAMPLES, level: float = 0.90) -> tuple[float, float]:
    """A percentile interval on COMBINED from resampling whole trajectories with replacement."""
    generator = random.Random(seed)
    combined = []
    for _ in range(samples):
        draw = [generator.randrange(len(bank.trajectories)) for _ in bank.trajectories]
        rows, sample_tokens, sample_picks, trajectories = [], [], [], []
        for position in draw:
            start = len(rows)
            for index in bank.trajectories[position]:
                rows.append(bank.rows[index])
                sample_tokens.append(tokens[index])
                sample_picks.append(picks[index])
            trajectories.append(tuple(range(start, len(rows))))
        sample = Bank(source=bank.source, rows=tuple(rows), lines=tuple(range(len(rows))), trajectories=tuple(trajectories))
        value = score(sample, sample_tokens, sample_picks, "bootstrap").combined
        if not math.isnan(value):
            combined.append(value)
    combined.sort()
    if not combined:
        return math.nan, math.nan
    tail = (1.0 - level) / 2
    return combined[int(tail * (len(combined) - 1))], combined[int((1.0 - tail) * (len(combined) - 1))]
