"""The :class:`DateRange` value type: a closed interval of calendar days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator, Optional

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DateRange:
    """All days from ``start`` to ``end``, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"range ends before it starts: {self.start} > {self.end}")

    @classmethod
    def from_strings(cls, start: str, end: str) -> "DateRange":
        """Build a range from two ISO ``YYYY-MM-DD`` strings."""
        return cls(date.fromisoformat(start), date.fromisoformat(end))

    def __len__(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __iter__(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += ONE_DAY

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def overlaps(self, other: "DateRange") -> bool:
        """True when the two ranges share at least one day."""
        return self.start <= other.end and other.start <= self.end

    def intersection(self, other: "DateRange") -> Optional["DateRange"]:
        """The days common to both ranges, or ``None`` if they are disjoint."""
        if not self.overlaps(other):
            return None
        return DateRange(max(self.start, other.start), min(self.end, other.end))

    def weekdays(self) -> int:
        """How many Monday-to-Friday days the range contains."""
        full_weeks, remainder = divmod(len(self), 7)
        count = full_weeks * 5
        for offset in range(remainder):
            if (self.start + timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
                count += 1
        return count
