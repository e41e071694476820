from datetime import date

import pytest

from daterange import DateRange


def test_length_and_membership_are_inclusive():
    span = DateRange.from_strings("2024-03-01", "2024-03-31")
    assert len(span) == 31
    assert date(2024, 3, 31) in span
    assert date(2024, 4, 1) not in span
    assert "2024-03-05" not in span


def test_reversed_range_is_rejected():
    with pytest.raises(ValueError):
        DateRange(date(2024, 1, 2), date(2024, 1, 1))


def test_intersection_of_touching_ranges_is_one_day():
    a = DateRange.from_strings("2024-01-01", "2024-01-10")
    b = DateRange.from_strings("2024-01-10", "2024-01-20")
    assert a.intersection(b) == DateRange(date(2024, 1, 10), date(2024, 1, 10))
    assert a.intersection(DateRange.from_strings("2024-02-01", "2024-02-02")) is None


def test_weekdays_skips_weekends():
    # 2024-06-03 is a Monday.
    assert DateRange.from_strings("2024-06-03", "2024-06-16").weekdays() == 10
    assert DateRange.from_strings("2024-06-08", "2024-06-09").weekdays() == 0
    assert DateRange.from_strings("2024-06-07", "2024-06-11").weekdays() == 3
