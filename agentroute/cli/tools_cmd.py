"""`agentroute tools plan|simulate SPEC`: inspect a tool graph's plan and how it heals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.output import console

tools_app = typer.Typer(help="Tool graphs: plan a route, simulate failures and reroutes.", no_args_is_help=True)

SpecArgument = Annotated[Path, typer.Argument(help="Tool graph spec (YAML or JSON).")]


@tools_app.command("plan")
def plan_command(
    spec: SpecArgument,
    goal: Annotated[Optional[str], typer.Option("--goal", help="Plan to this state instead of the spec's goal.")] = None,
) -> None:
    """Print the cheapest plan from the spec's start to its goal, step by step with weights."""
    from rich.table import Table

    from agentroute.errors import ConfigError
    from agentroute.toolgraph.graph import ToolGraph
    from agentroute.toolgraph.health import HealthBoard
    from agentroute.toolgraph.planner import plan
    from agentroute.toolgraph.spec import load_spec

    graph = ToolGraph(load_spec(spec))
    target = goal or graph.spec.goal
    if target not in graph.digraph:
        raise ConfigError(f"{spec}: unknown state {target!r} (states: {', '.join(graph.spec.states)})")
    found = plan(graph, {graph.spec.start}, target, HealthBoard(graph).weigh(set()))
    if found is None:
        raise ConfigError(f"{spec}: no path from {graph.spec.start!r} to {target!r}")
    table = Table(title=f"{graph.name}: {graph.spec.start} → {target}")
    for column in ("#", "tool", "from", "to", "weight", "alternatives on this edge"):
        table.add_column(column, justify="right" if column in ("#", "weight") else "left")
    for index, step in enumerate(found.steps, 1):
        others = [tool.name for tool in graph.digraph.edges[step.source, step.target]["tools"] if tool.name != step.tool]
        table.add_row(str(index), step.tool, step.source, step.target, f"{step.weight:.6f}", ", ".join(others) or "-")
    console.print(table)
    _say(f"path: {found.describe()}")
    _say(f"total weight: {found.cost:.6f} (expected USD incl. latency, see tools/README.md)")


@tools_app.command("simulate")
def simulate(
    spec: SpecArgument,
    fail: Annotated[str, typer.Option("--fail", help="Tools that fail when called, comma-separated.")],
) -> None:
    """Walk the plan with these tools down and print the path before and after each failure."""
    from agentroute.toolgraph.graph import ToolGraph
    from agentroute.toolgraph.health import HealthBoard
    from agentroute.toolgraph.planner import plan
    from agentroute.toolgraph.spec import load_spec

    graph = ToolGraph(load_spec(spec))
    failing = {name.strip() for name in fail.split(",") if name.strip()}
    for name in sorted(failing):
        graph.tool(name)
    board = HealthBoard(graph)
    achieved, failed = {graph.spec.start}, set()
    goal = graph.spec.goal
    current = plan(graph, achieved, goal, board.weigh(failed))
    _say(f"plan: {current.describe() if current else 'no path'}")
    reroutes = 0
    while current is not None and goal not in achieved:
        step = current.steps[0]
        if step.tool in failing:
            failed.add(step.tool)
            reroutes += 1
            after = plan(graph, achieved, goal, board.weigh(failed))
            _say(f"✗ {step.tool} fails ({step.source} → {step.target})")
            _say(f"  before: {current.describe()}")
            _say(f"  after:  {after.describe() if after else 'no path'}")
            current = after
            continue
        _say(f"✓ {step.tool}: {step.source} → {step.target}")
        achieved.add(step.target)
        achieved |= graph.close_joins(achieved)
        current = plan(graph, achieved, goal, board.weigh(failed))
    unused = sorted(failing - failed)
    if unused:
        _say(f"never called: {', '.join(unused)}")
    if goal in achieved:
        _say(f"goal {goal} reached after {reroutes} reroute(s), without an LLM call")
        return
    options = [f"{demotion.goal} ({found.describe()})" for demotion in graph.spec.demotions
               if (found := plan(graph, achieved, demotion.goal, board.weigh(failed))) is not None]
    _say(f"no path to {goal}: the executor consults the control-plane LLM to demote or escalate; "
                  f"reduced outcomes with a path: {'; '.join(options) or 'none (escalate with a report)'}")


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)
