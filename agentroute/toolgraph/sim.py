"""Simulated tools: deterministic local functions standing in for real APIs, with injected faults.

Nothing here touches a network. A `SimulatedWorld` gives one function per tool of a graph and
writes every call to a ledger — the ground truth the scenario harness audits, independently of
what an approach claims it achieved. Faults: a tool that is down fails every call; a tool with
a rate limit refuses calls beyond it (429 with a retry-after), counting calls made before the
run (`rate_used`); a tool may attach risk flags to its results.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agentroute.errors import ConfigError
from agentroute.toolgraph.calls import ToolCall, ToolFn, ToolResult
from agentroute.toolgraph.clock import Clock
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.ratelimit import RateWindow
from agentroute.toolgraph.spec import ToolSpec


class Conditions(BaseModel):
    """Faults injected into a simulated world."""

    model_config = ConfigDict(extra="forbid")

    down: list[str] = Field(default_factory=list)
    rate_used: dict[str, int] = Field(default_factory=dict)
    risk: dict[str, list[str]] = Field(default_factory=dict)

    def check(self, graph: ToolGraph) -> None:
        """ConfigError if a condition names an unknown tool or loads a tool without a rate limit."""
        for name in [*self.down, *self.rate_used, *self.risk]:
            graph.tool(name)
        for name, used in self.rate_used.items():
            if graph.tool(name).rate_limit is None or used < 0:
                raise ConfigError(f"rate_used: tool {name!r} has no rate limit, or the count {used} is negative")


class LedgerEntry(BaseModel):
    """One call as the simulated provider saw it."""

    call_id: str
    tool: str
    source: str
    target: str
    ok: bool
    error: str | None = None
    rate_limited: bool = False
    at: float


class SimulatedWorld:
    """Simulated tools of one graph under `conditions`; `ledger` records every call."""

    def __init__(self, graph: ToolGraph, conditions: Conditions, clock: Clock) -> None:
        conditions.check(graph)
        self.graph = graph
        self.conditions = conditions
        self.clock = clock
        self.ledger: list[LedgerEntry] = []
        self.windows = {tool.name: RateWindow(tool.rate_limit, clock) for tool in graph.tools if tool.rate_limit}
        for name, used in conditions.rate_used.items():
            self.windows[name].record(used)

    def functions(self) -> dict[str, ToolFn]:
        """One callable per tool."""
        return {tool.name: self._function(tool) for tool in self.graph.tools}

    def _function(self, tool: ToolSpec) -> ToolFn:
        def simulated_tool(request: ToolCall) -> ToolResult:
            return self.call(tool, request)

        simulated_tool.__name__ = f"simulated_{tool.name}"
        return simulated_tool

    def call(self, tool: ToolSpec, request: ToolCall) -> ToolResult:
        """Answer one call deterministically and write it to the ledger."""
        call_id = f"{tool.name}#{len(self.ledger) + 1}"
        window = self.windows.get(tool.name)
        if tool.name in self.conditions.down:
            result = ToolResult(ok=False, error=f"simulated outage: {tool.name} is unavailable", call_id=call_id)
        elif window is not None and (wait := window.free_in()) > 0:
            result = ToolResult(ok=False, error=f"simulated 429: {tool.name} rate limit reached", rate_limited=True,
                                retry_after_s=round(wait, 3), call_id=call_id)
        else:
            if window is not None:
                window.record()
            output = {"simulated": True, "tool": tool.name, "state": tool.target, "from": request.source}
            result = ToolResult(ok=True, output=output, risk=list(self.conditions.risk.get(tool.name, [])), call_id=call_id)
        self.ledger.append(LedgerEntry(call_id=call_id, tool=tool.name, source=tool.source, target=tool.target, ok=result.ok,
                                       error=result.error, rate_limited=result.rate_limited, at=self.clock.now()))
        return result
