"""Edge weights: the expected price, in USD, of getting through one tool.

    w(tool) = (cost_usd + latency_usd_per_s · latency_ms / 1000) / reliability / (1 − u)

- `cost_usd + latency_usd_per_s · latency_s` is the price of one call: what the provider bills
  plus the time the task waits for it, valued at `latency_usd_per_s` (spec setting, default
  $0.01 per second).
- Dividing by `reliability` (0 < r ≤ 1) gives the expected price until a call succeeds
  (1/r calls on average), so a flaky tool costs more than its sticker price.
- `u` is rate-limit proximity: the fraction of the tool's sliding window already used
  (0 for a tool without a limit). The factor 1/(1 − u) leaves an idle tool unchanged, doubles
  the weight at half use, makes it 10× at 90%, and at u ≥ 1 the weight is infinite: an
  exhausted tool is off the graph until its window frees. So traffic moves to alternatives
  before the provider starts refusing calls.

A weight of `math.inf` means "unavailable" (failed in this run, circuit open, rate-exhausted);
the planner never crosses such an edge.
"""

from __future__ import annotations

import math

from agentroute.toolgraph.spec import ToolSpec


def tool_weight(tool: ToolSpec, *, latency_usd_per_s: float, rate_use: float = 0.0) -> float:
    """The weight of `tool` when a fraction `rate_use` of its rate window is used."""
    if rate_use >= 1.0:
        return math.inf
    price = tool.cost_usd + latency_usd_per_s * tool.latency_ms / 1000.0
    return price / tool.reliability / (1.0 - max(0.0, rate_use))
