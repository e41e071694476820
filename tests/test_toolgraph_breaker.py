"""Circuit breaker states on a manual clock, rate windows, and breakers carried across executor runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentroute.app import AgentRoute
from agentroute.toolgraph.breaker import BreakerState, CircuitBreaker
from agentroute.toolgraph.clock import ManualClock
from agentroute.toolgraph.control import local_answer
from agentroute.toolgraph.executor import Executor
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.ratelimit import RateWindow
from agentroute.toolgraph.sim import Conditions, SimulatedWorld
from agentroute.toolgraph.spec import RateLimit, load_spec

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def test_opens_after_threshold_consecutive_failures() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=3, cooldown_s=30, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()              # a success resets the count: failures must be consecutive
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    assert breaker.reopens_in() == 30


def test_half_opens_after_cooldown_and_closes_on_success() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=1, cooldown_s=30, clock=clock)
    breaker.record_failure()
    clock.advance(29.9)
    assert breaker.state is BreakerState.OPEN
    clock.advance(0.1)
    assert breaker.state is BreakerState.HALF_OPEN and breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 0


def test_failed_half_open_trial_reopens_for_a_new_cooldown() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=2, cooldown_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.advance(10)
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.advance(9)
    assert breaker.state is BreakerState.OPEN
    clock.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold=0)


def test_rate_window_counts_calls_and_provider_blocks() -> None:
    clock = ManualClock()
    window = RateWindow(RateLimit(calls=4, window_s=10), clock)
    window.record(2)
    assert window.use() == 0.5 and window.free_in() == 0
    clock.advance(4)
    window.record(2)
    assert window.use() == 1.0 and window.free_in() == 6      # the first two expire at t=10
    clock.advance(6)
    assert window.use() == 0.5 and window.free_in() == 0
    window.block(3)
    assert window.use() == 1.0 and window.free_in() == 3


def test_breaker_carries_across_runs_then_half_opens_when_the_tool_recovers(tmp_path: Path) -> None:
    graph = ToolGraph(load_spec(TOOLS / "customer_support.yaml"))
    clock = ManualClock()
    board = HealthBoard(graph, clock)            # shared by every run, as in production
    hub = AgentRoute(budget_usd=1.0, store=tmp_path / "runs.sqlite")
    threshold = graph.spec.settings.breaker_failures

    def run(index: int, conditions: Conditions) -> tuple[list[str], str]:
        world = SimulatedWorld(graph, conditions, clock)
        result = Executor(graph, world.functions(), router=hub.router(f"run-{index}"), board=board,
                          offline_answer=local_answer).run()
        return [entry.tool for entry in world.ledger], result.label

    for index in range(threshold):
        called, label = run(index, Conditions(down=["crm_lookup"]))
        assert called[:2] == ["crm_lookup", "crm_replica"] and label == "completed"
    assert board.breakers["crm_lookup"].state is BreakerState.OPEN
    called, label = run(threshold, Conditions(down=["crm_lookup"]))
    assert "crm_lookup" not in called and called[0] == "crm_replica" and label == "completed"
    clock.advance(graph.spec.settings.breaker_cooldown_s)
    called, label = run(threshold + 1, Conditions())    # the CRM is back: the half-open trial succeeds
    assert called[0] == "crm_lookup" and label == "completed"
    assert board.breakers["crm_lookup"].state is BreakerState.CLOSED
