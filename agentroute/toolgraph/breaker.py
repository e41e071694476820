"""A circuit breaker per tool, shared by every run that uses the tool.

closed ──N consecutive failures──▶ open ──cooldown elapsed──▶ half-open
   ▲                                 ▲                           │
   └──────────── success ────────────┼──────── failure ──────────┘

While open, the tool is off the graph for every run (no call is spent on it); after the
cooldown one trial call is allowed (half-open): success closes the breaker, failure reopens it
for another cooldown. Time comes from an injectable clock, so tests never sleep.
"""

from __future__ import annotations

from enum import StrEnum

from agentroute.toolgraph.clock import Clock, SystemClock


class BreakerState(StrEnum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; half-opens `cooldown_s` later."""

    def __init__(self, *, threshold: int = 3, cooldown_s: float = 60.0, clock: Clock | None = None) -> None:
        if threshold < 1 or cooldown_s < 0:
            raise ValueError("threshold must be ≥ 1 and cooldown_s ≥ 0")
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock or SystemClock()
        self.failures = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> BreakerState:
        """Closed, open, or half-open once the cooldown has elapsed."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self.clock.now() - self._opened_at >= self.cooldown_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """Whether a call may go through now (closed, or a half-open trial)."""
        return self.state is not BreakerState.OPEN

    def reopens_in(self) -> float:
        """Seconds until an open breaker half-opens (0 when not open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_s - self.clock.now())

    def record_success(self) -> None:
        """A call worked: close the breaker."""
        self.failures = 0
        self._opened_at = None

    def record_failure(self) -> None:
        """A call failed: count it; open at the threshold, reopen on a failed half-open trial."""
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.threshold:
            self._opened_at = self.clock.now()
