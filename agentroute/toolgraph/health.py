"""Tool health shared across runs: a circuit breaker and, for rate-limited tools, a rate window.

The board turns health into the planner's weights: a tool whose breaker is open or whose
rate window is exhausted weighs `math.inf`; otherwise its weight follows `weights.tool_weight`
with the current rate-limit proximity.
"""

from __future__ import annotations

import math

from agentroute.toolgraph.breaker import CircuitBreaker
from agentroute.toolgraph.calls import ToolResult
from agentroute.toolgraph.clock import Clock, SystemClock
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.planner import Weigh
from agentroute.toolgraph.ratelimit import RateWindow
from agentroute.toolgraph.spec import ToolSpec
from agentroute.toolgraph.weights import tool_weight


class HealthBoard:
    """Breakers and rate windows for every tool of one graph; keep one per process and share it."""

    def __init__(self, graph: ToolGraph, clock: Clock | None = None) -> None:
        self.graph = graph
        self.clock = clock or SystemClock()
        settings = graph.spec.settings
        self.breakers = {
            tool.name: CircuitBreaker(threshold=settings.breaker_failures, cooldown_s=settings.breaker_cooldown_s, clock=self.clock)
            for tool in graph.tools
        }
        self.windows = {tool.name: RateWindow(tool.rate_limit, self.clock) for tool in graph.tools if tool.rate_limit}

    def rate_use(self, tool: str) -> float:
        """Fraction of the tool's rate window in use (0 without a limit)."""
        window = self.windows.get(tool)
        return window.use() if window is not None else 0.0

    def free_in(self, tool: str) -> float:
        """Seconds until the tool's rate window lets a call through (0 if now or no limit)."""
        window = self.windows.get(tool)
        return window.free_in() if window is not None else 0.0

    def record(self, tool: str, result: ToolResult) -> None:
        """Account one call: the rate window counts it; the breaker learns from outages only."""
        window = self.windows.get(tool)
        if window is not None:
            window.record()
            if result.rate_limited:
                window.block(result.retry_after_s if result.retry_after_s is not None else window.limit.window_s)
        if result.rate_limited:
            return
        if result.ok:
            self.breakers[tool].record_success()
        else:
            self.breakers[tool].record_failure()

    def weigh(self, excluded: set[str], *, ignore_rate: bool = False) -> Weigh:
        """Weights for the planner: infinite for `excluded` tools, open breakers and (unless
        `ignore_rate`) exhausted rate windows."""
        latency_usd_per_s = self.graph.spec.settings.latency_usd_per_s

        def weigh(tool: ToolSpec) -> float:
            if tool.name in excluded or not self.breakers[tool.name].allow():
                return math.inf
            use = 0.0 if ignore_rate else self.rate_use(tool.name)
            return tool_weight(tool, latency_usd_per_s=latency_usd_per_s, rate_use=use)

        return weigh

    def open_breakers(self) -> list[str]:
        """Tools whose breaker is open now."""
        return [name for name, breaker in self.breakers.items() if not breaker.allow()]
