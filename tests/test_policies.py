"""Policies and budget fitting, on step contexts built by the real Router."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentroute.errors import BudgetExhausted, ConfigError
from agentroute.policies import make_policy
from agentroute.policies.base import Decision
from agentroute.policies.budget_aware import BudgetAwarePolicy, TierEvidence
from agentroute.pool import Pool, parse_pool_text, resolve_pool
from agentroute.router import Router
from agentroute.router_settings import RouterSettings

POOL = """
[[tiers]]
name = "low"
models = [{ id = "openai/a", price = { input = 0.1, output = 0.4 } }]
[[tiers]]
name = "mid"
models = [{ id = "openai/b", price = { input = 1, output = 4 } }]
[[tiers]]
name = "high"
models = [{ id = "openai/c", price = { input = 5, output = 25 } }]
"""


@pytest.fixture
def pool() -> Pool:
    return resolve_pool(parse_pool_text(POOL, "p", yaml_syntax=False), "p")


def router(pool: Pool, policy: str = "budget-aware", budget: float = 1.0, **settings: Any) -> Router:
    return Router(pool, make_policy(policy, pool, seed=7), budget_usd=budget, run_id="r",
                  settings=RouterSettings(max_tokens=1000, **settings))


def tool_step(n: int, command: str, output: str) -> list[dict[str, Any]]:
    return [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": str(n), "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": command})}}]},
        {"role": "tool", "tool_call_id": str(n), "content": output},
    ]


ISSUE = [{"role": "user", "content": "The parser drops the last field. Fix it."}]
EXPLORING = ISSUE + tool_step(1, "ls", "parser.py\ntests/\nexit code: 0")
FAILING = EXPLORING + tool_step(2, "pytest -q", "1 failed, 2 passed\nexit code: 1") + tool_step(3, "pytest -q", "1 failed, 2 passed\nexit code: 1")


def test_registry_names(pool: Pool) -> None:
    assert make_policy("always:high", pool).name == "always-high"
    assert make_policy("always:0", pool).name == "always-low"
    assert make_policy("cascade:2", pool).name == "cascade-k2"
    for bad in ("nope", "cascade:x", "always:top", "budget-aware:3"):
        with pytest.raises(ConfigError):
            make_policy(bad, pool)


def test_random_policy_is_seeded(pool: Pool) -> None:
    def tiers(seed: int) -> list[int]:
        policy = make_policy("random", pool, seed=seed)
        context = router(pool).context(ISSUE)
        return [policy.decide(context).tier for _ in range(30)]

    assert tiers(1) == tiers(1)
    assert tiers(1) != tiers(2)
    assert set(tiers(1)) == {0, 1, 2}


def test_cascade_escalates_after_patience_and_never_descends(pool: Pool) -> None:
    policy = make_policy("cascade:2", pool)
    r = router(pool)
    r.step = 1
    ok = r.context(EXPLORING)
    bad = r.context(FAILING)
    assert policy.decide(ok).tier == 0
    assert policy.decide(bad).tier == 0  # first failure: patience 2 not reached
    assert policy.decide(bad).tier == 1  # second failure escalates
    assert policy.decide(ok).tier == 1   # no coming back down


def test_budget_aware_is_cheap_when_exploring_and_escalates_on_failures(pool: Pool) -> None:
    policy = BudgetAwarePolicy(pool.size)
    r = router(pool, budget=1.0)
    r.step, r.previous_tier, r.previous_outcome = 1, 0, "ok"
    explore = policy.decide(r.context(EXPLORING))
    assert explore.tier == 0 and "phase=explore" in explore.reason
    failing = policy.decide(r.context(FAILING))
    assert failing.tier == 2 and "escalate" in failing.reason


def test_budget_pressure_lowers_the_tier(pool: Pool) -> None:
    policy = BudgetAwarePolicy(pool.size)
    edit_prefix = ISSUE + tool_step(1, "sed -i s/a/b/ parser.py", "exit code: 0") + tool_step(2, "pytest", "1 failed\nexit code: 1")
    rich = router(pool, budget=5.0)
    rich.step = 2
    poor = router(pool, budget=0.02)
    poor.step = 2
    assert policy.decide(rich.context(edit_prefix)).tier > policy.decide(poor.context(edit_prefix)).tier


def test_experience_evidence_moves_the_choice(pool: Pool) -> None:
    class AlwaysLowWorks:
        def estimate(self, context: Any) -> dict[int, TierEvidence]:
            return {0: TierEvidence(successes=50, trials=50)}

        def record(self, *args: Any) -> None: ...

        def finish(self, *args: Any) -> None: ...

    prefix = FAILING
    r = router(pool)
    r.step = 3
    without = BudgetAwarePolicy(pool.size).decide(r.context(prefix))
    with_memory = BudgetAwarePolicy(pool.size, experience=AlwaysLowWorks()).decide(r.context(prefix))
    assert with_memory.tier < without.tier


def test_fit_walks_down_to_the_first_tier_that_fits_whole(pool: Pool) -> None:
    r = router(pool, budget=0.004, min_max_tokens=50)
    plan = r.fit(Decision(tier=2, reason="x"), 100, 1000)
    assert (plan.tier, plan.max_tokens) == (0, 1000)
    assert plan.note == "budget: tier high→low"


def test_fit_shrinks_max_tokens_when_no_tier_fits_whole(pool: Pool) -> None:
    r = router(pool, budget=0.0002, min_max_tokens=50)
    # Reserved prompt: ceil(100 × 1.2) + 64 slack = 184 tokens; on low that is 184 × 0.1 / 1e6 = $0.0000184,
    # leaving (0.0002 − 0.0000184) / (0.4 / 1e6) = 454.0 output tokens.
    plan = r.fit(Decision(tier=2, reason="x"), 100, 1000)
    assert (plan.tier, plan.max_tokens) == (0, 454)
    assert "max_tokens 1000→454" in plan.note


def test_fit_raises_budget_exhausted_when_nothing_fits(pool: Pool) -> None:
    r = router(pool, budget=0.00001, min_max_tokens=50)
    with pytest.raises(BudgetExhausted) as caught:
        r.fit(Decision(tier=1, reason="x"), 100, 1000)
    assert caught.value.cap_usd == 0.00001
