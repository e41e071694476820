"""Where the replay policy's per-model success and cost estimates come from.

`GroupEvidence` keeps running per-group and global aggregates in process; `MemoryEvidence` asks the
Chroma experience memory (kNN over the task text, shrunk toward the group) and writes every
attempt back to it — the C-A-F loop. Both answer with the memory's `ModelEvidence`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from agentroute.escalation.failures import FailureStats
from agentroute.escalation.protocol import Attempt, TaskView
from agentroute.memory.records import ModelEvidence


class EvidenceSource(Protocol):
    """Estimates for a task, and a place to write what happened; `failures` holds the conditional
    counts the policy keeps beside it (so every policy over one evidence source shares them)."""

    name: str
    failures: FailureStats

    def stats(self, task: TaskView) -> dict[str, ModelEvidence]:
        """Per-model evidence for tasks like this one."""
        ...

    def record(self, task: TaskView, attempts: list[Attempt]) -> None:
        """Store the task's attempts with their feedback."""
        ...


class GroupEvidence:
    """Per-group statistics shrunk toward the global ones: (s_g + w·rate) / (n_g + w)."""

    name = "group"

    def __init__(self, shrink: float = 4.0) -> None:
        self.shrink = shrink
        self.failures = FailureStats()
        self._group: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        self._global: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])

    def stats(self, task: TaskView) -> dict[str, ModelEvidence]:
        """Group evidence plus `shrink` pseudo-trials at the model's global rate."""
        out = {}
        for model, (g_success, g_trials, g_cost) in self._global.items():
            success, trials, cost = self._group[(task.group, model)]
            rate = g_success / g_trials
            out[model] = ModelEvidence(
                successes=success + self.shrink * rate, trials=trials + self.shrink,
                mean_cost_usd=(cost + self.shrink * g_cost / g_trials) / (trials + self.shrink),
            )
        return out

    def record(self, task: TaskView, attempts: list[Attempt]) -> None:
        """Add each attempt to its group's and the global aggregates."""
        for attempt in attempts:
            for bucket in (self._group[(task.group, attempt.model)], self._global[attempt.model]):
                bucket[0] += attempt.feedback
                bucket[1] += 1
                bucket[2] += attempt.cost_usd


def task_text(task: TaskView) -> str:
    """What the memory embeds for a task: its text, or its dimension and source when it has none."""
    return task.text or f"{task.dimension} {task.source}"
