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

    ``sleep`` is ``advance``, so one object can stand in for both
    ``time.monotonic`` and ``time.sleep``.
    """

    __slots__ = ("elapsed",)

    def __init__(self, start: float = 0.0) -> None:
        self.elapsed = start

    def __call__(self) -> float:
        return self.elapsed

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` and return the new reading."""
        if seconds < 0:
            raise ValueError(f"cannot move a clock back by {-seconds} s")
        self.elapsed += seconds
        return self.elapsed

    sleep = advance
