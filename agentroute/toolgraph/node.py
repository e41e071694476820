"""LangGraph integration: the tool graph as a node of an agent's StateGraph.

    builder.add_node("tools", tool_graph_node(agentroute, graph, functions))

The node takes the run's router from the `AgentRoute` hub (the thread id is the run id, the
node name comes from LangGraph's metadata), so its plan, reroute, pause, demotion and
escalation events land in the same decision trace as the model calls of the other nodes, and
its control-plane LLM calls spend the same budget. It writes the run's `RunResult` (as JSON)
under `key` in the graph state. One health board is shared by every invocation, so circuit
breakers carry across runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

from agentroute.app import AgentRoute
from agentroute.toolgraph.calls import ToolFn
from agentroute.toolgraph.control import OfflineAnswer
from agentroute.toolgraph.executor import Executor, check_functions
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.monitors import DEFAULT_MONITORS, Monitor


class ToolGraphState(TypedDict, total=False):
    """The state key the node writes; merge it into your graph's state schema."""

    toolgraph: dict[str, Any]


def tool_graph_node(
    agentroute: AgentRoute,
    graph: ToolGraph,
    tools: Mapping[str, ToolFn],
    *,
    board: HealthBoard | None = None,
    monitors: Sequence[Monitor] = DEFAULT_MONITORS,
    offline_answer: OfflineAnswer | None = None,
    key: str = "toolgraph",
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A StateGraph node that runs the tool graph to its goal and stores the result under `key`."""
    check_functions(graph, tools)
    shared = board or HealthBoard(graph)

    def run_tool_graph(state: Mapping[str, Any]) -> dict[str, Any]:
        router, node = agentroute.current_router()
        executor = Executor(graph, tools, router=router, board=shared, monitors=monitors, node=node or "toolgraph",
                            offline_answer=offline_answer)
        return {key: executor.run().model_dump(mode="json")}

    return run_tool_graph
