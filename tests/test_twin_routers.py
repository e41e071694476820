"""Routers on the static track: the policy adapter sees the live StepContext, the peers, saved predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentroute.policies.base import Decision
from agentroute.router import Router
from agentroute.twin.adapters import FunctionRouter, PolicyRouter, route_bank, tokens_by_id
from agentroute.twin.baselines import ComplexityRouterPeer, NearestNeighbourUpperBound, baselines
from agentroute.twin.locked import twin_pool
from agentroute.twin.predictions import PredictionsError, load_predictions
from agentroute.twin.records import load_bank, parse_bank
from agentroute.twin.tokens import count_bank
from agentroute.usage import Usage

BANK = Path(__file__).parent / "data" / "twin_bank.jsonl"


@pytest.fixture(scope="module")
def bank():
    return load_bank(BANK)


@pytest.fixture(scope="module")
def tokens(bank):
    return count_bank(bank)


class Recorder:
    """A policy that always picks one tier and keeps every context it was shown."""

    name = "recorder"

    def __init__(self, tier: int, seen: list) -> None:
        self.tier = tier
        self.seen = seen

    def decide(self, context):
        self.seen.append(context)
        return Decision(tier=self.tier, reason="recorded")

    def observe(self, context, decision, feedback) -> None:
        """Nothing to learn."""

    def finish(self, outcome: str) -> None:
        """Nothing to credit."""


def single_rows(*rows: tuple[str, str, int]) -> str:
    return "".join(
        json.dumps({"id": id_, "benchmark": "demo", "messages": [{"role": "user", "content": text}], "target_tier_id": gold}) + "\n"
        for id_, text, gold in rows
    )


def test_policy_adapter_shows_the_policy_the_live_step_context(bank, tokens):
    seen: list = []
    pool = twin_pool()
    router = PolicyRouter("recorder", lambda: Recorder(0, seen), pool, tokens_by_id(bank, tokens))
    routed = route_bank(router, bank)
    assert routed.picks == [0] * 13 and routed.errors == [None] * 13
    swe_a = seen[:5]
    rows = {row.id: row for row in bank.rows}
    assert [context.run_id for context in swe_a] == ["demo__a"] * 5
    assert [context.step for context in swe_a] == [0, 1, 2, 3, 4]  # 0-based, as the dynamic track counts
    assert [context.messages for context in swe_a] == [rows[f"swebench_demo__a_step_{i}"].chat for i in range(1, 6)]
    assert swe_a[0].task == {"instance_id": "demo__a", "benchmark": "swebench", "max_steps": 250, "budget_usd": 3.0,
                             "wallclock_ttl_sec": 300}
    assert swe_a[0].cap_usd == 3.0 and swe_a[0].spent_usd == 0.0 and swe_a[0].model_last_used == {}
    # step 0 on low (deepseek, locked prices in/cache-read/cache-write/out 0.252/0.0252/0.252/0.378 per 1M):
    # 25 prompt tokens written, 13 output → 25·0.252 + 13·0.378 = 11.214 µ$
    assert swe_a[1].spent_usd == pytest.approx(11.214e-6)
    # step 1: a1's 25 tokens read, 21 written, 14 output → 25·0.0252 + 21·0.252 + 14·0.378 = 11.214 µ$
    assert swe_a[2].spent_usd == pytest.approx(22.428e-6)
    assert swe_a[1].previous_tier == 0 and swe_a[1].previous_outcome == "ok"
    assert set(swe_a[1].model_last_used) == {"deepseek/deepseek-v3.2"}
    assert (swe_a[0].signals.actions, swe_a[4].signals.actions, swe_a[4].signals.edits) == (0, 4, 1)  # from the prefix
    bfcl = next(context for context in seen if context.run_id == "bfcl_1")
    assert bfcl.tools == [{"type": "function", "function": rows["bfcl_1"].functions[0].model_dump(exclude_unset=True)}]
    assert bfcl.step == 0 and bfcl.spent_usd == 0.0  # a new trajectory starts a new run
    # the very context a live Router gives its policy on the same first call
    live_seen: list = []
    live = Router(pool, Recorder(0, live_seen), budget_usd=3.0, run_id="demo__a", task=swe_a[0].task)
    live.call(rows["swebench_demo__a_step_1"].chat, invoke=lambda model, limit: model, usage_of=lambda model: Usage())
    assert live_seen == [swe_a[0]]


def test_policy_adapter_counts_a_budget_stop_as_an_error(bank, tokens):
    router = PolicyRouter.named("always:high", twin_pool(), tokens_by_id(bank, tokens), budget_usd=1e-5)
    routed = route_bank(router, bank)
    assert routed.picks == [None] * 13
    assert "BudgetExhausted: budget exhausted" in routed.errors[0]


def test_budget_aware_policy_routes_every_row(bank, tokens):
    router = PolicyRouter.named("budget-aware", twin_pool(), tokens_by_id(bank, tokens))
    routed = route_bank(router, bank)
    assert routed.errors == [None] * 13
    assert all(pick in (0, 1, 2, 3) for pick in routed.picks)


def test_function_router_results_are_checked(bank):
    returned = iter([7, True, "3", 2] + [0] * 9)
    routed = route_bank(FunctionRouter("odd", lambda row: next(returned)), bank)
    assert routed.errors[0] == "swebench_demo__a_step_1: router returned 7, not a tier id 0..3"
    assert routed.errors[1] == "swebench_demo__a_step_2: router returned True, not a tier id 0..3"
    assert routed.errors[2] == "swebench_demo__a_step_3: router returned '3', not a tier id 0..3"
    assert routed.picks[:4] == [None, None, None, 2]


def test_complexity_peer_reads_the_current_human_ask():
    from litellm.router_strategy.complexity_router.complexity_router import ComplexityRouter

    hard = ("Prove step by step that the algorithm terminates, then implement the distributed consensus protocol "
            "in Python and analyze the tradeoffs of each design.")
    tier, _, _ = ComplexityRouter(model_name="x", litellm_router_instance=None).classify(hard, "You are helpful.")
    assert tier.value == "REASONING"
    rows = [
        {"id": "hard", "messages": [
            {"role": "system", "content": "You are helpful."}, {"role": "user", "content": hard},
            {"role": "assistant", "tool_calls": [{"id": "1", "function": {"name": "bash", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "1", "content": "hi"},  # tool traffic is not the ask
            {"role": "user", "content": "<system-reminder>keep going</system-reminder>"},  # nor a reminder
        ]},
        {"id": "easy", "messages": [{"role": "user", "content": "hi"}]},
        {"id": "no-ask", "messages": [{"role": "system", "content": "Prove the theorem step by step."}]},
    ]
    text = "".join(json.dumps({**row, "benchmark": "demo", "target_tier_id": 0}) + "\n" for row in rows)
    routed = route_bank(ComplexityRouterPeer(), parse_bank(text, "inline"))
    assert routed.picks == [3, 0, 1]  # REASONING → high, SIMPLE → low, no human ask → MEDIUM → mid


def test_nearest_neighbour_takes_the_closest_other_rows_label():
    bank = parse_bank(single_rows(
        ("a", "fix the parser bug in module alpha", 3),
        ("b", "fix the parser bug in module beta", 0),
        ("c", "summarise the weekly meeting notes", 1),
        ("d", "summarise the weekly meeting minutes", 2),
    ), "inline")
    routed = route_bank(NearestNeighbourUpperBound(bank), bank)
    assert routed.picks == [0, 3, 2, 1]  # never its own label
    alone = parse_bank(single_rows(("a", "only row", 2)), "inline")
    routed = route_bank(NearestNeighbourUpperBound(alone), alone)
    assert routed.picks == [None] and "no other row" in routed.errors[0]


def test_baselines_run_together(bank, tokens):
    names = [router.name for router in baselines(bank, tokens, twin_pool(), seed=3)]
    assert names == ["always-low", "always-high", "random", "budget-aware", "litellm-complexity", "1-NN (upper bound)"]
    first = route_bank(baselines(bank, tokens, twin_pool(), seed=3)[2], bank).picks
    again = route_bank(baselines(bank, tokens, twin_pool(), seed=3)[2], bank).picks
    assert first == again  # seeded


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_predictions_replay_and_missing_rows_are_misses(bank, tmp_path):
    path = write(tmp_path, '{"id": "bfcl_1", "tier_id": 1, "note": "extra keys are fine"}', "", '{"id": "qmsum_3", "tier_id": 3}')
    router = load_predictions(path, bank)
    assert router.name == "predictions:predictions.jsonl"
    routed = route_bank(router, bank)
    assert routed.picks.count(None) == 11
    assert routed.picks[7] == 1 and routed.picks[12] == 3
    assert routed.errors[0] == "swebench_demo__a_step_1: PredictionsError: no prediction for this row"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['{"id": "bfcl_1", "tier_id": 1}', "{broken"], "line 2: not valid JSON"),
        (['{"id": "bfcl_1", "tier_id": 4}'], "line 1: tier_id: Input should be less than or equal to 3"),
        (['{"id": "bfcl_1", "tier_id": "2"}'], "line 1: tier_id: Input should be a valid integer"),
        (['{"id": "bfcl_1"}'], "line 1: tier_id: Field required"),
        (['[1, 2]'], "line 1: line: Input should be a valid dictionary"),
        (['{"id": "bfcl_1", "tier_id": 1}', '{"id": "nope", "tier_id": 0}'], "line 2: id 'nope' is not a row of"),
        (['{"id": "bfcl_1", "tier_id": 1}', '{"id": "bfcl_1", "tier_id": 2}'], "line 2: id 'bfcl_1' repeats line 1"),
        ([""], "has no predictions"),
    ],
)
def test_bad_predictions_fail_with_the_line(bank, tmp_path, lines, expected):
    with pytest.raises(PredictionsError) as raised:
        load_predictions(write(tmp_path, *lines), bank)
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)
