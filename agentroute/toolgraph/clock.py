"""Clocks for the tool graph: the system clock, and a manual one so tests and benches never sleep."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Seconds that only move forward, and a way to wait."""

    def now(self) -> float:
        """Current time in seconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        ...


class SystemClock:
    """Monotonic wall time; `sleep` really sleeps."""

    def now(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """`time.sleep(seconds)`."""
        time.sleep(max(0.0, seconds))


class ManualClock:
    """Simulated time: `sleep` and `advance` move it forward instantly."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        """The simulated time."""
        return self.t

    def sleep(self, seconds: float) -> None:
        """Advance the simulated time by `seconds` without waiting."""
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move the simulated time forward."""
        self.t += max(0.0, seconds)
