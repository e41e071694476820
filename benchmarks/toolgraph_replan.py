"""Replanning time on a 1,000-tool graph (a benchmark script, not a test).

    /tmp/venv/bin/python benchmarks/toolgraph_replan.py [--tools 1000] [--states 200] [--replans 2000] [--seed 0]

Builds a layered random tool graph (states in layers, every tool moves the task one or two
layers forward, several alternatives per step), then plays episodes: walk the plan and, at
random steps, fail the tool about to be called and replan from where the task stands — the
same `plan` + `HealthBoard.weigh` calls the executor makes. Reports p50/p99 of the replan time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.planner import plan
from agentroute.toolgraph.spec import GraphSpec


def layered_spec(tools: int, states: int, seed: int) -> GraphSpec:
    """A random layered graph: `states` states in layers of 10, `tools` tools, start → goal guaranteed."""
    rng = random.Random(seed)
    width = 10
    layers = [[f"s{layer}_{i}" for i in range(width)] for layer in range(states // width)]
    names = ["start", *(state for layer in layers for state in layer), "goal"]
    edges: list[tuple[str, str]] = [("start", state) for state in layers[0]]
    edges += [(state, "goal") for state in layers[-1]]
    for here, there in zip(layers, layers[1:]):
        edges += [(state, rng.choice(there)) for state in here]  # every state can move on
    while len(edges) < tools:
        layer = rng.randrange(len(layers) - 1)
        jump = min(len(layers) - 1, layer + rng.choice((1, 1, 1, 2)))
        edges.append((rng.choice(layers[layer]), rng.choice(layers[jump])))
    specs = [
        {"name": f"t{index}", "from": source, "to": target, "cost_usd": round(rng.uniform(0.0001, 0.01), 6),
         "latency_ms": rng.randint(20, 3000), "reliability": round(rng.uniform(0.8, 1.0), 3)}
        for index, (source, target) in enumerate(edges[:tools])
    ]
    return GraphSpec.model_validate({"name": f"layered-{tools}", "states": names, "start": "start", "goal": "goal", "tools": specs})


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=1000)
    parser.add_argument("--states", type=int, default=200)
    parser.add_argument("--replans", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    graph = ToolGraph(layered_spec(args.tools, args.states, args.seed))
    build_ms = (time.perf_counter() - started) * 1000
    board = HealthBoard(graph)
    rng = random.Random(args.seed)
    spec = graph.spec
    replans: list[float] = []
    plans: list[float] = []
    episodes = escalations = 0
    while len(replans) < args.replans:
        episodes += 1
        achieved, failed = {spec.start}, set()
        began = time.perf_counter()
        current = plan(graph, achieved, spec.goal, board.weigh(failed))
        plans.append((time.perf_counter() - began) * 1000)
        while current is not None and current.steps:
            step = current.steps[0]
            if rng.random() < 0.3:
                failed.add(step.tool)
                began = time.perf_counter()
                current = plan(graph, achieved, spec.goal, board.weigh(failed))
                replans.append((time.perf_counter() - began) * 1000)
                continue
            achieved.add(step.target)
            current = plan(graph, achieved, spec.goal, board.weigh(failed))
        escalations += current is None

    def quantile(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    print(f"graph: {len(spec.tools)} tools, {len(spec.states)} states, {graph.digraph.number_of_edges()} edges; built in {build_ms:.1f} ms")
    print(f"episodes: {episodes} (30% of steps fail; {escalations} ended with no path)")
    print(f"{'measure':<22}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for label, values in (("initial plan", plans), ("replan after failure", replans)):
        print(f"{label:<22}{len(values):>7}{quantile(values, 50):>10.3f}{quantile(values, 99):>10.3f}{max(values):>10.3f}")


if __name__ == "__main__":
    main()
