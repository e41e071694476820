"""Dijkstra over the tool graph: hand-computed paths, reroutes, joins, weights, and networkx agreement."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.planner import plan
from agentroute.toolgraph.spec import GraphSpec, ToolSpec
from agentroute.toolgraph.weights import tool_weight


def graph_of(states: list[str], tools: list[tuple[str, str, str, float]], *, joins: dict[str, list[str]] | None = None,
             start: str | None = None, goal: str | None = None) -> ToolGraph:
    """A graph whose tool weights equal their cost (no latency, reliability 1)."""
    raw: dict[str, Any] = {
        "name": "hand", "states": states, "start": start or states[0], "goal": goal or states[-1],
        "joins": joins or {},
        "tools": [{"name": name, "from": source, "to": target, "cost_usd": cost} for name, source, target, cost in tools],
    }
    return ToolGraph(GraphSpec.model_validate(raw))


def by_cost(blocked: set[str] = frozenset()):  # noqa: ANN201 - a Weigh
    def weigh(tool: ToolSpec) -> float:
        return math.inf if tool.name in blocked else tool.cost_usd
    return weigh


# a ──ab(1)──▶ b ──bd(1)──▶ d ;  a ──ac(1)──▶ c ──cd(5)──▶ d ;  a ──ad(3)──▶ d
DIAMOND = graph_of(["a", "b", "c", "d"], [("ab", "a", "b", 1), ("bd", "b", "d", 1), ("ac", "a", "c", 1),
                                          ("cd", "c", "d", 5), ("ad", "a", "d", 3)])


def test_cheapest_path_on_a_hand_computed_diamond() -> None:
    found = plan(DIAMOND, {"a"}, "d", by_cost())
    assert found is not None
    assert found.tools == ["ab", "bd"]
    assert found.cost == 2
    assert found.describe() == "a -ab-> b -bd-> d"


def test_single_and_compound_failures_reroute_to_the_next_cheapest() -> None:
    assert plan(DIAMOND, {"a"}, "d", by_cost({"bd"})).tools == ["ad"]            # 3 beats a→c→d = 6
    assert plan(DIAMOND, {"a"}, "d", by_cost({"bd", "ad"})).tools == ["ac", "cd"]
    assert plan(DIAMOND, {"a"}, "d", by_cost({"bd", "ad", "cd"})) is None


def test_replans_from_where_the_task_stands() -> None:
    found = plan(DIAMOND, {"a", "b"}, "d", by_cost())
    assert found.tools == ["bd"] and found.cost == 1
    assert plan(DIAMOND, {"a", "b", "d"}, "d", by_cost()).steps == ()


def test_parallel_tools_on_one_edge_pick_the_cheapest_available() -> None:
    graph = graph_of(["s", "t"], [("pricey", "s", "t", 5), ("cheap", "s", "t", 1), ("mid", "s", "t", 2)])
    assert plan(graph, {"s"}, "t", by_cost()).tools == ["cheap"]
    assert plan(graph, {"s"}, "t", by_cost({"cheap"})).tools == ["mid"]
    assert graph.digraph.number_of_edges() == 1


def test_join_needs_every_branch_and_orders_dependencies_first() -> None:
    # flights (2) and hotel (3, or 4 via the backup) in parallel, then pay (1)
    graph = graph_of(
        ["s", "flights", "hotel", "ready", "paid"],
        [("fl", "s", "flights", 2), ("ho", "s", "hotel", 3), ("ho2", "s", "hotel", 4), ("pay", "ready", "paid", 1)],
        joins={"ready": ["flights", "hotel"]},
    )
    found = plan(graph, {"s"}, "paid", by_cost())
    assert found.tools == ["fl", "ho", "pay"] and found.cost == 6
    assert plan(graph, {"s"}, "paid", by_cost({"ho"})).cost == 7
    assert plan(graph, {"s", "flights"}, "paid", by_cost()).tools == ["ho", "pay"]
    assert plan(graph, {"s"}, "paid", by_cost({"ho", "ho2"})) is None


def test_join_against_a_direct_alternative() -> None:
    def build(direct: float) -> ToolGraph:
        return graph_of(["s", "x", "y", "both", "g"],
                        [("sx", "s", "x", 1), ("sy", "s", "y", 1), ("fin", "both", "g", 2), ("direct", "s", "g", direct)],
                        joins={"both": ["x", "y"]})

    assert plan(build(3.5), {"s"}, "g", by_cost()).tools == ["direct"]          # 3.5 < 1 + 1 + 2
    assert plan(build(4.5), {"s"}, "g", by_cost()).tools == ["sx", "sy", "fin"]


def test_weight_formula() -> None:
    tool = ToolSpec.model_validate({"name": "t", "from": "a", "to": "b", "cost_usd": 0.002, "latency_ms": 300, "reliability": 0.5})
    assert tool_weight(tool, latency_usd_per_s=0.01) == pytest.approx((0.002 + 0.003) / 0.5)
    assert tool_weight(tool, latency_usd_per_s=0.01, rate_use=0.5) == pytest.approx(0.02)
    assert tool_weight(tool, latency_usd_per_s=0.01, rate_use=0.9) == pytest.approx(0.1)
    assert tool_weight(tool, latency_usd_per_s=0.01, rate_use=1.0) == math.inf
    assert tool_weight(tool, latency_usd_per_s=0.0) == pytest.approx(0.004)


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[ToolGraph, set[str]]:
    size = draw(st.integers(2, 7))
    states = [f"n{i}" for i in range(size)]
    tools = [(f"chain{i}", states[i], states[i + 1], draw(st.integers(0, 20))) for i in range(size - 1)]
    extra = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1), st.integers(0, 20)), max_size=12))
    tools += [(f"x{k}", states[u], states[v], w) for k, (u, v, w) in enumerate(extra) if u != v]
    blocked = draw(st.sets(st.sampled_from([name for name, *_ in tools])))
    return graph_of(states, tools), blocked


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_agrees_with_networkx_dijkstra_on_graphs_without_joins(case: tuple[ToolGraph, set[str]]) -> None:
    graph, blocked = case
    reference = nx.DiGraph()
    reference.add_nodes_from(graph.spec.states)
    for tool in graph.tools:
        if tool.name in blocked:
            continue
        old = reference.get_edge_data(tool.source, tool.target)
        if old is None or tool.cost_usd < old["weight"]:
            reference.add_edge(tool.source, tool.target, weight=tool.cost_usd)
    start, goal = graph.spec.start, graph.spec.goal
    found = plan(graph, {start}, goal, by_cost(blocked))
    if not nx.has_path(reference, start, goal):
        assert found is None
        return
    assert found is not None
    assert found.cost == pytest.approx(nx.dijkstra_path_length(reference, start, goal))
    assert found.steps[0].source == start and found.steps[-1].target == goal
    assert all(step.tool not in blocked for step in found.steps)
    assert all(a.target == b.source for a, b in zip(found.steps, found.steps[1:]))
