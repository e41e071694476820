"""The replay policy's evidence from the Chroma experience memory (the product path).

Every attempt is written as an Experience (context text, group, model, visible feedback, cost);
when the task ends its outcome (the best feedback) is credited back to all of its attempts.
Estimates come from kNN over the task text, shrunk toward the task's group.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

from agentroute.memory.records import Experience, ModelEvidence, Retrieval
from agentroute.memory.store import ExperienceMemory
from agentroute.escalation.evidence import task_text
from agentroute.escalation.failures import FailureStats
from agentroute.escalation.protocol import Attempt, FeedbackMode, TaskView


class MemoryEvidence:
    """kNN evidence from an ExperienceMemory; records attempts and credits task outcomes."""

    name = "memory"

    def __init__(self, memory: ExperienceMemory, *, run_prefix: str, retrieval: Retrieval | None = None,
                 embed: Callable[[TaskView], list[float]] | None = None) -> None:
        """`embed` replaces the memory's own embedder for the task text (e.g. sentence embeddings)."""
        self.memory = memory
        self.run_prefix = run_prefix
        self.retrieval = retrieval or Retrieval()
        self.embed = embed
        self.failures = FailureStats()

    def stats(self, task: TaskView) -> dict[str, ModelEvidence]:
        """Per-model successes, trials and mean cost among similar past tasks."""
        return self.memory.evidence(task_text(task), group=task.group, embedding=self.embed(task) if self.embed else None,
                                    **self.retrieval.model_dump()).per_model

    def record(self, task: TaskView, attempts: list[Attempt]) -> None:
        """Write each attempt (context → action → feedback) with the task's outcome credited to it.

        A replayed task has ended by the time it is recorded, so its outcome goes in the same
        write; a live run credits it later with `ExperienceMemory.credit`."""
        if not attempts:
            return
        best = max(attempt.feedback for attempt in attempts)
        outcome = "resolved" if best >= 1.0 else "unresolved"
        now = time.time()
        vectors = [self.embed(task)] * len(attempts) if self.embed else None
        self.memory.add_many([
            Experience(id=uuid.uuid4().hex, run_id=f"{self.run_prefix}:{task.task_id}", step=step,
                       created=now + step * 1e-6, text=task_text(task), group=task.group,
                       features={"suite": task.suite, "dimension": task.dimension, "source": task.source},
                       model=attempt.model, success=attempt.feedback, cost_usd=attempt.cost_usd,
                       task_success=best, task_outcome=outcome)
            for step, attempt in enumerate(attempts)
        ], embeddings=vectors)


def memory_factory(root: Path | None) -> Callable[[str, FeedbackMode, int], MemoryEvidence]:
    """A fresh memory per (suite, mode, order), so every replay starts cold: a Chroma store under
    `root`, or an in-process Chroma memory when `root` is None."""

    def make(suite: str, mode: FeedbackMode, seed: int) -> MemoryEvidence:
        if root is None:
            memory = ExperienceMemory(in_process=True)
        else:
            memory = ExperienceMemory(root / f"{suite}-{mode}-order{seed}")
            memory.clear()
        return MemoryEvidence(memory, run_prefix=f"replay-{suite}-{mode}-{seed}")

    return make
