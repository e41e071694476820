"""Stream tasks through a policy and score it.

Feedback the policy sees: `resolved` mode shows the hidden-test verdict (SWE) or the score (ID);
`apply-only` mode shows only whether the patch applies (SWE; ID tasks have no such signal, so
they keep their score). The task's final score is the hidden score of the attempt with the best
visible feedback (the latest among ties) — what a deployment would keep.

Reward r = score − 0.1·cost, where cost is every attempt paid for. Regret = Σ over tasks of the
best single model's r on that task minus the policy's r. A per-task budget applies: the cascade
stops when the next attempt's recorded cost would not fit.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterator

from pydantic import BaseModel

from agentroute.replay.data import Outcome, ReplayDataset, ReplayTask
from agentroute.escalation.protocol import Attempt, FeedbackMode, TaskPolicy, TaskView

COST_WEIGHT = 0.1


class Scores(BaseModel):
    """A policy's numbers on one suite and feedback mode."""

    policy: str
    suite: str
    mode: FeedbackMode
    tasks: int
    score_pct: float
    resolved: int
    total_usd: float
    regret: float
    escalations: int
    attempts_per_task: float
    unsolvable_usd: float


class StreamResult(Scores):
    """One policy on one task order."""

    order_seed: int


class PolicyResult(Scores):
    """One policy: the first order's numbers, and the mean, min and max over all orders (budget None:
    uncapped)."""

    budget_usd: float | None
    orders: int
    mean_score_pct: float
    mean_total_usd: float
    mean_regret: float
    mean_unsolvable_usd: float
    mean_attempts_per_task: float
    range_score_pct: tuple[float, float]
    range_total_usd: tuple[float, float]
    range_regret: tuple[float, float]


def reward(score: float, cost_usd: float) -> float:
    """r = score − 0.1·cost."""
    return score - COST_WEIGHT * cost_usd


def best_single_reward(task: ReplayTask) -> float:
    """The best r any single model got on this task (the regret reference)."""
    return max(reward(outcome.score, outcome.cost_usd) for outcome in task.outcomes.values())


def visible_feedback(outcome: Outcome, suite: str, mode: FeedbackMode) -> float:
    """What the policy is told about an attempt."""
    if suite == "swe" and mode == "apply-only":
        return 1.0 if outcome.applies else 0.0
    return outcome.score


def unsolvable(task: ReplayTask) -> bool:
    """No model resolves the task (SWE) or scores it above 0 (ID): money spent on it is lost."""
    return all(outcome.score <= 0.0 for outcome in task.outcomes.values())


def view(task: ReplayTask, suite: str) -> TaskView:
    """The task without its outcomes."""
    return TaskView(task_id=task.task_id, suite=suite, dimension=task.dimension, source=task.source,
                    group=task.group, text=task.text)


def task_order(dataset: ReplayDataset, seed: int) -> list[ReplayTask]:
    """Seed 0 keeps file order; other seeds shuffle deterministically."""
    tasks = list(dataset.tasks)
    if seed:
        random.Random(seed).shuffle(tasks)
    return tasks


def play_task(policy: TaskPolicy, task: ReplayTask, suite: str, mode: FeedbackMode, budget_usd: float) -> tuple[float, float, int]:
    """Run one task through the policy: (final score, total cost, attempts)."""
    task_view = view(task, suite)
    attempts: list[Attempt] = []
    scores: list[float] = []
    spent = 0.0
    while len(attempts) < len(task.outcomes):
        model = policy.next_model(task_view, attempts, budget_usd - spent)
        if model is None:
            break
        if model not in task.outcomes or any(attempt.model == model for attempt in attempts):
            raise ValueError(f"policy {policy.name} asked for {model!r}: unknown or already tried")
        outcome = task.outcomes[model]
        if spent + outcome.cost_usd > budget_usd:
            break
        spent += outcome.cost_usd
        attempts.append(Attempt(model=model, cost_usd=outcome.cost_usd, feedback=visible_feedback(outcome, suite, mode),
                                applies=outcome.applies))
        scores.append(outcome.score)
    policy.learn(task_view, attempts)
    if not attempts:
        return 0.0, 0.0, 0
    best = max(range(len(attempts)), key=lambda index: (attempts[index].feedback, index))
    return scores[best], spent, len(attempts)


def run_stream(policy: TaskPolicy, dataset: ReplayDataset, *, mode: FeedbackMode, budget_usd: float,
               order_seed: int, on_task: Callable[[], None] = lambda: None) -> StreamResult:
    """Stream every task of the dataset (in the seeded order) through a fresh policy; `on_task` is
    called after each task (progress)."""
    total_score = total_cost = regret = lost = 0.0
    resolved = attempts_total = escalations = 0
    for task in task_order(dataset, order_seed):
        score, cost, attempts = play_task(policy, task, dataset.suite, mode, budget_usd)
        total_score += score
        total_cost += cost
        lost += cost if unsolvable(task) else 0.0
        resolved += score >= 1.0
        attempts_total += attempts
        escalations += max(0, attempts - 1)
        regret += best_single_reward(task) - reward(score, cost)
        on_task()
    count = len(dataset.tasks)
    return StreamResult(
        policy=policy.name, suite=dataset.suite, mode=mode, order_seed=order_seed, tasks=count,
        score_pct=100 * total_score / count, resolved=resolved, total_usd=total_cost, regret=regret,
        escalations=escalations, attempts_per_task=attempts_total / count, unsolvable_usd=lost,
    )


def summarise(streams: list[StreamResult], budget_usd: float | None) -> PolicyResult:
    """The first order's numbers, and the mean and min–max over all orders."""
    def spread(values: list[float]) -> tuple[float, float]:
        return min(values), max(values)

    return PolicyResult(
        **streams[0].model_dump(exclude={"order_seed"}), budget_usd=budget_usd, orders=len(streams),
        mean_score_pct=statistics.mean(s.score_pct for s in streams),
        mean_total_usd=statistics.mean(s.total_usd for s in streams),
        mean_regret=statistics.mean(s.regret for s in streams),
        mean_unsolvable_usd=statistics.mean(s.unsolvable_usd for s in streams),
        mean_attempts_per_task=statistics.mean(s.attempts_per_task for s in streams),
        range_score_pct=spread([s.score_pct for s in streams]),
        range_total_usd=spread([s.total_usd for s in streams]),
        range_regret=spread([s.regret for s in streams]),
    )


def order_seeds(seed: int, orders: int) -> Iterator[int]:
    """The task orders of a run: `seed`, `seed+1`, … (seed 0 is file order)."""
    return iter(range(seed, seed + orders))
