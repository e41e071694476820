"""A cap that holds against a dishonest or broken provider: every finding of the adversarial probe
replayed against the fake OpenAI-compatible server (real HTTP through litellm)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import FAST
from fakellm import FakeLLM, Reply
from langchain_core.messages import HumanMessage

from agentroute.app import AgentRoute
from agentroute.errors import AllModelsFailed, BudgetOverrun, ConfigError
from agentroute.policies import make_policy
from agentroute.pool import Pool
from agentroute.router import Router
from agentroute.router_settings import RouterSettings
from agentroute.trace import TraceStore

MESSAGES = [{"role": "user", "content": "Summarise the failing test output."}]


def make_router(pool: Pool, store: TraceStore | None = None, *, policy: str = "always:low", budget: float = 1.0,
                settings: RouterSettings = FAST, run_id: str = "run-1") -> Router:
    return Router(pool, make_policy(policy, pool), budget_usd=budget, run_id=run_id, store=store, settings=settings)


def test_settings_that_remove_the_safety_margin_are_one_config_error() -> None:
    with pytest.raises(ConfigError, match="prompt_margin must be"):
        RouterSettings(prompt_margin=1.0, prompt_slack_tokens=0)


def test_an_over_reporting_provider_is_charged_its_reserve_flagged_and_stopped(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    # A fake 1M cache-write count: $12.50 at the high tier's cache-write price, against a $0.02 cap.
    lie = {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13, "cache_creation_input_tokens": 1_000_000}
    llm.enqueue(Reply(usage=lie), model="big")
    store = TraceStore(tmp_path / "runs.sqlite")
    router = make_router(pool, store, policy="always:high", budget=0.02)
    with pytest.raises(BudgetOverrun, match="reported \\$12.50"):
        router.complete(MESSAGES)
    record = store.records("run-1")[-1]
    assert record.overrun and record.outcome == "ok_overrun"
    assert record.cost_nanos == record.reserved_nanos < record.reported_cost_nanos
    assert router.ledger.spent_nanos <= router.ledger.cap_nanos and router.ledger.reserved_nanos == 0
    assert router.outcome == "budget_overrun"
    with pytest.raises(BudgetOverrun):  # the run stays stopped: no further request is sent
        router.complete(MESSAGES)
    assert len(llm.requests) == 1
    assert make_router(pool, store, policy="always:high", budget=0.02).outcome == "budget_overrun"  # also on resume


@pytest.mark.parametrize("usage", [
    {"prompt_tokens": -5, "completion_tokens": 3, "total_tokens": -2},
    {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
])
def test_negative_or_empty_usage_is_billed_at_the_reserve(llm: FakeLLM, pool: Pool, usage: dict) -> None:
    llm.enqueue(Reply(content="fine", usage=usage), model="tiny")
    router = make_router(pool)
    assert router.complete(MESSAGES).choices[0].message.content == "fine"
    [record] = router.records
    assert record.outcome == "ok_usage_missing" and record.cost_nanos == record.reserved_nanos > 0
    assert router.ledger.spent_nanos == record.cost_nanos and router.ledger.reserved_nanos == 0


@pytest.mark.parametrize("fault", ["malformed", "empty_choices"])
def test_an_unreadable_or_empty_reply_is_billed_at_the_reserve_and_retried(llm: FakeLLM, pool: Pool, fault: str) -> None:
    llm.enqueue(Reply(fault=fault), model="tiny")
    llm.enqueue(Reply(content="recovered"), model="tiny")
    router = make_router(pool)
    assert router.complete(MESSAGES).choices[0].message.content == "recovered"
    bad, good = router.records
    assert bad.outcome == "retry" and bad.cost_nanos == bad.reserved_nanos > 0
    assert router.ledger.spent_nanos == bad.cost_nanos + good.cost_nanos and router.ledger.reserved_nanos == 0


def test_empty_choices_through_the_chat_model_fall_back_instead_of_raising(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    agentroute = AgentRoute(pool=pool, policy="always:mid", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST)
    for _ in range(FAST.attempts_per_model):
        llm.enqueue(Reply(fault="empty_choices"), model="mid-a")
    llm.enqueue(Reply(content="from the fallback"), model="mid-b")
    reply = agentroute.chat_model().invoke([HumanMessage("hi")])
    assert reply.content == "from the fallback"
    router = agentroute.router()
    assert [(r.model, r.outcome) for r in router.records] == [
        ("openai/mid-a", "retry"), ("openai/mid-a", "retry"), ("openai/mid-b", "ok")]
    assert all(r.cost_nanos == r.reserved_nanos > 0 for r in router.records[:2])
    assert router.ledger.reserved_nanos == 0


def test_streaming_through_complete_is_billed_from_the_final_usage_chunk(llm: FakeLLM, pool: Pool) -> None:
    llm.enqueue(Reply(content="streamed answer", prompt_tokens=100, completion_tokens=7), model="tiny")
    router = make_router(pool)
    chunks = list(router.complete(MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "streamed answer"
    assert llm.requests[0]["stream"] and llm.requests[0]["body"]["stream_options"] == {"include_usage": True}
    [record] = router.records
    # 100 × $0.5 + 7 × $1.0 per 1M tokens
    assert (record.outcome, record.prompt_tokens, record.completion_tokens, record.cost_nanos) == ("ok", 100, 7, 57_000)


def test_a_stream_without_usage_is_billed_at_the_reserve(llm: FakeLLM, pool: Pool) -> None:
    llm.enqueue(Reply(content="no usage", fault="no_usage"), model="tiny")
    router = make_router(pool)
    list(router.complete(MESSAGES, stream=True))
    [record] = router.records
    assert record.outcome == "ok_usage_missing" and record.cost_nanos == record.reserved_nanos


def test_a_trickling_provider_cannot_hold_a_call_past_its_deadline(pool: Pool, llm: FakeLLM) -> None:
    llm.trickle_seconds = 1.5  # 20 bytes every 1.5 s: each read beats the 2 s timeout
    llm.default_reply = Reply(fault="trickle")
    router = make_router(pool, settings=FAST.model_copy(update={"deadline": 3.0}))
    started = time.monotonic()
    with pytest.raises(AllModelsFailed, match="deadline"):
        router.complete(MESSAGES)
    assert time.monotonic() - started < 3.0 + 1.0
    [record] = router.records
    assert record.outcome == "error" and record.cost_nanos == record.reserved_nanos > 0
    assert router.ledger.reserved_nanos == 0


def test_every_attempt_is_traced_before_the_call_and_a_resume_counts_it_at_its_reserve(
        llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    llm.enqueue(Reply(fault="hang"), model="tiny")
    store = TraceStore(tmp_path / "runs.sqlite")
    router = make_router(pool, store, settings=FAST.model_copy(update={"timeout": 4}))
    worker = threading.Thread(target=lambda: router.complete(MESSAGES), daemon=True)
    worker.start()
    while not llm.requests:
        time.sleep(0.01)
    # The process "dies" here: a fresh store and router see the attempt, pending at its reserve.
    [pending] = TraceStore(tmp_path / "runs.sqlite").records("run-1")
    assert pending.outcome == "pending" and pending.cost_nanos == pending.reserved_nanos > 0
    resumed = make_router(pool, TraceStore(tmp_path / "runs.sqlite"))
    assert resumed.ledger.spent_nanos == pending.reserved_nanos and resumed.step == 1
    worker.join()


def test_a_locked_trace_store_never_fails_a_paid_call_and_loses_nothing(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    store = TraceStore(path, busy_timeout=0.1)
    router = make_router(pool, store)
    router.complete(MESSAGES)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    for _ in range(4):
        router.complete(MESSAGES)  # paid replies while nobody may write the store
    assert len(store.records("run-1")) == 5  # reads see the backlog
    locker.execute("COMMIT")
    locker.close()
    assert store.flush(10) == 0
    store.close()
    resumed = make_router(pool, TraceStore(path))
    assert [r.outcome for r in resumed.records] == ["ok"] * 5
    assert resumed.ledger.spent_nanos == router.ledger.spent_nanos > 0


def test_one_router_from_several_threads_numbers_steps_uniquely_and_bills_exactly(
        llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "runs.sqlite")
    router = make_router(pool, store)
    workers = [threading.Thread(target=lambda: [router.complete(MESSAGES) for _ in range(5)]) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    records = store.records("run-1")
    assert sorted(r.step for r in records) == list(range(20))
    assert router.ledger.spent_nanos == sum(r.cost_nanos for r in records) == store.spent_nanos("run-1")
    assert router.ledger.reserved_nanos == 0 and len(router.ledger.charges) == 20


def test_an_interrupt_during_a_call_bills_the_reserve_and_traces_it(pool: Pool) -> None:
    router = make_router(pool)

    def interrupted(model: object, max_tokens: int) -> object:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        router.call(MESSAGES, interrupted, lambda result: result)
    [record] = router.records
    assert record.outcome == "interrupted" and record.cost_nanos == record.reserved_nanos > 0
    assert router.ledger.reserved_nanos == 0 and router.ledger.spent_nanos == record.cost_nanos
