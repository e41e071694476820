"""The executor: reroutes without the LLM, pauses for rate windows, and consults the router only
when no path exists — with the LLM answered offline by litellm's mock_response."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentroute.app import AgentRoute
from agentroute.errors import ConfigError
from agentroute.router import Router
from agentroute.toolgraph.calls import ToolCall, ToolResult
from agentroute.toolgraph.clock import ManualClock
from agentroute.toolgraph.control import OfflineAnswer, local_answer
from agentroute.toolgraph.executor import Executor
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.outcome import Outcome, RunResult
from agentroute.toolgraph.sim import Conditions, SimulatedWorld
from agentroute.toolgraph.spec import load_spec, parse_spec

TOOLS = Path(__file__).resolve().parents[1] / "tools"


@pytest.fixture
def hub(tmp_path: Path) -> AgentRoute:
    return AgentRoute(budget_usd=1.0, store=tmp_path / "runs.sqlite")


def run(hub: AgentRoute, graph: ToolGraph | str, conditions: dict[str, Any] | None = None, *,
        offline: OfflineAnswer | None = local_answer, clock: ManualClock | None = None,
        run_id: str = "run") -> tuple[RunResult, Router, SimulatedWorld]:
    graph = graph if isinstance(graph, ToolGraph) else ToolGraph(load_spec(TOOLS / f"{graph}.yaml"))
    clock = clock or ManualClock()
    world = SimulatedWorld(graph, Conditions(**(conditions or {})), clock)
    board = HealthBoard(graph, clock)
    for name, used in world.conditions.rate_used.items():
        board.windows[name].record(used)
    router = hub.router(run_id)
    result = Executor(graph, world.functions(), router=router, board=board, offline_answer=offline).run()
    return result, router, world


def kinds(router: Router) -> list[str]:
    return [record.kind for record in router.records]


def test_no_failure_follows_the_plan_without_the_llm(hub: AgentRoute) -> None:
    result, router, world = run(hub, "customer_support")
    assert result.outcome is Outcome.COMPLETED
    assert [entry.tool for entry in world.ledger] == ["crm_lookup", "orders_api", "refund_api", "email_gateway"]
    assert kinds(router) == ["plan"]


def test_single_outage_reroutes_and_logs_the_path_before_and_after(hub: AgentRoute) -> None:
    result, router, world = run(hub, "customer_support", {"down": ["refund_api"]})
    assert result.outcome is Outcome.COMPLETED and result.achieved["refunded"] == "billing_portal#4"
    reroute = next(event for event in result.events if event.kind == "reroute")
    assert reroute.tool == "refund_api" and reroute.monitor == "outage"
    assert "-refund_api->" in reroute.path_before and "-billing_portal->" in reroute.path_after
    assert kinds(router) == ["plan", "reroute"]        # no model call: rerouting is not reasoning
    stored = hub.store.records("run")
    assert [record.kind for record in stored] == ["plan", "reroute"] and stored[1].outcome == "rerouted"
    assert "refund_api" in (stored[1].error or "")


def test_compound_failures_reroute_each_time(hub: AgentRoute) -> None:
    result, router, _ = run(hub, "customer_support", {"down": ["crm_lookup", "orders_api", "email_gateway"]})
    assert result.outcome is Outcome.COMPLETED
    assert [event.tool for event in result.events if event.kind == "reroute"] == ["crm_lookup", "orders_api", "email_gateway"]
    assert "model" not in kinds(router) and result.control_calls == 0


def test_a_tool_that_raises_is_a_failure_not_a_crash(hub: AgentRoute) -> None:
    graph = ToolGraph(load_spec(TOOLS / "customer_support.yaml"))
    world = SimulatedWorld(graph, Conditions(), ManualClock())
    functions = world.functions()

    def broken(call: ToolCall) -> ToolResult:
        raise TimeoutError("crm timed out\nstack…")

    functions["crm_lookup"] = broken
    result = Executor(graph, functions, router=hub.router("raise")).run()
    assert result.outcome is Outcome.COMPLETED
    assert result.calls[0].error == "TimeoutError: crm timed out"
    assert result.events[1].kind == "reroute"


def test_no_path_escalates_with_a_report_through_the_router(hub: AgentRoute) -> None:
    result, router, _ = run(hub, "customer_support", {"down": ["crm_lookup", "crm_replica"]})
    assert result.outcome is Outcome.ESCALATED and result.control_calls == 1
    report = result.report
    assert report is not None and report.monitor == "control_plane"
    assert set(report.failed_tools) == {"crm_lookup", "crm_replica"} and report.achieved == ["request"]
    assert "no reduced outcome has a path" in report.summary
    assert kinds(router) == ["plan", "reroute", "model", "escalation"]
    model = router.records[2]
    assert model.node == "toolgraph" and model.cost_nanos > 0 and model.model is not None
    assert router.ledger.snapshot().spent_usd == pytest.approx(model.cost_usd)
    assert hub.store.spent_nanos("run") == model.cost_nanos


def test_no_path_demotes_to_a_reduced_outcome(hub: AgentRoute) -> None:
    result, router, world = run(hub, "customer_support", {"down": ["refund_api", "billing_portal"]})
    assert result.label == "demoted:ticket_filed" and result.original_goal == "notified"
    assert world.ledger[-1].tool == "ticket_desk" and world.ledger[-1].ok
    demote = next(event for event in result.events if event.kind == "demote")
    assert demote.failed == ["billing_portal", "refund_api"] and "ticket_desk" in (demote.path_after or "")
    assert kinds(router).count("model") == 1


def test_unreadable_or_unoffered_llm_replies_escalate(hub: AgentRoute) -> None:
    conditions = {"down": ["refund_api", "billing_portal"]}
    result, _, _ = run(hub, "customer_support", conditions, offline=lambda situation: "I think we should refund.", run_id="a")
    assert result.outcome is Outcome.ESCALATED and "unreadable control-plane reply" in result.report.summary
    chosen = json.dumps({"action": "demote", "goal": "notified"})
    result, _, _ = run(hub, "customer_support", conditions, offline=lambda situation: chosen, run_id="b")
    assert result.outcome is Outcome.ESCALATED and "was not offered" in result.report.summary


def test_an_exhausted_budget_still_escalates_explicitly(tmp_path: Path) -> None:
    poor = AgentRoute(budget_usd=1e-7, store=tmp_path / "poor.sqlite")
    result, router, _ = run(poor, "customer_support", {"down": ["crm_lookup", "crm_replica"]})
    assert result.outcome is Outcome.ESCALATED
    assert "control-plane LLM unavailable: budget exhausted" in result.report.summary
    assert router.records[-1].kind == "escalation"


def test_pauses_for_a_rate_window_when_waiting_is_the_only_path(hub: AgentRoute) -> None:
    clock = ManualClock()
    result, router, world = run(hub, "travel", {"rate_used": {"hotels_api": 10}, "down": ["hotels_aggregator"]}, clock=clock)
    assert result.outcome is Outcome.COMPLETED
    pause = next(event for event in result.events if event.kind == "pause")
    assert pause.monitor == "rate_limit" and pause.failed == ["hotels_aggregator"]
    assert clock.now() == pytest.approx(20.0)                       # the window's length, not a real sleep
    hotel = next(entry for entry in world.ledger if entry.tool == "hotels_api")
    assert hotel.ok and hotel.at == pytest.approx(20.0)
    assert "model" not in kinds(router)


def test_rate_limit_refusal_reroutes_to_an_alternative(hub: AgentRoute) -> None:
    graph = ToolGraph(load_spec(TOOLS / "customer_support.yaml"))
    clock = ManualClock()
    world = SimulatedWorld(graph, Conditions(rate_used={"email_gateway": 100}), clock)
    board = HealthBoard(graph, clock)                   # the board has not seen the other traffic
    result = Executor(graph, world.functions(), router=hub.router("429"), board=board).run()
    assert result.outcome is Outcome.COMPLETED
    refused = next(event for event in result.events if event.kind == "reroute")
    assert refused.monitor == "rate_limit" and refused.tool == "email_gateway"
    assert "simulated 429" in (hub.store.records("429")[-1].error or "")
    assert world.ledger[-1].tool == "sms_gateway"


def test_rate_proximity_steers_traffic_before_any_refusal(hub: AgentRoute) -> None:
    result, _, world = run(hub, "moderation", {"rate_used": {"image_safety": 19}})
    assert result.outcome is Outcome.COMPLETED
    assert "image_safety" not in [entry.tool for entry in world.ledger]
    assert all(entry.ok for entry in world.ledger)


RISKY = """
name: risky-refund
states: [request, order, refunded]
start: request
goal: refunded
tools:
  - {name: lookup, from: request, to: order, cost_usd: 0.001}
  - {name: refund, from: order, to: refunded, cost_usd: 0.001}
  - {name: refund_b, from: order, to: refunded, cost_usd: 0.002}
  - {name: refund_c, from: order, to: refunded, cost_usd: 0.003}
