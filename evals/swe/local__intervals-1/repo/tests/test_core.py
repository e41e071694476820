import pytest

from intervals import Interval, gaps, intersect, merge, parse_hhmm


def test_rejects_empty_or_reversed():
    with pytest.raises(ValueError):
        Interval(5, 5)
    with pytest.raises(ValueError):
        Interval(6, 5)


def test_half_open_overlap():
    assert Interval(1, 5).overlaps(Interval(4, 8))
    assert not Interval(1, 5).overlaps(Interval(5, 8))
    assert Interval(1, 5).contains(1)
    assert not Interval(1, 5).contains(5)


def test_merge_overlapping_and_touching():
    assert merge([Interval(5, 8), Interval(1, 3), Interval(2, 4), Interval(8, 9)]) == [
        Interval(1, 4),
        Interval(5, 9),
    ]


def test_merge_empty():
    assert merge([]) == []


def test_intersect():
    left = [Interval(0, 10), Interval(20, 30)]
    right = [Interval(5, 25)]
    assert intersect(left, right) == [Interval(5, 10), Interval(20, 25)]


def test_gaps_inside_window():
    busy = [Interval(0, 2), Interval(4, 6), Interval(9, 12)]
    assert gaps(busy, Interval(1, 10)) == [Interval(2, 4), Interval(6, 9)]


def test_parse_hhmm():
    assert parse_hhmm("09:30") == 570
    assert parse_hhmm("24:00") == 1440
    for bad in ["9", "09:60", "24:01", "ab:cd", "10:5"]:
        with pytest.raises(ValueError):
            parse_hhmm(bad)
