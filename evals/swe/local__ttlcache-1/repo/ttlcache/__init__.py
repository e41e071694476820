"""A bounded least-recently-used cache whose entries expire after a TTL."""

from ttlcache.cache import CacheStats, TTLCache
from ttlcache.clock import Clock, ManualClock

__all__ = ["CacheStats", "Clock", "ManualClock", "TTLCache"]