settings: {escalate_on: [fraud], max_failures_without_progress: 2}
"""


def test_risk_signal_escalates_without_the_llm(hub: AgentRoute) -> None:
    graph = ToolGraph(parse_spec(RISKY, "risky"))
    result, router, world = run(hub, graph, {"risk": {"lookup": ["fraud", "vip"]}})
    assert result.outcome is Outcome.ESCALATED and result.report.monitor == "risk"
    assert "fraud" in result.report.reason and "vip" not in result.report.reason
    assert [entry.tool for entry in world.ledger] == ["lookup"] and "model" not in kinds(router)
    flagged_last, _, _ = run(hub, graph, {"risk": {"refund": ["fraud"]}}, run_id="late")
    assert flagged_last.outcome is Outcome.ESCALATED and "refunded" in flagged_last.achieved   # done, yet flagged


def test_lack_of_progress_escalates(hub: AgentRoute) -> None:
    graph = ToolGraph(parse_spec(RISKY, "risky"))
    result, _, world = run(hub, graph, {"down": ["refund", "refund_b", "refund_c"]})
    assert result.outcome is Outcome.ESCALATED and result.report.monitor == "progress"
    assert [entry.tool for entry in world.ledger] == ["lookup", "refund", "refund_b"]


def test_every_failure_ends_in_a_logged_event(hub: AgentRoute) -> None:
    for index, conditions in enumerate([
        {"down": ["crm_lookup", "sms_gateway"], "rate_used": {"email_gateway": 100}},
        {"down": ["refund_api", "billing_portal", "ticket_desk"]},
        {"down": ["crm_lookup", "crm_replica"]},
    ]):
        result, _, _ = run(hub, "customer_support", conditions, run_id=f"r{index}")
        failed = [call.tool for call in result.calls if not call.ok]
        accounted = [tool for event in result.events for tool in event.failed]
        assert failed and all(tool in accounted for tool in failed)


def test_missing_tool_functions_and_unknown_goals_are_config_errors(hub: AgentRoute) -> None:
    graph = ToolGraph(load_spec(TOOLS / "customer_support.yaml"))
    with pytest.raises(ConfigError, match="no function for tool"):
        Executor(graph, {}, router=hub.router("x"))
    functions = SimulatedWorld(graph, Conditions(), ManualClock()).functions()
    with pytest.raises(ConfigError, match="no state 'moon'"):
        Executor(graph, functions, router=hub.router("x")).run("moon")
