"""The 19-scenario suite: targets for the self-healing executor, honest baselines, and a
silent-failure detector that catches deliberately broken executors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentroute.app import AgentRoute
from agentroute.toolgraph.audit import audit
from agentroute.toolgraph.calls import ToolCall
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.outcome import EscalationReport, Outcome, RunResult
from agentroute.toolgraph.planner import plan
from agentroute.toolgraph.scenarios import Family, load_suite
from agentroute.toolgraph.suite import SuiteReport, run_suite
from agentroute.toolgraph.trial import Trial

TOOLS = Path(__file__).resolve().parents[1] / "tools"


@pytest.fixture(scope="module")
def families() -> list[Family]:
    return load_suite(TOOLS / "scenarios")


@pytest.fixture(scope="module")
def report(families: list[Family], tmp_path_factory: pytest.TempPathFactory) -> SuiteReport:
    hub = AgentRoute(budget_usd=1.0, store=tmp_path_factory.mktemp("suite") / "runs.sqlite")
    return run_suite(families, hub)


def summary(report: SuiteReport, approach: str):  # noqa: ANN201 - ApproachScore
    return next(row for row in report.summary if row.approach == approach)


def test_self_healing_meets_the_targets(report: SuiteReport) -> None:
    ours = summary(report, "self-healing")
    assert (ours.scenarios, ours.correct, ours.silent) == (19, 19, 0)
    assert ours.llm_calls <= 9
    calling = {score.scenario for score in report.scores if score.approach == "self-healing" and score.llm_calls}
    assert calling == {"L6-every-refund-path-down", "L7-total-crm-outage", "D6-every-payment-down",
                       "F5-every-image-checker-down", "F6-every-aggregator-down"}      # only where no path exists


def test_react_is_correct_but_calls_the_llm_at_every_step(report: SuiteReport) -> None:
    react = summary(report, "react")
    assert react.correct == 19 and react.silent == 0
    assert react.llm_calls > 10 * summary(report, "self-healing").llm_calls
    assert react.cost_usd > summary(report, "self-healing").cost_usd


def test_static_workflow_fails_silently_and_the_harness_says_why(report: SuiteReport) -> None:
    static = summary(report, "static")
    assert static.llm_calls == 0 and static.silent >= 1 and static.correct < 19
    silent = [score for score in report.scores if score.approach == "static" and score.silent]
    assert {score.scenario for score in silent} == {"L5-rate-limited-email-and-sms-down", "F3-compound-toxicity",
                                                    "F5-every-image-checker-down"}
    assert all(score.outcome == "completed" and not score.correct for score in silent)
    assert all(any("failed result passed on as success" in problem for problem in score.problems) for score in silent)


def skip_failed_steps(trial: Trial) -> RunResult:
    """A deliberately broken executor: walks the healthy plan and skips any step whose tool fails."""
    graph, spec = trial.graph, trial.graph.spec
    functions = trial.world.functions()
    steps = plan(graph, {spec.start}, spec.goal, HealthBoard(graph).weigh(set())).steps
    achieved: dict[str, str | None] = {spec.start: None}
    for step in steps:
        result = functions[step.tool](ToolCall(tool=step.tool, source=step.source, target=step.target))
        if result.ok:
            achieved[step.target] = result.call_id      # a failed step is silently skipped
        for join in graph.close_joins(set(achieved)):
            achieved[join] = None
    return RunResult(spec=spec.name, outcome=Outcome.COMPLETED, goal=spec.goal, original_goal=spec.goal, achieved=achieved)


def pass_failures_on(trial: Trial) -> RunResult:
    """A deliberately broken executor: treats every result, failed or not, as success."""
    graph, spec = trial.graph, trial.graph.spec
    functions = trial.world.functions()
    achieved: dict[str, str | None] = {spec.start: None}
    for step in plan(graph, {spec.start}, spec.goal, HealthBoard(graph).weigh(set())).steps:
        achieved[step.target] = functions[step.tool](ToolCall(tool=step.tool, source=step.source, target=step.target)).call_id
        for join in graph.close_joins(set(achieved)):
            achieved[join] = None
    return RunResult(spec=spec.name, outcome=Outcome.COMPLETED, goal=spec.goal, original_goal=spec.goal, achieved=achieved)


def test_detector_catches_deliberately_broken_executors(families: list[Family], tmp_path: Path) -> None:
    hub = AgentRoute(budget_usd=1.0, store=tmp_path / "broken.sqlite")
    broken = run_suite(families, hub, {"skipper": skip_failed_steps, "passer": pass_failures_on})
    for approach in ("skipper", "passer"):
        scores = {score.scenario: score for score in broken.scores if score.approach == approach}
        for family in families:
            for scenario in family.scenarios:
                healthy_path = plan(family.graph, {family.graph.spec.start}, family.graph.spec.goal,
                                    HealthBoard(family.graph).weigh(set())).tools
                hit = bool(set(scenario.conditions.down) & set(healthy_path)) or any(
                    tool in healthy_path for tool in scenario.conditions.rate_used
                    if scenario.conditions.rate_used[tool] >= family.graph.tool(tool).rate_limit.calls)
                score = scores[scenario.id]
                assert score.silent == hit, (approach, scenario.id, score.problems)
                assert score.correct == (not hit and "completed" in scenario.expect)
    skipped = next(score for score in broken.scores if score.approach == "skipper" and score.scenario == "L3-refund-outage")
    assert any("required step skipped" in problem for problem in skipped.problems)
    passed = next(score for score in broken.scores if score.approach == "passer" and score.scenario == "L3-refund-outage")
    assert any("failed result passed on as success" in problem for problem in passed.problems)


def test_an_escalation_without_a_report_is_wrong_but_not_silent(families: list[Family]) -> None:
    graph = families[0].graph
    bare = RunResult(spec="x", outcome=Outcome.ESCALATED, goal="notified", original_goal="notified", achieved={"request": None})
    verdict = audit(graph, ("escalated",), [], bare)
    assert not verdict.correct and not verdict.silent and verdict.problems == ["escalated without a report"]
    reported = bare.model_copy(update={"report": EscalationReport(spec="x", goal="notified", original_goal="notified",
                                                                  reason="r", monitor="m", achieved=[], failed_tools={},
                                                                  summary="all CRMs down")})
    assert audit(graph, ("escalated",), [], reported).correct
