"""Calendar arithmetic and inclusive date ranges built on :mod:`datetime`."""

from daterange.calendar import add_months, end_of_month, month_ranges, start_of_month
from daterange.span import DateRange

__all__ = ["DateRange", "add_months", "end_of_month", "month_ranges", "start_of_month"]
