"""Dynamic-track compatibility: the live StepContext, per-model cache state, repricing a saved trace."""

from __future__ import annotations

import json
import time

import pytest

from agentroute.errors import AgentRouteError
from agentroute.policies.base import Decision, StatelessPolicy
from agentroute.router import Router
from agentroute.trace import RunInfo, TraceRecord, TraceStore
from agentroute.twin.live import cache_state, load_trace_jsonl, reprice
from agentroute.twin.locked import locked_file, locked_pricing, published_bank, ttl_seconds, twin_pool
from agentroute.usage import Usage

TASK = {"instance_id": "django__django-11133", "max_steps": 250, "budget_usd": 3.0}
FIX = [{"role": "user", "content": "Fix the failing test."}]
# usages the fake provider reports, one per call: low, high, mid_high
USAGES = [
    Usage(prompt_tokens=1000, cache_write_tokens=1000, completion_tokens=200),
    Usage(prompt_tokens=1200, cache_read_tokens=800, cache_write_tokens=400, completion_tokens=100),
    Usage(prompt_tokens=500, completion_tokens=50),  # no cache: plain input
]
# locked prices per 1M (input, cache read, cache write, output):
# deepseek 0.252/0.0252/0.252/0.378, opus 5/0.5/6.25/25, gemini flash 0.5/0.05/0.08333…/3
HAND_USD = [
    (1000 * 0.252 + 200 * 0.378) / 1e6,            # 327.6 µ$
    (800 * 0.5 + 400 * 6.25 + 100 * 25) / 1e6,     # 5400 µ$
    (500 * 0.5 + 50 * 3.0) / 1e6,                  # 400 µ$
]


class Scripted(StatelessPolicy):
    name = "scripted"

    def __init__(self, tiers: list[int]) -> None:
        self.tiers = list(tiers)

    def decide(self, context):
        return Decision(tier=self.tiers.pop(0), reason="scripted")


def run_three_calls(store: TraceStore | None = None) -> tuple[Router, list]:
    pool = twin_pool()
    router = Router(pool, Scripted([0, 3, 2]), budget_usd=3.0, run_id=TASK["instance_id"], task=TASK, store=store)
    contexts = [router.context(FIX)]
    usages = iter(USAGES)
    for turn in range(3):
        router.call(contexts[-1].messages, invoke=lambda model, limit: model, usage_of=lambda model: next(usages))
        contexts.append(router.context(contexts[-1].messages + [{"role": "user", "content": f"turn {turn}"}]))
    return router, contexts


def test_the_locked_pool_and_ttl():
    pool = twin_pool()
    assert [tier.name for tier in pool.tiers] == ["low", "mid", "mid_high", "high"]
    assert [tier.primary.id for tier in pool.tiers] == [
        "deepseek/deepseek-v3.2", "minimax/minimax-m2.7", "google/gemini-3-flash-preview", "anthropic/claude-opus-4.6"]
    opus = pool.tiers[3].primary
    assert (opus.price.input, opus.price.cache_read, opus.price.cache_write, opus.price.output) == (5.0, 0.5, 6.25, 25.0)
    assert opus.price_source == "config"
    pool_ids = {entry["model_id"] for entry in locked_file("model_pool.json")["pool"]}
    assert pool_ids == {tier.primary.id for tier in pool.tiers}
    assert ttl_seconds() == 300
    assert published_bank() == ("https://huggingface.co/datasets/Amorph/TwinRouterBench", "data/question_bank.jsonl")


def test_live_context_carries_what_the_dynamic_harness_gives_a_router():
    router, contexts = run_three_calls()
    first, second, last = contexts[0], contexts[1], contexts[3]
    assert first.run_id == "django__django-11133"                 # instance id
    assert [context.step for context in contexts] == [0, 1, 2, 3]  # 0-based step
    assert second.messages == FIX + [{"role": "user", "content": "turn 0"}]  # full messages
    assert first.task == TASK                                      # run config
    assert first.spent_usd == 0.0
    assert second.spent_usd == pytest.approx(HAND_USD[0])          # spend so far, four buckets at locked prices
    assert last.spent_usd == pytest.approx(sum(HAND_USD))
    assert router.pool.size == 4                                   # the pool is the Router's (not in StepContext)
    assert set(last.model_last_used) == {"deepseek/deepseek-v3.2", "anthropic/claude-opus-4.6",
                                         "google/gemini-3-flash-preview"}


