"""A client-side view of one tool's rate limit: calls in a sliding window, plus provider blocks."""

from __future__ import annotations

from collections import deque

from agentroute.toolgraph.clock import Clock
from agentroute.toolgraph.spec import RateLimit


class RateWindow:
    """Counts calls in the last `window_s` seconds; a 429's retry-after blocks the tool outright."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self._calls: deque[float] = deque()
        self._blocked_until = 0.0

    def _prune(self) -> None:
        horizon = self.clock.now() - self.limit.window_s
        while self._calls and self._calls[0] <= horizon:
            self._calls.popleft()

    def record(self, count: int = 1) -> None:
        """`count` calls made now (also used to load calls made earlier by other runs)."""
        self._calls.extend([self.clock.now()] * count)

    def block(self, seconds: float) -> None:
        """The provider refused a call: no call before `seconds` from now."""
        self._blocked_until = max(self._blocked_until, self.clock.now() + seconds)

    def use(self) -> float:
        """Fraction of the window used, 0…1 (1 when blocked or full)."""
        self._prune()
        if self.clock.now() < self._blocked_until:
            return 1.0
        return min(1.0, len(self._calls) / self.limit.calls)

    def free_in(self) -> float:
        """Seconds until the next call is allowed (0 if allowed now)."""
        self._prune()
        now = self.clock.now()
        wait = max(0.0, self._blocked_until - now)
        if len(self._calls) >= self.limit.calls:
            oldest_to_expire = self._calls[len(self._calls) - self.limit.calls]
            wait = max(wait, oldest_to_expire + self.limit.window_s - now)
        return wait
