"""Routing policies and the registry that builds them by name.

Names: `learned` (default: the step policy over P(tier sufficient) learned from labeled and
credited steps), `budget-aware` (the same policy over the hand-set difficulty table, kept as a
baseline), `cascade` (or `cascade:K`), `random`, `always:<tier>` (tier name or index, e.g.
`always:low`, `always:3`).
"""

from __future__ import annotations

from typing import Literal

from agentroute.errors import ConfigError
from agentroute.policies.base import Decision, Feedback, Policy
from agentroute.policies.budget_aware import BudgetAwarePolicy, ExperienceSource
from agentroute.policies.cascade import CascadePolicy
from agentroute.policies.fixed import FixedTierPolicy
from agentroute.policies.learned import learned_policy, shipped_model
from agentroute.policies.random_tier import RandomTierPolicy
from agentroute.policies.sufficiency import SufficiencyModel
from agentroute.pool import Pool

POLICY_NAMES = ("learned", "budget-aware", "cascade[:K]", "random", "always:<tier>")
DEFAULT_POLICY = "learned"
SHIPPED = "shipped"

__all__ = ["Decision", "Feedback", "Policy", "make_policy", "POLICY_NAMES", "DEFAULT_POLICY"]


def make_policy(
    name: str,
    pool: Pool,
    *,
    seed: int = 0,
    experience: ExperienceSource | None = None,
    step_model: SufficiencyModel | None | Literal["shipped"] = SHIPPED,
) -> Policy:
    """Build a fresh policy (one per task) from its name. `experience` feeds the step policies;
    `step_model` is the learned one's model: the shipped seed's by default, None when untrained."""
    kind, _, argument = name.partition(":")
    if kind == "learned" and not argument:
        return learned_policy(pool.size, shipped_model() if step_model == SHIPPED else step_model, experience)
    if kind == "budget-aware" and not argument:
        return BudgetAwarePolicy(pool.size, experience=experience)
    if kind == "random" and not argument:
        return RandomTierPolicy(pool.size, seed=seed)
    if kind == "cascade":
        if argument and not argument.isdigit():
            raise ConfigError(f"policy {name!r}: cascade takes a whole number, e.g. cascade:2")
        return CascadePolicy(pool.size, patience=int(argument or 1))
    if kind in ("always", "fixed") and argument:
        tier = pool.tier_named(argument)
        return FixedTierPolicy(tier.index, tier.name)
    raise ConfigError(f"unknown policy {name!r} (known: {', '.join(POLICY_NAMES)})")
