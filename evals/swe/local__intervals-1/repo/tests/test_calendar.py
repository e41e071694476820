import pytest

from intervals import BookingConflict, Calendar, Interval, common_free_slots, parse_hhmm


def slot(start, end):
    return Interval(parse_hhmm(start), parse_hhmm(end))


def test_back_to_back_bookings_are_allowed():
    cal = Calendar("alice")
    cal.book("standup", "09:00", "09:15")
    cal.book("review", "09:15", "10:00")
    assert cal.busy() == [slot("09:00", "10:00")]


def test_overlapping_booking_is_rejected():
    cal = Calendar("alice")
    cal.book("standup", "09:00", "09:30")
    with pytest.raises(BookingConflict) as info:
        cal.book("1:1", "09:15", "09:45")
    assert info.value.existing == "standup"


def test_cancel():
    cal = Calendar("alice")
    cal.book("standup", "09:00", "09:30")
    cal.cancel("standup")
    assert cal.busy() == []
    with pytest.raises(KeyError):
        cal.cancel("standup")


def test_free_slots():
    cal = Calendar("bob")
    cal.book("lunch", "12:00", "13:00")
    assert cal.free_slots() == [slot("09:00", "12:00"), slot("13:00", "17:00")]


def test_common_free_slots_partial_overlap():
    alice = Calendar("alice")
    alice.book("design", "10:00", "11:30")
    bob = Calendar("bob")
    bob.book("interview", "11:00", "12:00")
    bob.book("sync", "16:50", "17:00")
    assert common_free_slots([alice, bob], min_minutes=30) == [
        slot("09:00", "10:00"),
        slot("12:00", "16:50"),
    ]
