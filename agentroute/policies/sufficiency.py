"""P(tier is sufficient | step features): the learned part of the default step policy.

Tiers are compared on a common capability scale of LEVELS levels (TwinRouterBench's low, mid,
mid_high, high): a pool of n tiers puts its tier i at level round(i·(LEVELS−1)/(n−1)), so
labeled steps and a user's own pool share one model, and adding a model stays a config change.

The model is an ordinal logistic regression (scikit-learn): one shared weight vector over the
step features plus one intercept per level, fitted on (features, level, sufficient) examples.
A labeled step contributes one example per level below the top (sufficient iff level ≥ its
label); a routed step of a finished run contributes one example at the level it ran on. The top
level is the fallback and always counts as sufficient. Chosen by leave-trajectory-out
measurement against gradient boosting and kNN-only evidence (benchmarks/step_model_selection.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field

from agentroute.policies.features import FEATURE_NAMES, feature_vector

LEVELS = 4
REGULARIZATION_C = 1.0


class LabeledStep(BaseModel):
    """One training example: a step's features, the level it was tried on, and whether that sufficed."""

    features: dict[str, float]
    level: int = Field(ge=0, lt=LEVELS)
    sufficient: bool
    weight: float = Field(default=1.0, gt=0)


def level_of(tier: int, n_tiers: int) -> int:
    """The capability level of pool tier `tier` of `n_tiers` (the top tier is always the top level)."""
    if n_tiers <= 1:
        return LEVELS - 1
    return round(tier * (LEVELS - 1) / (n_tiers - 1))


def examples_from_label(features: Mapping[str, float], label_level: int) -> list[LabeledStep]:
    """A step whose cheapest sufficient level is known: one example per level below the top."""
    return [LabeledStep(features=dict(features), level=level, sufficient=level >= label_level)
            for level in range(LEVELS - 1)]


class SufficiencyModel:
    """Fitted ordinal logistic model; `probabilities` gives P(sufficient) per level, non-decreasing."""

    def __init__(self, weights: np.ndarray, intercepts: np.ndarray, examples: int) -> None:
        self.weights = weights
        self.intercepts = intercepts
        self.examples = examples

    @classmethod
    def fit(cls, steps: Sequence[LabeledStep]) -> SufficiencyModel | None:
        """Fit on the examples below the top level; None when they hold only one outcome."""
        usable = [step for step in steps if step.level < LEVELS - 1]
        outcomes = {step.sufficient for step in usable}
        if len(outcomes) < 2:
            return None
        from sklearn.linear_model import LogisticRegression

        design = np.array([feature_vector(step.features) + _one_hot(step.level) for step in usable])
        target = np.array([int(step.sufficient) for step in usable])
        weight = np.array([step.weight for step in usable])
        regression = LogisticRegression(C=REGULARIZATION_C, max_iter=5000, fit_intercept=False)
        regression.fit(design, target, sample_weight=weight)
        coefficients = regression.coef_[0]
        n_features = len(FEATURE_NAMES)
        return cls(coefficients[:n_features], coefficients[n_features:], len(usable))

    def probabilities(self, features: Mapping[str, float]) -> list[float]:
        """P(level is sufficient) for each level (monotone; the top level is 1)."""
        base = float(np.dot(self.weights, feature_vector(features)))
        levels = [1.0 / (1.0 + np.exp(-(base + intercept))) for intercept in self.intercepts]
        return [float(p) for p in np.maximum.accumulate(levels + [1.0])]

    def explain(self, features: Mapping[str, float], top: int = 2) -> list[str]:
        """The features that moved this step's estimate most (+ toward a cheap tier, − away)."""
        contributions = self.weights * np.array(feature_vector(features))
        order = np.argsort(-np.abs(contributions))[:top]
        return [f"{FEATURE_NAMES[i]}{'+' if contributions[i] > 0 else '-'}" for i in order if contributions[i] != 0]


def _one_hot(level: int) -> list[float]:
    return [1.0 if level == index else 0.0 for index in range(LEVELS - 1)]
