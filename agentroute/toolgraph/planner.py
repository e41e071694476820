"""Planning: Dijkstra from where the task stands to the goal, over the weighted tool graph.

The search starts from every state already achieved (distance 0) and settles states in order
of distance. An ordinary state is reached through its cheapest available tool edge; a join is
reached once all its requirements are settled, at the sum of their distances (Knuth's
generalisation of Dijkstra to AND-nodes: optimal when branches share no unreached state, an
upper bound otherwise). On a graph without joins this is plain Dijkstra. Tools weighed
`math.inf` (failed, circuit open, rate-exhausted) are never used; replanning after a failure
is simply planning again with that tool weighed infinite — no LLM call.

The plan lists each tool once, in an order that respects dependencies (a parallel branch's
steps come before the join that needs them).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Collection

from pydantic import BaseModel, ConfigDict

from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.spec import ToolSpec

Weigh = Callable[[ToolSpec], float]


class Step(BaseModel):
    """Run `tool` to move the task from `source` to `target`."""

    model_config = ConfigDict(frozen=True)

    tool: str
    source: str
    target: str
    weight: float


class Plan(BaseModel):
    """The steps from the achieved states to `goal`, and their total weight."""

    model_config = ConfigDict(frozen=True)

    goal: str
    steps: tuple[Step, ...]
    cost: float

    @property
    def tools(self) -> list[str]:
        """The tool names in order."""
        return [step.tool for step in self.steps]

    def describe(self) -> str:
        """`a -tool-> b -tool-> c` for a chain, else `tool(a→b), tool(c→d), …`; `(done)` if empty."""
        if not self.steps:
            return "(done)"
        chained = all(before.target == after.source for before, after in itertools.pairwise(self.steps))
        if chained:
            return self.steps[0].source + "".join(f" -{step.tool}-> {step.target}" for step in self.steps)
        return ", ".join(f"{step.tool}({step.source}→{step.target})" for step in self.steps)


def plan(graph: ToolGraph, achieved: Collection[str], goal: str, weigh: Weigh) -> Plan | None:
    """The cheapest plan from the `achieved` states to `goal`, or None when no path exists."""
    if goal in achieved:
        return Plan(goal=goal, steps=(), cost=0.0)
    order = itertools.count()
    distance: dict[str, float] = {}
    tentative: dict[str, float] = {state: 0.0 for state in achieved}
    via: dict[str, tuple[str, str, float] | None] = {state: None for state in achieved}  # (tool, source, weight)
    heap = [(0.0, next(order), state) for state in achieved]
    heapq.heapify(heap)
    while heap:
        dist, _, state = heapq.heappop(heap)
        if state in distance:
            continue
        distance[state] = dist
        if state == goal:
            break
        for target, is_join, tools in graph.successors(state):
            if target in distance:
                continue
            if is_join:
                requires = graph.requires(target)
                if not all(required in distance for required in requires):
                    continue
                candidate, step = sum(distance[required] for required in requires), None
            else:
                weight, tool = _cheapest(tools, weigh)
                if tool is None:
                    continue
                candidate, step = dist + weight, (tool.name, state, weight)
            if candidate < tentative.get(target, math.inf):
                tentative[target] = candidate
                via[target] = step
                heapq.heappush(heap, (candidate, next(order), target))
    if goal not in distance:
        return None
    steps: list[Step] = []
    _collect(graph, goal, via, set(achieved), steps)
    return Plan(goal=goal, steps=tuple(steps), cost=sum(step.weight for step in steps))


def _cheapest(tools: tuple[ToolSpec, ...], weigh: Weigh) -> tuple[float, ToolSpec | None]:
    best: tuple[float, ToolSpec | None] = (math.inf, None)
    for tool in tools:
        weight = weigh(tool)
        if weight < best[0]:
            best = (weight, tool)
    return best


def _collect(graph: ToolGraph, state: str, via: dict[str, tuple[str, str, float] | None], seen: set[str],
             steps: list[Step]) -> None:
    """Post-order walk back from `state`: dependencies first, each state once."""
    if state in seen:
        return
    seen.add(state)
    step = via[state]
    if step is None:
        for required in graph.requires(state):
            _collect(graph, required, via, seen, steps)
        return
    tool, source, weight = step
    _collect(graph, source, via, seen, steps)
    steps.append(Step(tool=tool, source=source, target=state, weight=weight))
