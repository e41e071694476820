import pytest

from ttlcache import ManualClock, TTLCache


def make_cache(maxsize=3, ttl=10.0, **kwargs):
    clock = ManualClock(start=100.0)
    return TTLCache(maxsize, ttl, clock=clock, **kwargs), clock


def test_entries_expire_exactly_at_ttl():
    cache, clock = make_cache()
    cache.set("a", 1)
    clock.advance(9.5)
    assert cache.get("a") == 1
    clock.advance(0.5)
    assert cache.get("a") is None
    assert "a" not in cache
    assert cache.stats.expirations == 1


def test_least_recently_used_entry_is_evicted():
    evicted = []
    cache, _ = make_cache(on_evict=lambda k, v: evicted.append((k, v)))
    for key in "abc":
        cache.set(key, key.upper())
    cache.get("a")
    cache.set("d", "D")
    assert cache.keys() == ["c", "a", "d"]
    assert evicted == [("b", "B")]


def test_expired_entries_are_dropped_before_live_ones():
    cache, clock = make_cache()
    cache.set("short", 1, ttl=1)
    cache.set("b", 2)
    cache.set("c", 3)
    clock.advance(2)
    cache.set("d", 4)
    assert cache.keys() == ["b", "c", "d"]
    assert cache.stats.evictions == 0


def test_set_restarts_ttl():
    cache, clock = make_cache()
    cache.set("a", 1)
    clock.advance(8)
    cache.set("a", 2)
    clock.advance(8)
    assert cache.get("a") == 2
    assert len(cache) == 1


def test_get_or_set_counts_hits_and_misses():
    cache, _ = make_cache()
    calls = []
    assert cache.get_or_set("k", lambda: calls.append(1) or "v") == "v"
    assert cache.get_or_set("k", lambda: calls.append(1) or "w") == "v"
    assert calls == [1]
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


def test_pop_and_invalid_arguments():
    cache, _ = make_cache()
    cache.set("a", 1)
    assert cache.pop("a") == 1
    assert cache.pop("a", None) is None
    with pytest.raises(KeyError):
        cache.pop("a")
    with pytest.raises(ValueError):
        TTLCache(0, 1.0)
    with pytest.raises(ValueError):
        cache.set("b", 1, ttl=0)
