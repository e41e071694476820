"""Money as integer nano-dollars, so budget comparisons are exact.

Reserves and costs round up, caps round down: rounding can only make the ledger more cautious.
"""

from __future__ import annotations

import math

NANOS_PER_USD = 1_000_000_000


def nanos_up(usd: float) -> int:
    """USD → nano-USD, rounded up (for costs and reserves)."""
    return math.ceil(round(usd * NANOS_PER_USD, 3))


def nanos_down(usd: float) -> int:
    """USD → nano-USD, rounded down (for caps)."""
    return math.floor(round(usd * NANOS_PER_USD, 3))


def usd(nanos: int) -> float:
    """nano-USD → USD."""
    return nanos / NANOS_PER_USD
