"""The :class:`TTLCache` implementation.

Entries live in an :class:`~collections.OrderedDict` ordered from least to
most recently used.  Expired entries are removed lazily: on lookup, and in
bulk before an eviction so that a stale entry is always dropped before a
live one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Generic, Hashable, Optional, TypeVar

from ttlcache.clock import Clock, monotonic

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


@dataclass
class CacheStats:
    """Counters since the cache was created (or last ``clear(reset_stats=True)``)."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0


@dataclass
class _Entry(Generic[V]):
    value: V
    expires_at: float


class TTLCache(Generic[K, V]):
    """Map keys to values for at most ``ttl`` seconds, keeping ``maxsize`` entries.

    ``on_evict(key, value)`` is called for entries pushed out to make room,
    not for expired or explicitly deleted ones.
    """

    def __init__(
        self,
        maxsize: int,
        ttl: float,
        clock: Clock = monotonic,
        on_evict: Optional[Callable[[K, V], None]] = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.maxsize = maxsize
        self.ttl = ttl
        self._clock = clock
        self._on_evict = on_evict
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self.stats = CacheStats()

    def __len__(self) -> int:
        self._purge_expired(self._clock())
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        entry = self._entries.get(key)  # type: ignore[arg-type]
        return entry is not None and entry.expires_at > self._clock()

    def _purge_expired(self, now: float) -> None:
        stale = [key for key, entry in self._entries.items() if entry.expires_at <= now]
        for key in stale:
            del self._entries[key]
        self.stats.expirations += len(stale)

    def get(self, key: K, default: Optional[V] = None) -> Optional[V]:
        """Return the live value for ``key`` and mark it most recently used."""
        entry = self._entries.get(key)
        if entry is None:
            self.stats.misses += 1
            return default
        if entry.expires_at <= self._clock():
            del self._entries[key]
            self.stats.expirations += 1
            self.stats.misses += 1
            return default
        self._entries.move_to_end(key)
        self.stats.hits += 1
        return entry.value

    def set(self, key: K, value: V, ttl: Optional[float] = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (default: the cache TTL).

        Storing makes the key the most recently used one and restarts its TTL.
        """
        now = self._clock()
        lifetime = self.ttl if ttl is None else ttl
        if lifetime <= 0:
            raise ValueError("ttl must be positive")
        if len(self._entries) >= self.maxsize:
            self._purge_expired(now)
        while len(self._entries) >= self.maxsize:
            old_key, old_entry = self._entries.popitem(last=False)
            self.stats.evictions += 1
            if self._on_evict is not None:
                self._on_evict(old_key, old_entry.value)
        self._entries[key] = _Entry(value, now + lifetime)
        self._entries.move_to_end(key)

    def pop(self, key: K, default: object = _MISSING) -> object:
        """Remove ``key`` and return its live value (``KeyError`` if absent)."""
        entry = self._entries.pop(key, None)
        if entry is None or entry.expires_at <= self._clock():
            if default is _MISSING:
                raise KeyError(key)
            return default
        return entry.value

    def get_or_set(self, key: K, factory: Callable[[], V]) -> V:
        """Return the cached value, computing and storing it on a miss."""
        value = self.get(key, _MISSING)  # type: ignore[arg-type]
        if value is _MISSING:
            value = factory()
            self.set(key, value)
        return value  # type: ignore[return-value]

    def keys(self) -> list[K]:
        """Live keys from least to most recently used."""
        self._purge_expired(self._clock())
        return list(self._entries)

    def clear(self, reset_stats: bool = False) -> None:
        self._entries.clear()
        if reset_stats:
            self.stats = CacheStats()
