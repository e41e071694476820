"""Clocks for :class:`~throttle.bucket.TokenBucket`.

A clock is any zero-argument callable returning seconds as a float, such as
:func:`time.monotonic`.  :class:`ManualClock` is a controllable clock for
tests and simulations.
"""

from __future__ import annotations

from typing import Callable

Clock = Callable[[], float]


class ManualClock:
    """A clock that only moves when told to.

    ``sleep`` advances it, so it can stand in for both ``time.monotonic``
    and ``time.sleep``.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)
