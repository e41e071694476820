"""The tool graph: a networkx DiGraph whose nodes are task states and whose edges are tools.

An edge u → v carries every tool that moves the task from u to v (`tools`, in spec order, so
alternatives for the same step share one edge). A join state j gets one edge r → j per required
state r, marked `join=True` and carrying no tool: j is reached when all of them are reached.
The graph is fixed once built, so the planner reads a plain-dict copy of its adjacency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentroute.toolgraph.spec import GraphSpec, ToolSpec

if TYPE_CHECKING:
    import networkx as nx


class ToolGraph:
    """A validated spec as a DiGraph, with lookups the planner and executor need."""

    def __init__(self, spec: GraphSpec) -> None:
        import networkx as nx

        self.spec = spec
        self.digraph: nx.DiGraph = nx.DiGraph(name=spec.name)
        for state in spec.states:
            self.digraph.add_node(state, requires=tuple(spec.joins.get(state, ())))
        for join, requires in spec.joins.items():
            for required in requires:
                self.digraph.add_edge(required, join, join=True, tools=())
        for tool in spec.tools:
            if self.digraph.has_edge(tool.source, tool.target):
                data = self.digraph.edges[tool.source, tool.target]
                data["tools"] = (*data["tools"], tool)
            else:
                self.digraph.add_edge(tool.source, tool.target, join=False, tools=(tool,))
        self._tools = {tool.name: tool for tool in spec.tools}
        self._out = {
            state: [(target, data["join"], data["tools"]) for target, data in self.digraph.adj[state].items()]
            for state in self.digraph
        }

    @property
    def name(self) -> str:
        """The spec's name."""
        return self.spec.name

    @property
    def tools(self) -> tuple[ToolSpec, ...]:
        """Every tool, in spec order."""
        return self.spec.tools

    def tool(self, name: str) -> ToolSpec:
        """The tool with this name (ConfigError if unknown)."""
        found = self._tools.get(name)
        return found if found is not None else self.spec.tool(name)

    def requires(self, state: str) -> tuple[str, ...]:
        """The states a join needs (empty for an ordinary state)."""
        return self.digraph.nodes[state]["requires"]

    def successors(self, state: str) -> list[tuple[str, bool, tuple[ToolSpec, ...]]]:
        """(next state, is a join edge, tools on the edge) for every edge out of `state`."""
        return self._out[state]

    def close_joins(self, achieved: set[str]) -> set[str]:
        """The join states whose requirements are all in `achieved` but which are not yet in it."""
        return {join for join, requires in self.spec.joins.items() if join not in achieved and set(requires) <= achieved}
