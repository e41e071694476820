"""Health monitors: each looks at the run after every step and may emit a prioritised signal.

The strongest signal decides what happens next:

| monitor    | condition                                                  | action   | priority |
|------------|------------------------------------------------------------|----------|----------|
| risk       | the last result carries a flag listed in `escalate_on`     | escalate | 100      |
| progress   | `max_failures_without_progress` failed calls in a row      | escalate | 90       |
| rate_limit | no path now, but one once rate windows free (≤ max pause)  | pause    | 70       |
| rate_limit | the last call was refused by the provider's rate limit     | reroute  | 55       |
| outage     | the last call failed                                       | reroute  | 50       |

Rate-limit *proximity* acts earlier, through the weights (`weights.py`): a tool near its limit
grows expensive and traffic moves to alternatives before the provider refuses. With no signal
the run proceeds on its plan; with no plan and no pause, the executor consults the LLM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from pydantic import BaseModel

from agentroute.toolgraph.outcome import CallRecord
from agentroute.toolgraph.planner import Plan
from agentroute.toolgraph.spec import GraphSettings


class Action(StrEnum):
    """What a signal asks for."""

    REROUTE = "reroute"
    PAUSE = "pause"
    ESCALATE = "escalate"


class Signal(BaseModel):
    """A monitor's verdict with its priority (higher wins)."""

    monitor: str
    priority: int
    action: Action
    reason: str
    wait_s: float = 0.0


class Observation(BaseModel):
    """What monitors see: the last call, the current plan (None if no path), and counters."""

    last: CallRecord | None
    plan: Plan | None
    wait_s: float | None
    failures_without_progress: int
    settings: GraphSettings


Monitor = Callable[[Observation], Signal | None]


def risk_monitor(observation: Observation) -> Signal | None:
    """Escalate when the last result carries a risk flag the spec escalates on."""
    last = observation.last
    if last is None:
        return None
    flags = [flag for flag in last.risk if flag in observation.settings.escalate_on]
    if not flags:
        return None
    return Signal(monitor="risk", priority=100, action=Action.ESCALATE,
                  reason=f"risk signal {', '.join(flags)} from {last.tool}")


def progress_monitor(observation: Observation) -> Signal | None:
    """Escalate after too many failed calls without reaching a new state."""
    limit = observation.settings.max_failures_without_progress
    if observation.failures_without_progress < limit:
        return None
    return Signal(monitor="progress", priority=90, action=Action.ESCALATE,
                  reason=f"no progress after {observation.failures_without_progress} failed calls in a row")


def rate_limit_monitor(observation: Observation) -> Signal | None:
    """Pause when only waiting for a rate window restores a path; reroute around a refused call."""
    if observation.plan is None and observation.wait_s is not None:
        return Signal(monitor="rate_limit", priority=70, action=Action.PAUSE, wait_s=observation.wait_s,
                      reason=f"no path until a rate window frees in {observation.wait_s:.1f} s")
    last = observation.last
    if last is not None and last.rate_limited:
        return Signal(monitor="rate_limit", priority=55, action=Action.REROUTE,
                      reason=f"{last.tool} refused the call (rate limit, retry after {last.retry_after_s or 0:.1f} s)")
    return None


def outage_monitor(observation: Observation) -> Signal | None:
    """Reroute around a tool whose last call failed."""
    last = observation.last
    if last is None or last.ok or last.rate_limited:
        return None
    return Signal(monitor="outage", priority=50, action=Action.REROUTE, reason=f"{last.tool} failed: {last.error}")


DEFAULT_MONITORS: tuple[Monitor, ...] = (risk_monitor, progress_monitor, rate_limit_monitor, outage_monitor)


def strongest(monitors: Iterable[Monitor], observation: Observation) -> Signal | None:
    """The highest-priority signal any monitor emits (the earlier monitor wins a tie), or None."""
    best: Signal | None = None
    for monitor in monitors:
        signal = monitor(observation)
        if signal is not None and (best is None or signal.priority > best.priority):
            best = signal
    return best
