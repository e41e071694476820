"""The routed call loop over litellm's real HTTP path, against the fake OpenAI-compatible server."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import FAST
from fakellm import FakeLLM, Reply

from agentroute.errors import AllModelsFailed, BudgetExhausted
from agentroute.policies import make_policy
from agentroute.pool import Pool
from agentroute.router import Router
from agentroute.router_settings import RouterSettings
from agentroute.trace import TraceStore

MESSAGES = [{"role": "user", "content": "Summarise the failing test output."}]


def make_router(pool: Pool, store: TraceStore | None = None, *, policy: str = "always:mid", budget: float = 1.0,
                settings: RouterSettings = FAST, run_id: str = "run-1") -> Router:
    return Router(pool, make_policy(policy, pool), budget_usd=budget, run_id=run_id, store=store, settings=settings)


def outcomes(router: Router) -> list[tuple[str | None, str]]:
    return [(record.model, record.outcome) for record in router.records]


def test_call_is_priced_from_reported_usage_and_traced(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "runs.sqlite")
    router = make_router(pool, store, policy="always:high")
    llm.enqueue(Reply(content="done", prompt_tokens=1000, completion_tokens=50, cached_tokens=400), model="big")
    response = router.complete(MESSAGES, node="summarise")
    assert response.choices[0].message.content == "done"
    assert llm.requests_for("big")[0]["max_tokens"] == 200
    # high: 600 plain × 10 + 400 cache-read × 1 + 50 out × 40 = 6000 + 400 + 2000 = 8400 per 1M → $0.0084
    record = store.records("run-1")[0]
    assert (record.model, record.tier_name, record.node, record.outcome) == ("openai/big", "high", "summarise", "ok")
    assert (record.prompt_tokens, record.cache_read_tokens, record.completion_tokens) == (1000, 400, 50)
    assert record.cost_nanos == 8_400_000
    assert router.ledger.spent_nanos == 8_400_000
    assert record.reserved_nanos > record.cost_nanos


def test_rate_limit_is_retried_on_the_same_model(llm: FakeLLM, pool: Pool) -> None:
    llm.enqueue(Reply(fault="429"), model="mid-a")
    llm.enqueue(Reply(content="ok after retry"), model="mid-a")
    router = make_router(pool)
    assert router.complete(MESSAGES).choices[0].message.content == "ok after retry"
    assert outcomes(router) == [("openai/mid-a", "retry"), ("openai/mid-a", "ok")]
    assert router.records[0].cost_nanos == 0 and router.ledger.reserved_nanos == 0


def test_persistent_server_errors_fall_back_to_the_next_model_of_the_tier(llm: FakeLLM, pool: Pool) -> None:
    for _ in range(FAST.attempts_per_model):
        llm.enqueue(Reply(fault="500"), model="mid-a")
    llm.enqueue(Reply(content="from b"), model="mid-b")
    router = make_router(pool)
    assert router.complete(MESSAGES).choices[0].message.content == "from b"
    assert outcomes(router) == [("openai/mid-a", "retry"), ("openai/mid-a", "retry"), ("openai/mid-b", "ok")]
    assert [record.attempt for record in router.records] == [0, 1, 2]


@pytest.mark.parametrize("fault", ["hang", "malformed", "503"])
def test_timeouts_broken_json_and_503_are_transient(llm: FakeLLM, pool: Pool, fault: str) -> None:
    llm.enqueue(Reply(fault=fault), model="mid-a")
    llm.enqueue(Reply(content="recovered"), model="mid-a")
    router = make_router(pool, settings=FAST.model_copy(update={"timeout": 1}))
    assert router.complete(MESSAGES).choices[0].message.content == "recovered"
    assert outcomes(router) == [("openai/mid-a", "retry"), ("openai/mid-a", "ok")]


def test_failed_tier_changes_tier(llm: FakeLLM, pool: Pool) -> None:
    for model in ("mid-a", "mid-b"):
        for _ in range(FAST.attempts_per_model):
            llm.enqueue(Reply(fault="500"), model=model)
    llm.enqueue(Reply(content="strong answer"), model="big")
    router = make_router(pool)
    assert router.complete(MESSAGES).choices[0].message.content == "strong answer"
    assert router.records[-1].tier_name == "high"
    assert "tier mid failed, try high" in router.records[-1].reason
    assert router.previous_tier == 2 and router.previous_outcome == "ok"


def test_all_models_failing_raises_after_tier_changes(llm: FakeLLM, pool: Pool) -> None:
    llm.default_reply = Reply(fault="500")
    router = make_router(pool, settings=FAST.model_copy(update={"tier_changes": 1}))
    with pytest.raises(AllModelsFailed, match="InternalServerError"):
        router.complete(MESSAGES)
    assert {record.outcome for record in router.records} == {"retry"}
    assert router.ledger.spent_nanos == 0 and router.ledger.reserved_nanos == 0


def test_missing_usage_is_billed_at_the_reserve(llm: FakeLLM, pool: Pool) -> None:
    llm.enqueue(Reply(content="no usage", fault="no_usage"), model="tiny")
    router = make_router(pool, policy="always:low")
    router.complete(MESSAGES)
    record = router.records[-1]
    assert record.outcome == "ok_usage_missing"
    assert record.cost_nanos == record.reserved_nanos > 0


def test_budget_is_never_exceeded_and_the_run_stops_cleanly(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    llm.default_reply = Reply(content="x", completion_tokens=200)
    store = TraceStore(tmp_path / "runs.sqlite")
    router = make_router(pool, store, policy="always:high", budget=0.05)
    calls = 0
    with pytest.raises(BudgetExhausted):
        for _ in range(100):
            router.complete(MESSAGES)
            calls += 1
            assert router.ledger.spent_nanos <= router.ledger.cap_nanos
    assert len(llm.requests) == calls  # no request was sent once nothing fitted
    assert router.records[-1].outcome == "budget_exhausted"
    assert router.outcome == "budget_exhausted"
    assert store.spent_nanos("run-1") == router.ledger.spent_nanos <= router.ledger.cap_nanos
    # The run fell back to cheaper tiers and smaller max_tokens before stopping.
    tiers_used = {record.tier_name for record in router.records if record.outcome == "ok"}
    assert "high" in tiers_used and len(tiers_used) > 1


def test_router_restores_spend_and_step_from_the_store(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "runs.sqlite")
    first = make_router(pool, store)
    first.complete(MESSAGES)
    first.complete(MESSAGES)
    first.note("reroute", "a tool failed")  # a non-model event last must not hide the last tier
    store.close()
    reopened = TraceStore(tmp_path / "runs.sqlite")
    second = make_router(pool, reopened)
    assert second.ledger.spent_nanos == first.ledger.spent_nanos > 0
    assert second.step == 2 and second.previous_tier == 1
    second.complete(MESSAGES)
    assert [(r.kind, r.step) for r in reopened.records("run-1")] == [("model", 0), ("model", 1), ("reroute", 1), ("model", 2)]


def test_tools_and_tool_calls_pass_through(llm: FakeLLM, pool: Pool) -> None:
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object", "properties": {}}}}]
    llm.enqueue(Reply(content=None, tool_calls=[{"name": "bash", "arguments": {"command": "ls"}}]), model="tiny")
    router = make_router(pool, policy="always:low")
    message = router.complete(MESSAGES, tools=tools).choices[0].message
    assert message.tool_calls[0].function.name == "bash"
    assert llm.requests[0]["tools"][0]["function"]["name"] == "bash"


def test_prompt_drift_seen_on_a_model_widens_its_next_reserves(llm: FakeLLM, pool: Pool) -> None:
    router = make_router(pool, policy="always:low")
    model = pool.tiers[0].primary
    counted = router.count_prompt_tokens(model, MESSAGES, None)
    before = router.reserved_prompt_tokens(model, counted)
    llm.enqueue(Reply(content="x", prompt_tokens=counted * 3), model="tiny")
    router.complete(MESSAGES)
    # The provider billed 3× our count: later reserves assume 3 × 1.1 = 3.3× plus the slack.
    assert router.reserved_prompt_tokens(model, counted) == math.ceil(counted * (3 * 1.1)) + FAST.prompt_slack_tokens > before


def test_fallback_models_that_do_not_fit_end_as_budget_exhausted(llm: FakeLLM, tmp_path: Path) -> None:
    from agentroute.pool import parse_pool_text, resolve_pool

    # One tier whose first model is cheap enough to pass the fit but always fails with a client
    # error, and whose fallback is far too dear for what is left: nothing is called, nothing overspent.
    pool = resolve_pool(parse_pool_text(f"""
[defaults]
api_base = "{llm.base_url}"
[[tiers]]
name = "only"
models = [{{ id = "openai/cheap", price = {{ input = 1, output = 1 }} }}, {{ id = "openai/dear", price = {{ input = 1000, output = 1000 }} }}]
""", "p", yaml_syntax=False), "p")
    llm.enqueue(Reply(fault="429"), model="cheap")
    llm.enqueue(Reply(fault="429"), model="cheap")
    router = Router(pool, make_policy("always:only", pool), budget_usd=0.01, run_id="r", settings=FAST)
    with pytest.raises(AllModelsFailed):
        router.complete(MESSAGES)  # a provider refused: that is a failure, not a budget stop
    assert [r.outcome for r in router.records] == ["retry", "retry", "skipped"]
    assert router.ledger.spent_nanos == 0 and len(llm.requests_for("dear")) == 0
