"""The data of the experience memory: one decision with its feedback, and what retrieval returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_COLLECTION = "experience"  # the step router's records (`agentroute run --attempts` adds `escalation`)

Feature = float | int | str | bool


class Experience(BaseModel):
    """One routed decision: its context (text + features), action (tier, model) and feedback.

    `success` is the immediate step outcome in [0, 1]; `task_success` / `task_outcome` are credited
    to every decision of the run when the task ends (see `ExperienceMemory.credit`).
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    run_id: str
    step: int = Field(ge=0)
    created: float
    text: str
    group: str = ""
    features: dict[str, Feature] = Field(default_factory=dict)
    tier: int | None = Field(default=None, ge=0)
    model: str
    success: float | None = Field(default=None, ge=0.0, le=1.0)
    cost_usd: float = Field(default=0.0, ge=0.0)
    verifier_score: float | None = None
    task_success: float | None = Field(default=None, ge=0.0, le=1.0)
    task_outcome: str | None = None


class ModelEvidence(BaseModel):
    """Successes and trials (pseudo-trials included) of one model or tier, and its mean cost."""

    successes: float
    trials: float
    mean_cost_usd: float | None


class Retrieval(BaseModel):
    """How a consumer asks the memory for evidence (the keyword arguments of `ExperienceMemory.evidence`)."""

    k: int = Field(default=20, ge=1)
    min_similarity: float = 0.2
    shrink: float = Field(default=4.0, ge=0.0)
    signal: Literal["step", "task"] = "step"


class Evidence(BaseModel):
    """What the memory knows about steps like one context: per model, per tier, and how much."""

    per_model: dict[str, ModelEvidence]
    per_tier: dict[int, ModelEvidence]
    neighbours: int
    group_trials: float


class MemoryStats(BaseModel):
    """A summary of a store: where it is, how many records, of which models and groups, how old."""

    path: str | None
    url: str | None
    collection: str
    count: int
    max_records: int
    per_model: dict[str, int]
    groups: dict[str, int]
    oldest: float | None
    newest: float | None