def test_cache_state_follows_the_300_second_ttl():
    router, contexts = run_three_calls()
    assert all(not state.warm and state.last_used is None for state in cache_state(contexts[0], router.pool, now=time.time()).values())
    last = contexts[3]
    opus_used = last.model_last_used["anthropic/claude-opus-4.6"]
    at_limit = cache_state(last, router.pool, now=opus_used + 300)["anthropic/claude-opus-4.6"]
    assert at_limit.warm and at_limit.age_s == pytest.approx(300)
    expired = cache_state(last, router.pool, now=opus_used + 300.5)["anthropic/claude-opus-4.6"]
    assert not expired.warm
    never = cache_state(last, router.pool, now=opus_used)["minimax/minimax-m2.7"]
    assert never == never.model_copy(update={"last_used": None, "age_s": None, "warm": False})
    assert cache_state(last, router.pool, now=opus_used + 50, ttl=30)["anthropic/claude-opus-4.6"].warm is False


def test_a_saved_trace_reprices_at_the_locked_prices(tmp_path):
    store = TraceStore(tmp_path / "runs.sqlite")
    store.start_run(RunInfo(run_id=TASK["instance_id"], created=time.time(), cap_usd=3.0, pool="twin", policy="scripted"))
    router, _ = run_three_calls(store)
    billed = [record for record in router.records if record.outcome == "ok"]
    assert [(r.prompt_tokens, r.cache_read_tokens, r.cache_write_tokens, r.completion_tokens) for r in billed] == [
        (1000, 0, 1000, 200), (1200, 800, 400, 100), (500, 0, 0, 50)]
    assert reprice(router.records, locked_pricing()) == pytest.approx(sum(HAND_USD), rel=1e-12)
    assert sum(record.cost_nanos for record in billed) == pytest.approx(sum(HAND_USD) * 1e9, abs=3)  # the ledger agrees
    path = tmp_path / "trace.jsonl"
    assert store.export_jsonl(TASK["instance_id"], path) == 3
    assert reprice(load_trace_jsonl(path), locked_pricing()) == pytest.approx(sum(HAND_USD), rel=1e-12)
    doubled = {model: price.model_copy(update={"output": price.output * 2}) for model, price in locked_pricing().items()}
    extra_output = (200 * 0.378 + 100 * 25 + 50 * 3.0) / 1e6
    assert reprice(router.records, doubled) == pytest.approx(sum(HAND_USD) + extra_output, rel=1e-12)


def test_repricing_skips_unbilled_attempts_and_refuses_missing_usage(tmp_path):
    base = dict(run_id="r", step=0, model="deepseek/deepseek-v3.2", tier=0)
    skipped = [TraceRecord(**base, outcome="error", error="503"), TraceRecord(**base, outcome="retry"),
               TraceRecord(run_id="r", step=0, kind="reroute", outcome="ok")]
    assert reprice(skipped, locked_pricing()) == 0.0
    with pytest.raises(AgentRouteError, match="step 0 attempt 0: the provider reported no usage"):
        reprice([TraceRecord(**base, outcome="ok_usage_missing")], locked_pricing())
    with pytest.raises(AgentRouteError, match="model 'gpt-4o' has no locked price"):
        reprice([TraceRecord(run_id="r", step=0, model="gpt-4o", outcome="ok", prompt_tokens=1)], locked_pricing())
    broken = tmp_path / "trace.jsonl"
    broken.write_text(json.dumps(TraceRecord(**base).model_dump()) + "\n{nope\n")
    with pytest.raises(AgentRouteError, match=r"trace.jsonl line 2: not a trace record"):
        load_trace_jsonl(broken)
