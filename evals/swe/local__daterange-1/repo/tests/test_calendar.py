from datetime import date

from daterange import DateRange, add_months, end_of_month, month_ranges
from daterange.calendar import months_between, quarter_of


def test_add_months_clamps_to_month_end():
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 5, 31), -1) == date(2024, 4, 30)


def test_add_months_crosses_year_boundary():
    assert add_months(date(2023, 12, 15), 1) == date(2024, 1, 15)
    assert add_months(date(2024, 2, 10), -3) == date(2023, 11, 10)
    assert add_months(date(2020, 6, 1), 24) == date(2022, 6, 1)


def test_end_of_month_handles_leap_years():
    assert end_of_month(date(2024, 2, 3)) == date(2024, 2, 29)
    assert end_of_month(date(2100, 2, 3)) == date(2100, 2, 28)


def test_months_between_counts_whole_months():
    assert months_between(date(2024, 1, 31), date(2024, 2, 29)) == 1
    assert months_between(date(2024, 1, 15), date(2024, 3, 14)) == 1
    assert months_between(date(2024, 3, 14), date(2024, 1, 15)) == -1


def test_month_ranges_trim_first_and_last_piece():
    pieces = [str(r) for r in month_ranges(DateRange.from_strings("2024-01-20", "2024-03-05"))]
    assert pieces == ["2024-01-20..2024-01-31", "2024-02-01..2024-02-29", "2024-03-01..2024-03-05"]


def test_quarter_of_first_quarter():
    assert quarter_of(date(2024, 2, 14)) == DateRange(date(2024, 1, 1), date(2024, 3, 31))
