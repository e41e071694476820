"""The self-healing scenario suite: scenario files under `tools/scenarios/` (see `tools/README.md`).

A scenario file names its topology, the tool-graph spec it runs on, the hand-wired static
workflow used as a baseline, and its scenarios: injected conditions (tools down, rate windows
already used) and the outcomes that count as correct (`completed`, `escalated`,
`demoted:<goal>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentroute.config_files import one_line, parse_text, read_text, syntax_of
from agentroute.errors import ConfigError
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.sim import Conditions
from agentroute.toolgraph.spec import load_spec


class StaticStep(BaseModel):
    """One step of the static baseline: tools tried in order, then stop (hand over) or continue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str
    tools: list[str] = Field(min_length=1)
    on_failure: Literal["stop", "continue"]


class Scenario(BaseModel):
    """One scenario: injected conditions and the outcomes that count as correct."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    description: str
    conditions: Conditions = Field(default_factory=Conditions)
    expect: list[str] = Field(min_length=1)


class ScenarioFile(BaseModel):
    """A scenario file as written."""

    model_config = ConfigDict(extra="forbid")

    topology: Literal["linear", "dag", "fan-out"]
    spec: str
    static_workflow: list[StaticStep] = Field(min_length=1)
    scenarios: list[Scenario] = Field(min_length=1)


@dataclass(frozen=True)
class Family:
    """A loaded scenario file: its graph, static workflow and scenarios."""

    path: Path
    topology: str
    graph: ToolGraph
    static_workflow: tuple[StaticStep, ...]
    scenarios: tuple[Scenario, ...]


def load_family(path: Path) -> Family:
    """Load and check one scenario file (its spec path is relative to the file)."""
    raw = parse_text(read_text(path, "scenario file"), str(path), syntax_of(path), expected="a mapping with spec and scenarios")
    try:
        parsed = ScenarioFile.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(one_line(str(path), error)) from None
    graph = ToolGraph(load_spec(path.parent / parsed.spec))
    labels = {"completed", "escalated", *(f"demoted:{demotion.goal}" for demotion in graph.spec.demotions)}
    for scenario in parsed.scenarios:
        unknown = [label for label in scenario.expect if label not in labels]
        if unknown:
            raise ConfigError(f"{path}: scenario {scenario.id}: unknown expected outcome {unknown[0]!r} (known: {', '.join(sorted(labels))})")
        try:
            scenario.conditions.check(graph)
        except ConfigError as error:
            raise ConfigError(f"{path}: scenario {scenario.id}: {error}") from None
    for step in parsed.static_workflow:
        for name in step.tools:
            if graph.tool(name).target != step.state:
                raise ConfigError(f"{path}: static step {step.state!r}: tool {name!r} does not lead there")
    return Family(path=path, topology=parsed.topology, graph=graph, static_workflow=tuple(parsed.static_workflow),
                  scenarios=tuple(parsed.scenarios))


def load_suite(folder: Path) -> list[Family]:
    """Every `*.yaml` scenario file in `folder`, by file name; scenario ids must be unique."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ConfigError(f"no scenario files (*.yaml) in {folder}")
    families = [load_family(file) for file in files]
    ids = [scenario.id for family in families for scenario in family.scenarios]
    repeated = sorted({scenario_id for scenario_id in ids if ids.count(scenario_id) > 1})
    if repeated:
        raise ConfigError(f"{folder}: duplicate scenario id {', '.join(repeated)}")
    return families


def default_suite_dir() -> Path:
    """`./tools/scenarios` if it exists, else the one next to the agentroute package."""
    local = Path("tools/scenarios")
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "tools" / "scenarios"
