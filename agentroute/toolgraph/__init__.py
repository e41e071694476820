"""The self-healing tool graph: Dijkstra rerouting, circuit breakers, health monitors, and the
control-plane LLM only when no path exists. See `tools/README.md` for specs and the suite."""

from agentroute.toolgraph.calls import ToolCall, ToolFn, ToolResult
from agentroute.toolgraph.executor import Executor
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.outcome import EscalationReport, Event, Outcome, RunResult
from agentroute.toolgraph.planner import Plan, Step, plan
from agentroute.toolgraph.spec import GraphSpec, load_spec, parse_spec

__all__ = [
    "EscalationReport", "Event", "Executor", "GraphSpec", "HealthBoard", "Outcome", "Plan", "RunResult", "Step",
    "ToolCall", "ToolFn", "ToolGraph", "ToolResult", "load_spec", "parse_spec", "plan",
]
