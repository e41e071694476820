"""Half-open time intervals and a small booking calendar built on them."""

from intervals.calendar import BookingConflict, Calendar, common_free_slots
from intervals.core import Interval, gaps, intersect, merge, parse_hhmm

__all__ = [
    "BookingConflict",
    "Calendar",
    "Interval",
    "common_free_slots",
    "gaps",
    "intersect",
    "merge",
    "parse_hhmm",
]
