"""The token bucket.

A bucket holds up to ``capacity`` tokens and gains ``rate`` tokens per
second.  Each request spends tokens; a request that finds too few tokens is
refused (or, with :meth:`TokenBucket.acquire`, waits).  Bursts of up to
``capacity`` requests are therefore allowed, while the long-run rate stays at
``rate`` per second.
"""

from __future__ import annotations

import time
from typing import Callable

from throttle.clock import Clock


class TokenBucket:
    """A token bucket driven by ``clock`` (``time.monotonic`` by default)."""

    def __init__(
        self,
        capacity: float,
        rate: float,
        *,
        clock: Clock = time.monotonic,
        initial: float | None = None,
    ) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.capacity = float(capacity)
        self.rate = float(rate)
        self._clock = clock
        self._tokens = self.capacity if initial is None else min(float(initial), self.capacity)
        self._updated_at = clock()

    def __repr__(self) -> str:
        return f"TokenBucket(capacity={self.capacity:g}, rate={self.rate:g}, tokens={self._tokens:g})"

    def _refill(self) -> float:
        """Add the tokens earned since the last update; return the current time."""
        now = self._clock()
        elapsed = now - self._updated_at
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        return now

    def _check(self, tokens: float) -> None:
        if tokens <= 0:
            raise ValueError("tokens must be positive")
        if tokens > self.capacity:
            raise ValueError(f"cannot take {tokens:g} tokens from a bucket of {self.capacity:g}")

    def available(self) -> float:
        """Tokens that could be taken right now."""
        self._refill()
        return self._tokens

    def try_acquire(self, tokens: float = 1) -> bool:
        """Take ``tokens`` if there are enough, without waiting."""
        self._check(tokens)
        now = self._refill()
        if self._tokens >= tokens:
            self._tokens -= tokens
            self._updated_at = now
            return True
        return False

    def wait_time(self, tokens: float = 1) -> float:
        """Seconds until ``tokens`` will be available (0.0 if they already are)."""
        self._check(tokens)
        self._refill()
        missing = tokens - self._tokens
        return max(0.0, missing / self.rate)

    def acquire(
        self,
        tokens: float = 1,
        *,
        timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> bool:
        """Take ``tokens``, sleeping until they are available.

        Returns ``False`` without taking anything if that would mean waiting
        longer than ``timeout`` seconds in total.
        """
        waited = 0.0
        while not self.try_acquire(tokens):
            delay = self.wait_time(tokens)
            if timeout is not None and waited + delay > timeout:
                return False
            sleep(delay)
            waited += delay
        return True
