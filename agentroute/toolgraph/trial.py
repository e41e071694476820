"""One scenario run by one approach: everything an approach may use, fresh for each run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agentroute.router import Router
from agentroute.toolgraph.clock import ManualClock
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.outcome import RunResult
from agentroute.toolgraph.scenarios import Family, Scenario
from agentroute.toolgraph.sim import SimulatedWorld


@dataclass(frozen=True)
class Trial:
    """The scenario, its simulated world, the router for control-plane calls and simulated time."""

    family: Family
    scenario: Scenario
    world: SimulatedWorld
    router: Router
    clock: ManualClock

    @property
    def graph(self) -> ToolGraph:
        """The family's tool graph."""
        return self.family.graph


Approach = Callable[[Trial], RunResult]
