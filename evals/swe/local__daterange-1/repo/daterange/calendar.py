"""Month arithmetic helpers.

All functions take and return :class:`datetime.date` objects and never
mutate their input.  Month arithmetic clamps the day to the length of the
target month, so ``add_months(date(2024, 1, 31), 1)`` is ``2024-02-29``.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Iterator

from daterange.span import DateRange


def days_in_month(year: int, month: int) -> int:
    """Number of days in ``month`` of ``year`` (leap years included)."""
    return calendar.monthrange(year, month)[1]


def start_of_month(day: date) -> date:
    """First day of the month containing ``day``."""
    return day.replace(day=1)


def end_of_month(day: date) -> date:
    """Last day of the month containing ``day``."""
    return day.replace(day=days_in_month(day.year, day.month))


def add_months(day: date, months: int) -> date:
    """Shift ``day`` by a whole number of calendar months.

    ``months`` may be negative.  When the target month is shorter than the
    day of month, the result is clamped to its last day.
    """
    total = day.month + months
    year = day.year + total // 12
    month = total % 12 or 12
    return date(year, month, min(day.day, days_in_month(year, month)))


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative if reversed).

    A month only counts once its day of month has been reached, with
    month-end clamping: Jan 31 to Feb 29 is one month.
    """
    if end < start:
        return -months_between(end, start)
    count = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, count) > end:
        count -= 1
    return count


def month_ranges(span: DateRange) -> Iterator[DateRange]:
    """Split ``span`` at month boundaries.

    The first and last pieces are trimmed to ``span``::

        2024-01-20..2024-03-05 -> 01-20..01-31, 02-01..02-29, 03-01..03-05
    """
    cursor = span.start
    while cursor <= span.end:
        month_end = end_of_month(cursor)
        yield DateRange(cursor, min(month_end, span.end))
        cursor = add_months(start_of_month(cursor), 1)


def quarter_of(day: date) -> DateRange:
    """The calendar quarter (Q1 = Jan..Mar) that contains ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    first = date(day.year, first_month, 1)
    return DateRange(first, end_of_month(add_months(first, 2)))
