"""The learned step policy (`learned`, the default): P(tier sufficient) from step features.

`LearnedEstimator` reads the step's features (agentroute/policies/features.py) and asks a fitted
`SufficiencyModel` for P(sufficient) at each pool tier's capability level; the step policy
(`BudgetAwarePolicy`) moves the risk target with the budget and takes the cheapest tier that
clears it. The memory teaches it through the fit, not through a kNN blend at decision time: on
dev125, leave-trajectory-out, the blend lost 5.7 COMBINED points to the model alone
(benchmarks/step_model_selection.py). Every decision is still written to the memory and credited
with the task outcome. Before anything is learned
(cold start: no seed and nothing in the memory) it falls back to the hand-set difficulty table.

Training data: the shipped seed (TwinRouterBench-format labeled steps, see `seed_steps`) unless
turned off, plus every experience in the memory that carries step features and a known outcome:
labeled rows imported with `agentroute memory import` and the credited steps of finished runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from agentroute.context import StepContext
from agentroute.memory.records import Experience
from agentroute.policies.budget_aware import BudgetAwarePolicy, ExperienceSource, HandSetEstimator
from agentroute.policies.features import step_features
from agentroute.policies.sufficiency import LabeledStep, SufficiencyModel, level_of

if TYPE_CHECKING:
    from agentroute.memory.store import ExperienceMemory

LEARNED_THRESHOLD = 0.8
FEATURE_PREFIX = "x_"
TIERS_KEY = "x_tiers"


class LearnedEstimator:
    """P(sufficient) per pool tier from a fitted model; the hand-set table while untrained."""

    def __init__(self, n_tiers: int, model: SufficiencyModel | None) -> None:
        self.n_tiers = n_tiers
        self.model = model
        self._fallback = HandSetEstimator(n_tiers)

    def estimate(self, context: StepContext) -> tuple[list[float], list[str]]:
        """Per-tier P(sufficient) at this step, with the features that moved it most."""
        if self.model is None:
            priors, why = self._fallback.estimate(context)
            return priors, ["untrained", *why]
        features = step_features(context.messages, context.tools, context.signals)
        by_level = self.model.probabilities(features)
        priors = [by_level[level_of(tier, self.n_tiers)] for tier in range(self.n_tiers)]
        return priors, [f"learned n={self.model.examples}", *self.model.explain(features)]


def learned_policy(n_tiers: int, model: SufficiencyModel | None, experience: ExperienceSource | None = None) -> BudgetAwarePolicy:
    """The default step policy over a fitted (or absent) sufficiency model."""
    return BudgetAwarePolicy(n_tiers, estimator=LearnedEstimator(n_tiers, model), name="learned",
                             threshold=LEARNED_THRESHOLD, plenty_margin=0.0, consult_memory=False, experience=experience)


def experience_features(context: StepContext, n_tiers: int) -> dict[str, float]:
    """The step features an experience stores (prefixed), so later fits can learn from it."""
    step = step_features(context.messages, context.tools, context.signals)
    features = {f"{FEATURE_PREFIX}{name}": value for name, value in step.items()}
    features[TIERS_KEY] = float(n_tiers)
    return features


def steps_from_experiences(experiences: Iterable[Experience]) -> list[LabeledStep]:
    """Training examples from experiences with step features and a credited outcome."""
    steps = []
    for experience in experiences:
        tiers = experience.features.get(TIERS_KEY)
        if experience.task_success is None or experience.tier is None or not isinstance(tiers, (int, float)):
            continue
        features = {key[len(FEATURE_PREFIX):]: float(value) for key, value in experience.features.items()
                    if key.startswith(FEATURE_PREFIX) and key != TIERS_KEY and isinstance(value, (int, float))}
        steps.append(LabeledStep(features=features, level=level_of(experience.tier, int(tiers)),
                                 sufficient=experience.task_success >= 0.5))
    return steps


@cache
def shipped_model() -> SufficiencyModel | None:
    """The model fitted on the shipped seed alone (once per process): the fit stored beside the seed
    while it is current (agentroute/policies/shipped_fit.py), else fitted here."""
    from agentroute.policies.seed import seed_steps
    from agentroute.policies.shipped_fit import stored_model

    return stored_model() or SufficiencyModel.fit(seed_steps())


def train_step_model(*, use_seed: bool = True, memory: ExperienceMemory | None = None) -> SufficiencyModel | None:
    """Fit on the seed (unless `use_seed` is False) and the memory's labeled and credited steps."""
    from agentroute.policies.seed import seed_steps

    learned = steps_from_experiences(memory.experiences()) if memory is not None else []
    if not learned:
        return shipped_model() if use_seed else None
    return SufficiencyModel.fit([*(seed_steps() if use_seed else ()), *learned])
