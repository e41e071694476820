"""The tool graph as a LangGraph node: its events share the decision trace with the model calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from agentroute.app import AgentRoute
from agentroute.toolgraph.clock import ManualClock
from agentroute.toolgraph.control import local_answer
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.node import tool_graph_node
from agentroute.toolgraph.sim import Conditions, SimulatedWorld
from agentroute.toolgraph.spec import load_spec

TOOLS = Path(__file__).resolve().parents[1] / "tools"


class State(TypedDict, total=False):
    request: str
    plan_note: str
    toolgraph: dict[str, Any]


def test_reroutes_and_escalations_land_in_the_same_trace_as_model_calls(tmp_path: Path) -> None:
    hub = AgentRoute(budget_usd=1.0, store=tmp_path / "runs.sqlite")
    graph = ToolGraph(load_spec(TOOLS / "customer_support.yaml"))
    clock = ManualClock()
    world = SimulatedWorld(graph, Conditions(down=["crm_lookup", "refund_api", "billing_portal"]), clock)

    def agent(state: State) -> dict[str, Any]:
        router, node = hub.current_router()
        reply = router.complete([{"role": "user", "content": state["request"]}], node=node, max_tokens=64,
                                mock_response="I will run the refund tools.")
        return {"plan_note": reply.choices[0].message.content}

    builder = StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node("tools", tool_graph_node(hub, graph, world.functions(), board=HealthBoard(graph, clock),
                                              offline_answer=local_answer))
    builder.add_edge(START, "agent")
    builder.add_edge("agent", "tools")
    builder.add_edge("tools", END)
    final = builder.compile().invoke({"request": "Refund order 42, it arrived broken."},
                                     config={"configurable": {"thread_id": "thread-7"}})

    assert final["plan_note"] == "I will run the refund tools."
    assert final["toolgraph"]["outcome"] == "demoted" and final["toolgraph"]["goal"] == "ticket_filed"
    trace = [(record.kind, record.node) for record in hub.store.records("thread-7")]
    assert trace == [("model", "agent"), ("plan", "tools"), ("reroute", "tools"), ("reroute", "tools"),
                     ("model", "tools"), ("demote", "tools")]
    spent = {record.node: record.cost_nanos for record in hub.store.records("thread-7") if record.kind == "model"}
    assert spent["agent"] > 0 and spent["tools"] > 0
    assert hub.router("thread-7").ledger.snapshot().by_node.keys() == {"agent", "tools"}
