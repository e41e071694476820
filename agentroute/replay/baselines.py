"""Baseline replay policies: always-<model>, the per-task oracle, the released ACRouter cascade and
its k = 1, 2, 3 verify-and-escalate variants, LinUCB, and LiteLLM's complexity router as a peer."""

from __future__ import annotations

import hashlib

import numpy as np

from agentroute.replay.data import ReplayDataset
from agentroute.replay.harness import best_single_reward, reward
from agentroute.escalation.protocol import Attempt, TaskView

ACROUTER_CHEAP = ("MiniMax-M2.7", "kimi-k2.5", "gpt-5.4", "glm-5")
ACROUTER_STRONG = "claude-opus-4-6"
SUCCESS = 1.0 - 1e-9


class SingleModelPolicy:
    """Shared shape of one-pick policies: `choose` once, then stop; nothing to learn by default."""

    name = "single"

    def choose(self, task: TaskView) -> str:
        """The one model for this task."""
        raise NotImplementedError

    def next_model(self, task: TaskView, attempts: list[Attempt], remaining_usd: float) -> str | None:
        """The chosen model first, then stop."""
        return None if attempts else self.choose(task)

    def learn(self, task: TaskView, attempts: list[Attempt]) -> None:
        """One-pick baselines that do not learn ignore the outcome."""


class AlwaysModel(SingleModelPolicy):
    """Every task to one model."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.name = f"always-{model}"

    def choose(self, task: TaskView) -> str:
        """The fixed model."""
        return self.model


class Oracle(SingleModelPolicy):
    """Hindsight: the model with the best r on each task (an upper bound, not a router)."""

    name = "oracle"

    def __init__(self, dataset: ReplayDataset) -> None:
        self._best = {
            task.task_id: next(model for model, outcome in sorted(task.outcomes.items())
                               if reward(outcome.score, outcome.cost_usd) == best_single_reward(task))
            for task in dataset.tasks
        }

    def choose(self, task: TaskView) -> str:
        """The hindsight-best model."""
        return self._best[task.task_id]


class ReleasedACRouter:
    """The released ACRouter cascade: cheap models in order, stop at the first success; when all
    failed and at least `k` of them produced a patch that applies, one attempt on the strong model.
    With `immediate`, escalate as soon as `k` applicable cheap attempts have failed (the k-variants)."""

    def __init__(self, k: int = 2, *, immediate: bool = False, cheap: tuple[str, ...] = ACROUTER_CHEAP,
                 strong: str = ACROUTER_STRONG, name: str | None = None) -> None:
        self.k, self.immediate, self.cheap, self.strong = k, immediate, cheap, strong
        self.name = name or (f"cascade-k{k}" if immediate else "acrouter-released")

    def next_model(self, task: TaskView, attempts: list[Attempt], remaining_usd: float) -> str | None:
        """Next cheap model, the strong one, or stop."""
        if attempts and attempts[-1].feedback >= SUCCESS or any(a.model == self.strong for a in attempts):
            return None
        applicable = sum(1 for attempt in attempts if attempt.applies)
        cheap_left = [model for model in self.cheap if model not in {a.model for a in attempts}]
        if applicable >= self.k and (self.immediate or not cheap_left):
            return self.strong
        return cheap_left[0] if cheap_left else None

    def learn(self, task: TaskView, attempts: list[Attempt]) -> None:
        """A fixed cascade does not learn."""


def _group_features(group: str, dim: int = 16) -> np.ndarray:
    vector = np.zeros(dim + 1)
    vector[0] = 1.0
    vector[1 + int(hashlib.blake2b(group.encode(), digest_size=4).hexdigest(), 16) % dim] = 1.0
    return vector


class LinUCB(SingleModelPolicy):
    """Disjoint LinUCB over models; context = bias + hashed one-hot of the task group; reward = visible
    feedback − 0.1·cost."""

    name = "linucb"

    def __init__(self, models: list[str], alpha: float = 0.5) -> None:
        self.models = models
        self.alpha = alpha
        dim = len(_group_features(""))
        self._a = {model: np.eye(dim) for model in models}
        self._b = {model: np.zeros(dim) for model in models}

    def choose(self, task: TaskView) -> str:
        """The arm with the highest upper confidence bound (ties: first in model order)."""
        x = _group_features(task.group)
        best, best_score = self.models[0], -np.inf
        for model in self.models:
            inverse = np.linalg.inv(self._a[model])
            score = float(inverse @ self._b[model] @ x + self.alpha * np.sqrt(x @ inverse @ x))
            if score > best_score:
                best, best_score = model, score
        return best

    def learn(self, task: TaskView, attempts: list[Attempt]) -> None:
        """Update the chosen arm."""
        x = _group_features(task.group)
        for attempt in attempts:
            self._a[attempt.model] += np.outer(x, x)
            self._b[attempt.model] += (attempt.feedback - 0.1 * attempt.cost_usd) * x


class ComplexityPeer(SingleModelPolicy):
    """LiteLLM's rule-based complexity router: SIMPLE/MEDIUM/COMPLEX/REASONING of the task text
    (the issue text; for ID tasks, which carry no prompt, their dimension and source) mapped to
    four price quartiles of the pool (the cheaper model of each quartile)."""

    name = "litellm-complexity"

    def __init__(self, prices: dict[str, float]) -> None:
        from agentroute.complexity import ComplexityClassifier

        self._classify = ComplexityClassifier()
        by_price = sorted(prices, key=lambda model: (prices[model], model))
        quartile = max(1, len(by_price) // 4)
        self._tier_model = [by_price[min(index * quartile, len(by_price) - 1)] for index in range(4)]

    def choose(self, task: TaskView) -> str:
        """The model mapped to the task's complexity tier."""
        text = task.text or f"{task.dimension.replace('_', ' ')} task from {task.source}"
        return self._tier_model[self._classify.tier(text)]
