"""`supervise`: put an existing agent inside a StateGraph that carries its budget and trace.

    START → agent → account → END

`agent` is the wrapped compiled graph or runnable, added as a subgraph node so the checkpointer
(SQLite by default, for `invoke` and `ainvoke` alike; Postgres when $AGENTROUTE_DB names the central
store) saves every one of its steps: a killed run resumes by thread id where it stopped. A plain callable becomes a node; if it
takes a `router` parameter it receives the run's router. `account` writes the run's budget
snapshot, decision trace and outcome into the state. The run id of the router is the thread id,
and spend is restored from the trace store (or the central store's ledger), so a resumed run
keeps every cent it already spent, even cents spent after the last checkpoint.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import Runnable
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph

from agentroute.store.checkpoints import open_checkpointer, sqlite_checkpointer

__all__ = ["SupervisorState", "sqlite_checkpointer", "supervise"]


class SupervisorState(TypedDict, total=False):
    """State of the supervising graph."""

    messages: Annotated[list[AnyMessage], add_messages]
    budget: dict[str, Any]
    trace: list[dict[str, Any]]
    outcome: str


def _callable_node(function: Callable[..., Any], agentroute: Any) -> Callable[[SupervisorState], dict[str, Any]]:
    takes_router = "router" in inspect.signature(function).parameters

    def node(state: SupervisorState) -> dict[str, Any]:
        router, _ = agentroute.current_router()
        with router.stopped_on_failure():
            result = function(state, router=router) if takes_router else function(state)
        if isinstance(result, dict):
            return result
        if isinstance(result, str):
            return {"messages": [AIMessage(content=result)]}
        return {"messages": list(result)}

    return node


def supervise(agent: Any, agentroute: Any, *, checkpointer: Any = None) -> CompiledStateGraph:
    """Wrap `agent` (compiled graph, LangChain agent, runnable or callable) under `agentroute`."""

    def account(state: SupervisorState) -> dict[str, Any]:
        router, _ = agentroute.current_router()
        outcome = router.outcome or "completed"
        router.finish(outcome)
        return {
            "budget": router.ledger.snapshot().model_dump(),
            "trace": [record.model_dump() for record in router.records],
            "outcome": outcome,
        }

    node = agent if isinstance(agent, Runnable) else _callable_node(agent, agentroute)
    builder = StateGraph(SupervisorState)
    builder.add_node("agent", node)
    builder.add_node("account", account)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", "account")
    builder.add_edge("account", END)
    return builder.compile(checkpointer=checkpointer if checkpointer is not None else open_checkpointer())
