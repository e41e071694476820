"""The static track's cost model: four usage buckets at static tier rates, with prompt caching.

Prompt caching is always on, so no prompt token is billed as plain input: each is a cache read
or a cache write. Along one routing path of one trajectory (always-high, gold, or a router's
picks, each kept separately) the whole prompt is a cache write when

- it is the trajectory's first row (or the previous row has no tier on this path: it errored),
- the tier changed from the previous row,
- this tier was last billed more than 3 steps earlier (`CACHE_TTL_STEPS`), or
- the previous row's messages are not a prefix of this row's;

otherwise the previous row's prompt is a cache read and the rest a cache write. The buckets are
the same `Usage` the live router bills, so a static row and a live call are priced alike.
"""

from __future__ import annotations

from agentroute.pool import Price
from agentroute.twin.tokens import RowTokens
from agentroute.usage import Usage

STATIC_RATES: tuple[Price, ...] = (
    Price(input=0.26, cache_read=0.13, cache_write=0.26, output=0.5),
    Price(input=0.30, cache_read=0.059, cache_write=0.30, output=2.0),
    Price(input=0.50, cache_read=0.05, cache_write=0.08333, output=5.0),
    Price(input=5.0, cache_read=0.50, cache_write=6.25, output=25.0),
)
"""USD per 1M tokens of each tier, low → high (SPEC.md)."""

CACHE_TTL_STEPS = 3


def cost_usd(usage: Usage, tier: int) -> float:
    """USD of one row's usage at the static rates of `tier`."""
    price = STATIC_RATES[tier]
    return (
        usage.plain_input_tokens * price.input
        + usage.cache_read_tokens * price.cache_read_rate
        + usage.cache_write_tokens * price.cache_write_rate
        + usage.completion_tokens * price.output
    ) / 1e6


class CacheChain:
    """The prompt-cache state of one routing path through one trajectory."""

    def __init__(self) -> None:
        self._last_step: dict[int, int] = {}

    def bill(self, tokens: RowTokens, tier: int, previous_tier: int | None) -> Usage:
        """The usage of this row on `tier`, given the tier this path used on the previous row."""
        total = tokens.prompt[tier]
        last = self._last_step.get(tier)
        expired = last is not None and tokens.step - last > CACHE_TTL_STEPS
        self._last_step[tier] = tokens.step
        if tokens.previous_prompt is None or previous_tier != tier or expired or not tokens.extends_previous:
            return Usage(prompt_tokens=total, cache_write_tokens=total, completion_tokens=tokens.output)
        read = tokens.previous_prompt[tier]
        write = max(total - read, 0)
        return Usage(
            prompt_tokens=read + write, cache_read_tokens=read, cache_write_tokens=write,
            completion_tokens=tokens.output,
        )
