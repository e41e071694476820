"""Half-open intervals ``[start, end)`` over integers.

Times are plain integers (the calendar uses minutes since midnight), so a
meeting from 09:00 to 10:00 is ``Interval(540, 600)`` and it does not
overlap one that starts at 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Interval:
    """The half-open range ``[start, end)``; empty intervals are not allowed."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"interval end {self.end} must be after start {self.start}")

    @property
    def length(self) -> int:
        return self.end - self.start

    def contains(self, point: int) -> bool:
        """Whether ``point`` lies inside the interval (``end`` is excluded)."""
        return self.start <= point < self.end

    def overlaps(self, other: Interval) -> bool:
        """Whether the two intervals share at least one point."""
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Interval) -> Interval | None:
        """The common part of both intervals, or ``None`` if they are disjoint."""
        if not self.overlaps(other):
            return None
        return Interval(max(self.start, other.start), min(self.end, other.end))

    def __str__(self) -> str:
        return f"[{self.start}, {self.end})"


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of ``intervals`` as a sorted list of disjoint intervals.

    Intervals that overlap or touch (``[1, 3)`` and ``[3, 5)``) are joined.
    """
    merged: list[Interval] = []
    for current in sorted(intervals):
        if merged and current.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, current.end)
        else:
            merged.append(current)
    return merged


def intersect(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    """Points covered by both ``left`` and ``right``, as disjoint sorted intervals."""
    a = merge(left)
    b = merge(right)
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        common = a[i].intersection(b[j])
        if common is not None:
            result.append(common)
        # Drop whichever interval finishes first; it cannot meet anything else.
        if a[i].end <= b[j].end:
            i += 1
        else:
            j += 1
    return result


def gaps(busy: Iterable[Interval], window: Interval) -> list[Interval]:
    """The parts of ``window`` not covered by any interval in ``busy``."""
    free: list[Interval] = []
    cursor = window.start
    for block in merge(busy):
        if block.end <= window.start:
            continue
        if block.start >= window.end:
            break
        if block.start > cursor:
            free.append(Interval(cursor, block.start))
        cursor = max(cursor, block.end)
    if cursor < window.end:
        free.append(Interval(cursor, window.end))
    return free


def parse_hhmm(text: str) -> int:
    """Convert ``"HH:MM"`` (24-hour clock, ``"24:00"`` allowed) to minutes."""
    hours_text, sep, minutes_text = text.strip().partition(":")
    if not sep or not hours_text.isdigit() or len(minutes_text) != 2 or not minutes_text.isdigit():
        raise ValueError(f"expected HH:MM, got {text!r}")
    hours, minutes = int(hours_text), int(minutes_text)
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"not a time of day: {text!r}")
    return hours * 60 + minutes
