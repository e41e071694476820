"""`SurvivingExperience`: a memory failure costs a run its evidence, never the run.

It wraps the experience source the budget-aware policy uses. When the memory raises
MemoryUnavailable (its directory removed mid-run, a store gone unreadable, a server down), the
run gets one warning line and routes on without memory: no evidence, no writes, no credit, until
it finishes. Other runs keep trying the memory, so each affected run warns once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from agentroute.context import StepContext
from agentroute.memory.errors import MemoryUnavailable
from agentroute.policies.base import Decision, Feedback
from agentroute.policies.budget_aware import ExperienceSource, TierEvidence

log = logging.getLogger("agentroute.memory")
Value = TypeVar("Value")


class SurvivingExperience:
    """An ExperienceSource that turns the memory off for a run at its first MemoryUnavailable."""

    def __init__(self, source: ExperienceSource) -> None:
        self.source = source
        self._lost: set[str] = set()
        self._lock = threading.Lock()

    def estimate(self, context: StepContext) -> dict[int, TierEvidence]:
        """The source's evidence, or none once the memory failed this run."""
        return self._guarded(context.run_id, lambda: self.source.estimate(context), {})

    def record(self, context: StepContext, decision: Decision, feedback: Feedback) -> None:
        """Write through the source, unless the memory failed this run."""
        self._guarded(context.run_id, lambda: self.source.record(context, decision, feedback), None)

    def finish(self, run_id: str, outcome: str) -> None:
        """Credit through the source, unless the memory failed this run; the run is then forgotten."""
        self._guarded(run_id, lambda: self.source.finish(run_id, outcome), None)
        with self._lock:
            self._lost.discard(run_id)

    def _guarded(self, run_id: str, call: Callable[[], Value], fallback: Value) -> Value:
        with self._lock:
            if run_id in self._lost:
                return fallback
        try:
            return call()
        except MemoryUnavailable as error:
            with self._lock:
                first = run_id not in self._lost
                self._lost.add(run_id)
            if first:
                log.warning("warning: %s; run %s continues without the experience memory", error, run_id)
            return fallback
