"""What a tool-graph run reports: its outcome, the states it reached and why, and every event."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Outcome(StrEnum):
    """How a run ended: the goal reached, a reduced goal reached, or handed over with a report."""

    COMPLETED = "completed"
    DEMOTED = "demoted"
    ESCALATED = "escalated"


class CallRecord(BaseModel):
    """One tool call as the run saw it."""

    tool: str
    source: str
    target: str
    ok: bool
    error: str | None = None
    rate_limited: bool = False
    retry_after_s: float | None = None
    risk: list[str] = Field(default_factory=list)
    call_id: str | None = None


EventKind = Literal["plan", "reroute", "pause", "demote", "escalation"]


class Event(BaseModel):
    """A control decision of the run; each is also written to the router's decision trace."""

    kind: EventKind
    reason: str
    tool: str | None = None
    failed: list[str] = Field(default_factory=list)
    path_before: str | None = None
    path_after: str | None = None
    monitor: str | None = None


class EscalationReport(BaseModel):
    """What a human (or a stronger model) needs to take over."""

    spec: str
    goal: str
    original_goal: str
    reason: str
    monitor: str
    achieved: list[str]
    failed_tools: dict[str, str]
    options_considered: list[str] = Field(default_factory=list)
    summary: str = ""


class RunResult(BaseModel):
    """A run's claim: outcome, goal, each achieved state with the call id that produced it."""

    spec: str
    outcome: Outcome
    goal: str
    original_goal: str
    achieved: dict[str, str | None]
    calls: list[CallRecord] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    report: EscalationReport | None = None
    control_calls: int = 0

    @property
    def label(self) -> str:
        """`completed`, `escalated` or `demoted:<goal>`."""
        return f"demoted:{self.goal}" if self.outcome is Outcome.DEMOTED else self.outcome.value
