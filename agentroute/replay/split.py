"""Out-of-sample replay (`bench replay --split`): leave one group out, fit on the rest, score the group.

Groups: the ID suite's 9 dimensions; the SWE tasks' repositories. For each held group and task
order, a fresh policy first streams the other groups' tasks (it learns from them, unscored), then
streams the held group's tasks, still learning, and is scored on those alone. The reference is the
best single model chosen on the fitting part (the highest total r there), scored on the held group.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable

from pydantic import BaseModel

from agentroute.escalation.protocol import FeedbackMode, TaskPolicy
from agentroute.replay.baselines import AlwaysModel
from agentroute.replay.data import ReplayDataset, ReplayTask
from agentroute.replay.harness import play_task, reward, run_stream, task_order


class HeldOutResult(BaseModel):
    """One policy on one held-out group, over every task order, against the best single model of
    the fitting part."""

    suite: str
    mode: FeedbackMode
    group: str
    tasks: int
    policy: str
    regrets: list[float]
    reference_model: str
    reference_regret: float

    @property
    def mean_regret(self) -> float:
        """Mean regret over the task orders."""
        return statistics.mean(self.regrets)

    @property
    def wins_every_order(self) -> bool:
        """No order's regret is worse than the reference's."""
        return max(self.regrets) <= self.reference_regret + 1e-9


def held_out_group(task: ReplayTask, suite: str) -> str:
    """The split's group: the repository of a SWE task (`old112::django__django-1` → django), the
    dimension of an ID task."""
    if suite == "swe":
        return task.task_id.split("::", 1)[-1].split("__", 1)[0]
    return task.dimension


def best_single_model(tasks: list[ReplayTask], models: list[str]) -> str:
    """The model with the highest total r on these tasks (ties: first by name)."""
    return max(sorted(models), key=lambda model: sum(reward(t.outcomes[model].score, t.outcomes[model].cost_usd) for t in tasks))


def run_held_out(make_policy, dataset: ReplayDataset, group: str, *, mode: FeedbackMode, budget_usd: float,
                 seeds: list[int], on_task: Callable[[], None] = lambda: None) -> HeldOutResult:
    """One policy (`make_policy(seed)` builds a fresh one) on one held group, every order (`on_task` is
    called after every task played, fitting or held)."""
    fit = ReplayDataset(suite=dataset.suite, models=dataset.models,
                        tasks=[t for t in dataset.tasks if held_out_group(t, dataset.suite) != group])
    held = ReplayDataset(suite=dataset.suite, models=dataset.models,
                         tasks=[t for t in dataset.tasks if held_out_group(t, dataset.suite) == group])
    regrets, name = [], ""
    for seed in seeds:
        policy: TaskPolicy = make_policy(seed)
        name = policy.name
        for task in task_order(fit, seed):
            play_task(policy, task, dataset.suite, mode, budget_usd)
            on_task()
        regrets.append(run_stream(policy, held, mode=mode, budget_usd=budget_usd, order_seed=seed, on_task=on_task).regret)
    reference = best_single_model(fit.tasks, dataset.models)
    reference_regret = run_stream(AlwaysModel(reference), held, mode=mode, budget_usd=budget_usd, order_seed=0).regret
    return HeldOutResult(suite=dataset.suite, mode=mode, group=group, tasks=len(held.tasks), policy=name, regrets=regrets,
                         reference_model=reference, reference_regret=reference_regret)


def groups_of(dataset: ReplayDataset) -> list[str]:
    """The held-out groups of a suite, largest first."""
    counts: dict[str, int] = defaultdict(int)
    for task in dataset.tasks:
        counts[held_out_group(task, dataset.suite)] += 1
    return sorted(counts, key=lambda group: (-counts[group], group))
