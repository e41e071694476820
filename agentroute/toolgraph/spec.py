"""Tool-graph specifications: YAML or JSON files (see `tools/README.md`), validated with pydantic.

A spec names the task states (graph nodes), the start and the goal, the tools (edges: a tool
moves the task from one state to another), optional joins (a state reached once all its
required states are reached, with no tool: the AND of a dependency DAG or a fan-out), the
reduced outcomes a user accepts when the goal is out of reach (demotions), and the settings of
weights and health monitors. Every problem — unknown node, negative cost, duplicate tool, no
path from start to goal — is one `ConfigError` line naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentroute.config_files import parse_text, read_text, syntax_of
from agentroute.errors import ConfigError


class RateLimit(BaseModel):
    """At most `calls` calls in any sliding window of `window_s` seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: int = Field(gt=0)
    window_s: float = Field(gt=0)


class ToolSpec(BaseModel):
    """One tool: an edge from `from` to `to`, with what a call costs and how often it works."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1)
    source: str = Field(alias="from", min_length=1)
    target: str = Field(alias="to", min_length=1)
    cost_usd: float = Field(default=0.0, ge=0)
    latency_ms: float = Field(default=0.0, ge=0)
    reliability: float = Field(default=1.0, gt=0, le=1)
    rate_limit: RateLimit | None = None
    description: str = ""


class Demotion(BaseModel):
    """A reduced outcome the user accepts when the goal cannot be reached."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    goal: str = Field(min_length=1)
    outcome: str = Field(min_length=1)


class GraphSettings(BaseModel):
    """Weight and health knobs; the defaults suit the scenario suite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_usd_per_s: float = Field(default=0.01, ge=0)
    breaker_failures: int = Field(default=3, ge=1)
    breaker_cooldown_s: float = Field(default=60.0, ge=0)
    max_pause_s: float = Field(default=60.0, ge=0)
    max_failures_without_progress: int = Field(default=8, ge=1)
    escalate_on: tuple[str, ...] = ()


class GraphSpec(BaseModel):
    """A whole tool-graph spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    states: tuple[str, ...]
    start: str
    goal: str
    joins: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    tools: tuple[ToolSpec, ...]
    demotions: tuple[Demotion, ...] = ()
    settings: GraphSettings = Field(default_factory=GraphSettings)

    @model_validator(mode="after")
    def _consistent(self) -> GraphSpec:
        known = set(self.states)
        _no_repeats("state", self.states)
        _no_repeats("tool", [tool.name for tool in self.tools])

        def check(node: str, where: str) -> None:
            if node not in known:
                raise ValueError(f"{where}: unknown node {node!r} (states: {', '.join(self.states)})")

        check(self.start, "start")
        check(self.goal, "goal")
        if self.start == self.goal:
            raise ValueError(f"start and goal are the same state {self.start!r}")
        for join, requires in self.joins.items():
            check(join, f"join {join!r}")
            if not requires:
                raise ValueError(f"join {join!r} requires no state")
            for node in requires:
                check(node, f"join {join!r}")
        if self.start in self.joins:
            raise ValueError(f"start {self.start!r} cannot be a join")
        for tool in self.tools:
            check(tool.source, f"tool {tool.name!r}")
            check(tool.target, f"tool {tool.name!r}")
            if tool.source == tool.target:
                raise ValueError(f"tool {tool.name!r} goes from {tool.source!r} to itself")
            if tool.target in self.joins:
                raise ValueError(f"tool {tool.name!r} leads to join {tool.target!r}, which is reached by its requirements only")
        _no_repeats("demotion goal", [demotion.goal for demotion in self.demotions])
        for demotion in self.demotions:
            check(demotion.goal, "demotion")
            if demotion.goal == self.goal:
                raise ValueError(f"demotion goal {demotion.goal!r} is the goal itself")
        reachable = reachable_states(self)
        if self.goal not in reachable:
            raise ValueError(f"no path from start {self.start!r} to goal {self.goal!r} (reachable: {', '.join(sorted(reachable))})")
        for demotion in self.demotions:
            if demotion.goal not in reachable:
                raise ValueError(f"no path from start {self.start!r} to demotion goal {demotion.goal!r}")
        return self

    def tool(self, name: str) -> ToolSpec:
        """The tool with this name, or a ConfigError listing the known ones."""
        for tool in self.tools:
            if tool.name == name:
                return tool
        raise ConfigError(f"spec {self.name!r} has no tool {name!r} (tools: {', '.join(t.name for t in self.tools)})")


def reachable_states(spec: GraphSpec) -> set[str]:
    """States reachable from the start when every tool works (joins need all their requirements)."""
    reached = {spec.start}
    grew = True
    while grew:
        before = len(reached)
        reached |= {tool.target for tool in spec.tools if tool.source in reached}
        reached |= {join for join, requires in spec.joins.items() if set(requires) <= reached}
        grew = len(reached) > before
    return reached


def _no_repeats(kind: str, names: list[str] | tuple[str, ...]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"duplicate {kind} {', '.join(repr(name) for name in repeated)}")


def parse_spec(text: str, source: str, *, json_syntax: bool = False) -> GraphSpec:
    """Parse and validate spec text (YAML, or JSON when json_syntax)."""
    raw = parse_text(text, source, "json" if json_syntax else "yaml",
                     expected="a mapping with states, start, goal and tools")
    try:
        return GraphSpec.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(describe_error(source, raw, error)) from None


def load_spec(path: str | Path) -> GraphSpec:
    """Load a spec file (.yaml, .yml or .json)."""
    file = Path(path)
    return parse_spec(read_text(file, "tool graph spec"), str(file), json_syntax=syntax_of(file) == "json")


def describe_error(source: str, raw: dict[str, Any], error: ValidationError) -> str:
    """The first problem as one line: `source: where: what`, tools named instead of numbered."""
    first = error.errors()[0]
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    if first["type"] == "value_error":
        return f"{source}: {first['ctx']['error']}{suffix}"
    parts = [str(part) for part in first["loc"]]
    tools = raw.get("tools")
    if len(parts) >= 2 and parts[0] == "tools" and parts[1].isdigit() and isinstance(tools, list):
        entry = tools[int(parts[1])]
        if isinstance(entry, dict) and entry.get("name"):
            parts[:2] = [f"tool {entry['name']!r}"]
    where = ".".join(parts) or "(top level)"
    what = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    return f"{source}: {where}: {what}{suffix}"
