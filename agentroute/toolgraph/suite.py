"""`agentroute bench healing`: the scenario suite run by the self-healing executor and both baselines.

Every (approach, scenario) pair gets a fresh simulated world, simulated clock and router (one
run id each, all in one trace store), and is audited against the ledger (`audit.py`).
Control-plane LLM calls are counted from the router's decision trace, not self-reported.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from pydantic import BaseModel

from agentroute.app import AgentRoute
from agentroute.errors import AgentRouteError
from agentroute.toolgraph.audit import Audit, audit
from agentroute.toolgraph.baselines import run_react, run_static
from agentroute.toolgraph.clock import ManualClock
from agentroute.toolgraph.control import local_answer
from agentroute.toolgraph.executor import Executor
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.outcome import RunResult
from agentroute.toolgraph.scenarios import Family
from agentroute.toolgraph.sim import SimulatedWorld
from agentroute.toolgraph.trial import Approach, Trial

PUBLISHED = ("published reference (Self-Healing Router, arXiv 2603.01548): Self-Healing Router 19/19 with 9 control-plane "
             "LLM calls; ReAct 19/19 with 123; static workflow 16/19 with 3 silent failures")


def run_self_healing(trial: Trial) -> RunResult:
    """The self-healing executor, its control plane answered offline by `local_answer`."""
    board = HealthBoard(trial.graph, trial.clock)
    for name, used in trial.scenario.conditions.rate_used.items():
        board.windows[name].record(used)
    executor = Executor(trial.graph, trial.world.functions(), router=trial.router, board=board,
                        offline_answer=local_answer)
    return executor.run()


APPROACHES: dict[str, Approach] = {"self-healing": run_self_healing, "react": run_react, "static": run_static}


class ScenarioScore(BaseModel):
    """One approach on one scenario."""

    approach: str
    scenario: str
    topology: str
    expected: list[str]
    outcome: str
    correct: bool
    silent: bool
    llm_calls: int
    cost_usd: float
    problems: list[str]
    run_id: str


class ApproachScore(BaseModel):
    """One approach over the whole suite."""

    approach: str
    scenarios: int
    correct: int
    llm_calls: int
    silent: int
    cost_usd: float


class SuiteReport(BaseModel):
    """Per-scenario scores and per-approach totals."""

    scores: list[ScenarioScore]
    summary: list[ApproachScore]


def run_trial(family: Family, scenario_index: int, approach: str, run: Approach, hub: AgentRoute, batch: str) -> ScenarioScore:
    """Run one scenario with one approach and audit it."""
    scenario = family.scenarios[scenario_index]
    clock = ManualClock()
    run_id = f"healing-{batch}-{approach}-{scenario.id}"
    router = hub.router(run_id)
    world = SimulatedWorld(family.graph, scenario.conditions, clock)
    try:
        claim = run(Trial(family=family, scenario=scenario, world=world, router=router, clock=clock))
        verdict = audit(family.graph, scenario.expect, world.ledger, claim)
        label = claim.label
    except AgentRouteError as error:
        verdict, label = Audit(correct=False, silent=False, problems=[f"approach failed: {error}"]), "error"
    router.finish(label)
    llm_calls = sum(1 for record in router.records if record.kind == "model")
    return ScenarioScore(approach=approach, scenario=scenario.id, topology=family.topology, expected=list(scenario.expect),
                         outcome=label, correct=verdict.correct, silent=verdict.silent, llm_calls=llm_calls,
                         cost_usd=router.ledger.snapshot().spent_usd, problems=verdict.problems, run_id=run_id)


def run_suite(families: list[Family], hub: AgentRoute, approaches: Mapping[str, Approach] = APPROACHES) -> SuiteReport:
    """Run every scenario with every approach."""
    batch = uuid.uuid4().hex[:6]
    scores = [
        run_trial(family, index, name, run, hub, batch)
        for name, run in approaches.items()
        for family in families
        for index in range(len(family.scenarios))
    ]
    summary = [
        ApproachScore(
            approach=name,
            scenarios=sum(1 for score in scores if score.approach == name),
            correct=sum(score.correct for score in scores if score.approach == name),
            llm_calls=sum(score.llm_calls for score in scores if score.approach == name),
            silent=sum(score.silent for score in scores if score.approach == name),
            cost_usd=round(sum(score.cost_usd for score in scores if score.approach == name), 9),
        )
        for name in approaches
    ]
    return SuiteReport(scores=scores, summary=summary)
