"""Randomized, seeded trial of the budget cap against honest and dishonest providers.

Each task is one `Router` (random policy, random cap, a SQLite trace store) making several calls
through `Router.call` to an in-process provider that answers with litellm `ModelResponse`s or
raises litellm's own exceptions. An honest provider bills within the reserve's contract (prompt
tokens near litellm's count, split over the cache buckets; output within max_tokens) and
sometimes fails (429, timeouts, a missing usage). A lying provider over-reports: inflated prompt
or output counts, fake 1M cache writes, negative counts, empty choices, unreadable bodies.

Per provider it reports: tasks, overspends (our ledger above the cap), reported overspends (what
the provider claims, above the cap), overruns flagged, runs stopped by an overrun, untraced
attempts (provider calls without a final trace record), pending records left, leaked reserves,
and ledger/store mismatches (a resume would restore a different spend).

    python benchmarks/budget_trial.py [--honest 2000] [--lying 500] [--calls 6] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from agentroute._litellm import load_litellm
from agentroute.errors import AllModelsFailed, BudgetExhausted, BudgetOverrun
from agentroute.policies import make_policy
from agentroute.pool import Model, Pool, parse_pool_text, resolve_pool
from agentroute.provider_call import reply_usage
from agentroute.router import Router
from agentroute.router_settings import RouterSettings
from agentroute.trace import TraceStore

POOL = """
[[tiers]]
name = "low"
models = [{ id = "openai/tiny", price = { input = 0.5, output = 1.0, cache_read = 0.05 } }]
[[tiers]]
name = "mid"
models = [{ id = "openai/mid-a", price = { input = 2.0, output = 8.0 } }, { id = "openai/mid-b", price = { input = 2.0, output = 8.0 } }]
[[tiers]]
name = "high"
models = [{ id = "openai/big", price = { input = 10.0, output = 40.0, cache_read = 1.0, cache_write = 12.5 } }]
"""
SETTINGS = RouterSettings(max_tokens=2000, min_max_tokens=64, backoff_initial=0, backoff_max=0, attempts_per_model=2)
LIES = ("inflate_prompt", "inflate_output", "cache_write_1m", "negative", "empty_choices", "unreadable", "no_usage")


class Provider:
    """An in-process provider; `lying` is the chance that a reply is dishonest or broken."""

    def __init__(self, rng: random.Random, lying: float) -> None:
        self.rng = rng
        self.lying = lying
        self.calls = 0
        self.litellm = load_litellm()

    def __call__(self, model: Model, max_tokens: int, counted: int) -> Any:
        self.calls += 1
        rng, litellm = self.rng, self.litellm
        roll = rng.random()
        if roll < 0.03:
            raise litellm.RateLimitError("rate limited (trial)", llm_provider="openai", model=model.id)
        if roll < 0.04:
            raise litellm.Timeout("timed out (trial)", model=model.id, llm_provider="openai")
        prompt = int(counted * rng.uniform(0.85, 1.08)) + rng.randint(0, 24)
        cache_read = rng.randint(0, prompt)
        cache_write = rng.randint(0, prompt - cache_read)
        usage: dict[str, Any] | None = {"prompt_tokens": prompt, "completion_tokens": rng.randint(1, max_tokens),
                                        "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write}
        choices = [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]
        if rng.random() < 0.02:
            usage = None
        if rng.random() < self.lying:
            lie = rng.choice(LIES)
            if lie == "inflate_prompt":
                usage = {**(usage or {}), "prompt_tokens": prompt * rng.randint(3, 100), "completion_tokens": 5}
            elif lie == "inflate_output":
                usage = {**(usage or {}), "prompt_tokens": prompt, "completion_tokens": max_tokens * rng.randint(2, 20)}
            elif lie == "cache_write_1m":
                usage = {"prompt_tokens": 10, "completion_tokens": 3, "cache_creation_input_tokens": 1_000_000}
            elif lie == "negative":
                usage = {"prompt_tokens": -prompt, "completion_tokens": 3}
            elif lie == "empty_choices":
                choices = []
            elif lie == "unreadable":
                raise litellm.InternalServerError("Expecting value, Received response - <APIResponse [200 OK]>",
                                                  llm_provider="openai", model=model.id)
            else:
                usage = None
        if usage is None:
            return litellm.ModelResponse(choices=choices, model=model.id)
        return litellm.ModelResponse(choices=choices, model=model.id, usage=usage)


def run_task(run_id: str, pool: Pool, store: TraceStore, provider: Provider, calls: int, rng: random.Random) -> dict[str, Any]:
    """One task: a fresh router, up to `calls` calls; what the ledger, trace and provider saw."""
    router = Router(pool, make_policy("random", pool, seed=rng.randrange(2**32)), budget_usd=rng.uniform(0.001, 0.1), run_id=run_id,
                    store=store, settings=SETTINGS)
    messages = [{"role": "user", "content": "Fix the failing test. " * rng.randint(5, 400)}]
    counted = router.count_prompt_tokens(pool.tiers[0].primary, messages, None)
    before = provider.calls
    stop = "done"
    for _ in range(calls):
        try:
            router.call(messages, lambda model, limit: provider(model, limit, counted), reply_usage)
        except BudgetOverrun:
            stop = "overrun"
            break
        except BudgetExhausted:
            stop = "exhausted"
            break
        except AllModelsFailed:
            stop = "failed"
    records = [record for record in store.records(run_id) if record.kind == "model"]
    attempts = [record for record in records if record.outcome not in ("skipped", "budget_exhausted")]
    reported = sum(record.reported_cost_nanos or record.cost_nanos for record in records)
    return {
        "stop": stop,
        "overspent": router.ledger.spent_nanos > router.ledger.cap_nanos,
        "reported_overspent": reported > router.ledger.cap_nanos,
        "overruns": sum(record.overrun for record in records),
        "untraced": provider.calls - before - len(attempts),
        "pending": sum(record.outcome == "pending" for record in records),
        "leaked": router.ledger.reserved_nanos > 0,
        "store_mismatch": store.spent_nanos(run_id) != router.ledger.spent_nanos,
        "billed_at_reserve": sum(record.cost_nanos == record.reserved_nanos > 0 and not record.overrun for record in attempts),
    }


def trial(name: str, tasks: int, lying: float, calls: int, seed: int, store: TraceStore, pool: Pool) -> dict[str, Any]:
    """Run `tasks` tasks against one provider and total their outcomes."""
    rng = random.Random(seed)
    provider = Provider(random.Random(seed + 1), lying)
    results = [run_task(f"{name}-{index}", pool, store, provider, calls, rng) for index in range(tasks)]
    stops = Counter(result["stop"] for result in results)
    return {
        "provider": name, "tasks": tasks, "provider_calls": provider.calls,
        "overspent_tasks": sum(result["overspent"] for result in results),
        "reported_overspent_tasks": sum(result["reported_overspent"] for result in results),
        "overruns_flagged": sum(result["overruns"] for result in results),
        "stopped_by_overrun": stops["overrun"], "budget_exhausted": stops["exhausted"],
        "untraced_attempts": sum(result["untraced"] for result in results),
        "pending_records_left": sum(result["pending"] for result in results),
        "leaked_reserves": sum(result["leaked"] for result in results),
        "store_ledger_mismatches": sum(result["store_mismatch"] for result in results),
        "attempts_billed_at_reserve": sum(result["billed_at_reserve"] for result in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--honest", type=int, default=2000)
    parser.add_argument("--lying", type=int, default=500)
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pool = resolve_pool(parse_pool_text(POOL, "trial", yaml_syntax=False), "trial")
    started = time.perf_counter()
    shm = Path("/dev/shm")  # a RAM disk where there is one: the trial measures accounting, not fsync
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as directory:
        store = TraceStore(Path(directory) / "trial.sqlite")
        for name, tasks, lying in (("honest", args.honest, 0.0), ("lying", args.lying, 0.3)):
            print(json.dumps(trial(name, tasks, lying, args.calls, args.seed, store, pool)), flush=True)
        store.close()
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
