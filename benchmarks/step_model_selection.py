"""Which model family should the learned step policy use? Measured, not chosen by taste.

Every variant is the same step policy (agentroute.policies.budget_aware) with a different source
of P(tier sufficient), scored through the core Router on the real TwinRouterBench rows shipped as
the seed (dev125), out of sample: leave-trajectory-out folds (each fold's policy is fitted on the
other folds' rows only), for several fold seeds; the table gives the mean COMBINED and its range.

- logistic: the ordinal logistic model (the product's default);
- logistic + memory kNN: the same, blended with the nearest labeled steps of an in-process
  experience memory holding the fitting rows (what `agentroute memory import` gives a user);
- hand-set + memory kNN: no fitted model, the hand-set table blended with the memory (kNN-led);
- gradient boosting: scikit-learn's GradientBoostingClassifier on the same expanded examples.

Run: python benchmarks/step_model_selection.py [--folds 10] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import numpy as np  # noqa: E402

from agentroute.context import StepContext  # noqa: E402
from agentroute.memory.experience import MemoryExperience  # noqa: E402
from agentroute.memory.labeled import labeled_experiences  # noqa: E402
from agentroute.memory.records import Retrieval  # noqa: E402
from agentroute.memory.store import ExperienceMemory  # noqa: E402
from agentroute.policies.base import Policy  # noqa: E402
from agentroute.policies.budget_aware import BudgetAwarePolicy  # noqa: E402
from agentroute.policies.features import feature_vector, step_features  # noqa: E402
from agentroute.policies.learned import LEARNED_THRESHOLD, learned_policy  # noqa: E402
from agentroute.policies.seed import SEED_FILE, row_steps  # noqa: E402
from agentroute.policies.sufficiency import LEVELS, SufficiencyModel, level_of  # noqa: E402
from agentroute.pool import Pool  # noqa: E402
from agentroute.twin.crossval import cross_validated, fitted_learned_policy  # noqa: E402
from agentroute.twin.locked import twin_pool  # noqa: E402
from agentroute.twin.records import Bank, load_bank  # noqa: E402
from agentroute.twin.scorer import score  # noqa: E402
from agentroute.twin.tokens import count_bank  # noqa: E402

Fit = Callable[[Bank, Pool], Callable[[], Policy]]


def _memory_of(fitting: Bank) -> MemoryExperience:
    memory = ExperienceMemory(in_process=True)
    memory.add_many(labeled_experiences(fitting.rows))
    return MemoryExperience(memory, Retrieval(signal="task"))


def logistic_with_memory(fitting: Bank, pool: Pool) -> Callable[[], Policy]:
    model, experience = SufficiencyModel.fit(row_steps(fitting.rows)), _memory_of(fitting)
    return lambda: learned_policy(pool.size, model, experience)


def hand_set_with_memory(fitting: Bank, pool: Pool) -> Callable[[], Policy]:
    experience = _memory_of(fitting)
    return lambda: learned_policy(pool.size, None, experience)


class BoostedEstimator:
    """P(sufficient) per tier from gradient boosting on the expanded (features, level) examples."""

    def __init__(self, fitting: Bank, n_tiers: int) -> None:
        from sklearn.ensemble import GradientBoostingClassifier

        steps = [step for step in row_steps(fitting.rows) if step.level < LEVELS - 1]
        design = np.array([feature_vector(step.features) + [step.level] for step in steps])
        self.model = GradientBoostingClassifier(n_estimators=100, max_depth=2, random_state=0)
        self.model.fit(design, np.array([int(step.sufficient) for step in steps]))
        self.n_tiers = n_tiers

    def estimate(self, context: StepContext) -> tuple[list[float], list[str]]:
        vector = feature_vector(step_features(context.messages, context.tools))
        by_level = [float(p) for p in self.model.predict_proba(np.array([vector + [level] for level in range(LEVELS - 1)]))[:, 1]]
        by_level = list(np.maximum.accumulate(by_level + [1.0]))
        return [by_level[level_of(tier, self.n_tiers)] for tier in range(self.n_tiers)], ["boosted"]


def boosted(fitting: Bank, pool: Pool) -> Callable[[], Policy]:
    estimator = BoostedEstimator(fitting, pool.size)
    return lambda: BudgetAwarePolicy(pool.size, estimator=estimator, name="boosted", threshold=LEARNED_THRESHOLD,
                                     plenty_margin=0.0)


VARIANTS: dict[str, Fit] = {
    "logistic (default)": fitted_learned_policy,
    "logistic + memory kNN": logistic_with_memory,
    "hand-set + memory kNN": hand_set_with_memory,
    "gradient boosting": boosted,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    bank = load_bank(SEED_FILE)
    tokens = count_bank(bank)
    pool = twin_pool()
    print(f"{bank.source}: {len(bank.rows)} rows, {len(bank.trajectories)} trajectories; {args.folds} folds by "
          f"trajectory, fold seeds {args.seeds}")
    print(f"{'variant':24} {'COMBINED mean [min–max]':>26} {'ROWPASS':>8} {'ROWEXACT':>9} {'TRAJPASS':>9} "
          f"{'COSTSAVE':>9} {'SWE ROWPASS':>12} {'SWE COSTSAVE':>13}")
    for name, fit in VARIANTS.items():
        runs = []
        for seed in args.seeds:
            routed = cross_validated(bank, tokens, pool, folds=args.folds, seed=seed, budget_usd=3.0, name=name, fit=fit)
            runs.append(score(bank, tokens, routed.picks, name, routed.errors))
        combined = [run.combined for run in runs]
        swe = [run.by_benchmark["swebench"] for run in runs if "swebench" in run.by_benchmark]

        def mean(values: list[float]) -> float:
            return statistics.fmean(values) if values else float("nan")

        print(f"{name:24} {mean(combined):10.2f} [{min(combined):.2f}–{max(combined):.2f}] "
              f"{mean([r.rowpass for r in runs]):8.2f} {mean([r.rowexact for r in runs]):9.2f} "
              f"{mean([r.trajpass for r in runs]):9.2f} {mean([r.costsave for r in runs]):9.2f} "
              f"{mean([s.rowpass for s in swe]):12.2f} {mean([s.costsave for s in swe]):13.2f}", flush=True)


if __name__ == "__main__":
    main()
