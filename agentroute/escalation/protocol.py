"""What a task-level policy sees and returns (in `agentroute run --attempts` and in the replay).

For each task the harness shows the policy a `TaskView` (never the recorded outcomes) and asks
for a model; after each attempt the policy sees only that attempt's feedback and may ask for
another model (a cascade) or stop. When the task ends the policy may learn from its attempts.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel

FeedbackMode = Literal["resolved", "apply-only"]


class TaskView(BaseModel):
    """The part of a task a router may see."""

    task_id: str
    suite: str
    dimension: str
    source: str
    group: str
    text: str


class Attempt(BaseModel):
    """One attempt as the policy sees it: the model, its cost, the visible feedback in [0, 1] and
    whether its patch applies (observable in every mode; always true for non-patch tasks)."""

    model: str
    cost_usd: float
    feedback: float
    applies: bool


class TaskPolicy(Protocol):
    """A task-level router: choose a model (or stop) given the attempts so far; learn at the end."""

    name: str

    def next_model(self, task: TaskView, attempts: list[Attempt], remaining_usd: float) -> str | None:
        """The next model to try, or None to stop."""
        ...

    def learn(self, task: TaskView, attempts: list[Attempt]) -> None:
        """The task is over: learn from its attempts."""
        ...
