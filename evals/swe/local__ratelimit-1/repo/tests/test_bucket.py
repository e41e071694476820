import pytest

from throttle import ManualClock, TokenBucket


def make(capacity=4, rate=2.0, **kwargs):
    clock = ManualClock(100.0)
    return clock, TokenBucket(capacity, rate, clock=clock, **kwargs)


def test_starts_full_and_allows_a_burst():
    _, bucket = make()
    assert bucket.available() == 4
    assert all(bucket.try_acquire() for _ in range(4))
    assert not bucket.try_acquire()


def test_initial_tokens():
    _, bucket = make(initial=1)
    assert bucket.try_acquire()
    assert not bucket.try_acquire()
    _, bucket = make(initial=99)
    assert bucket.available() == 4


def test_refills_at_rate():
    clock, bucket = make()
    assert bucket.try_acquire(4)
    clock.advance(1.0)
    assert bucket.try_acquire(2)
    assert not bucket.try_acquire()


def test_never_exceeds_capacity():
    clock, bucket = make()
    clock.advance(3600)
    assert bucket.available() == 4


def test_wait_time():
    clock, bucket = make()
    assert bucket.wait_time() == 0.0
    bucket.try_acquire(4)
    assert bucket.wait_time(3) == 1.5


def test_rejects_bad_amounts():
    _, bucket = make()
    for amount in [0, -1, 5]:
        with pytest.raises(ValueError):
            bucket.try_acquire(amount)
    with pytest.raises(ValueError):
        TokenBucket(0, 1)


def test_acquire_sleeps_with_injected_sleep():
    clock, bucket = make()
    bucket.try_acquire(4)
    assert bucket.acquire(1, sleep=clock.sleep)
    assert clock() == 100.5


def test_acquire_timeout():
    clock, bucket = make()
    bucket.try_acquire(4)
    assert not bucket.acquire(4, timeout=1.0, sleep=clock.sleep)
    assert clock() == 100.0
