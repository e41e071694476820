"""A per-person booking calendar and a helper for finding shared free time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from intervals.core import Interval, gaps, merge, parse_hhmm


class BookingConflict(Exception):
    """Raised when a new booking overlaps an existing one."""

    def __init__(self, title: str, existing: str, slot: Interval) -> None:
        super().__init__(f"{title!r} {slot} clashes with {existing!r}")
        self.title = title
        self.existing = existing
        self.slot = slot


@dataclass
class Calendar:
    """Bookings for one person; bookings never overlap each other."""

    owner: str
    _bookings: dict[Interval, str] = field(default_factory=dict)

    def book(self, title: str, start: str, end: str) -> Interval:
        """Book ``[start, end)`` given as ``"HH:MM"`` strings.

        Back-to-back bookings are fine; any overlap raises
        :class:`BookingConflict`.
        """
        slot = Interval(parse_hhmm(start), parse_hhmm(end))
        for existing, existing_title in self._bookings.items():
            if existing.overlaps(slot):
                raise BookingConflict(title, existing_title, slot)
        self._bookings[slot] = title
        return slot

    def cancel(self, title: str) -> None:
        """Remove every booking called ``title``; raises ``KeyError`` if there is none."""
        slots = [slot for slot, name in self._bookings.items() if name == title]
        if not slots:
            raise KeyError(title)
        for slot in slots:
            del self._bookings[slot]

    def busy(self) -> list[Interval]:
        """Booked time as sorted, disjoint intervals."""
        return merge(self._bookings)

    def free_slots(self, day_start: str = "09:00", day_end: str = "17:00") -> list[Interval]:
        """Free time between ``day_start`` and ``day_end``."""
        return gaps(self._bookings, Interval(parse_hhmm(day_start), parse_hhmm(day_end)))


def common_free_slots(
    calendars: Iterable[Calendar],
    day_start: str = "09:00",
    day_end: str = "17:00",
    min_minutes: int = 1,
) -> list[Interval]:
    """Slots of at least ``min_minutes`` in which every calendar is free."""
    busy: list[Interval] = []
    for calendar in calendars:
        busy.extend(calendar.busy())
    window = Interval(parse_hhmm(day_start), parse_hhmm(day_end))
    return [slot for slot in gaps(busy, window) if slot.length >= min_minutes]
