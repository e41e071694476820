"""The static-track arithmetic, checked against numbers worked out by hand on tests/data/twin_bank.jsonl.

Nothing expected here comes from agentroute: token counts of each message are listed below (and
checked against tiktoken and the bundled Anthropic tokenizer directly), and every prompt, output
estimate, cost and metric is summed from them in this file.
"""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import pytest

from agentroute.twin.adapters import FunctionRouter, route_bank
from agentroute.twin.costs import CacheChain
from agentroute.twin.records import load_bank
from agentroute.twin.scorer import score
from agentroute.twin.tokens import RowTokens, count_bank

BANK = Path(__file__).parent / "data" / "twin_bank.jsonl"

# Billable text of every distinct message and its tokens: (cl100k, anthropic).
TEXTS = {
    "S": "You fix bugs in Python repositories.",
    "U": "Fix the failing test in parser.py.",
    "A1": '\nbash\n{"cmd": "ls"}',  # content "" then the tool call's name and arguments
    "T1": "setup.py src tests",
    "A2": 'bash\n{"cmd": "pytest -q"}',
    "T2": "1 failed, 3 passed",
    "A3": 'The parser drops quotes.\nedit\n{"path": "src/parser.py", "old": "\'", "new": "\\""}',
    "T3": "edited src/parser.py",
    "T4": "4 passed",
    "SB": "You are a careful engineer.",
    "UB": "Run the linter.\nReport errors.",
    "AB": "lint\n{}",
    "TB": "0 errors",
    "F1": "What is the weather in Paris today?",
    "F2S": "Use the tools.",
    "F2U": "Convert 3 km to miles.",
    "SM1": "Passages: The Seine flows through Paris.",
    "Q1": "Which river flows through Paris?",
    "R1": "The Seine.",
    "Q2": "How long is it?",
    "R2": "About 777 km.",
    "Q3": "Where does it end?",
    "SM3": "Passages: The Seine ends at Le Havre.",
    "QS": "Summarise the meeting.",
    "QU": "Alice: ship Friday. Bob: agreed.",
}
CL = {"S": 7, "U": 8, "A1": 9, "T1": 4, "A2": 10, "T2": 6, "A3": 24, "T3": 4, "T4": 2, "SB": 6, "UB": 8, "AB": 3,
      "TB": 2, "F1": 8, "F2S": 4, "F2U": 7, "SM1": 10, "Q1": 6, "R1": 4, "Q2": 5, "R2": 5, "Q3": 5, "SM3": 12,
      "QS": 6, "QU": 9}
AN = {"S": 7, "U": 9, "A1": 9, "T1": 5, "A2": 10, "T2": 5, "A3": 29, "T3": 6, "T4": 2, "SB": 6, "UB": 9, "AB": 3,
      "TB": 2, "F1": 8, "F2S": 4, "F2U": 6, "SM1": 10, "Q1": 6, "R1": 4, "Q2": 5, "R2": 5, "Q3": 5, "SM3": 12,
      "QS": 6, "QU": 9}
CL["A4"], AN["A4"] = CL["A2"], AN["A2"]  # the same command again

# The messages of every row, short names as in the ids.
MESSAGES = {
    "a1": ["S", "U"],
    "a2": ["S", "U", "A1", "T1"],
    "a3": ["S", "U", "A1", "T1", "A2", "T2"],  # system as a list content with cache_control: same turn
    "a4": ["S", "U", "A1", "T1", "A2", "T2", "A3", "T3"],
    "a5": ["S", "U", "A1", "T1", "A2", "T2", "A3", "T3", "A4", "T4"],
    "b1": ["SB", "UB"],
    "b2": ["SB", "UB", "AB", "TB"],
    "f1": ["F1"],
    "f2": ["F2S", "F2U"],
    "m1": ["SM1", "Q1"],
    "m2": ["SM1", "Q1", "R1", "Q2"],
    "m3": ["SM3", "Q1", "R1", "Q2", "R2", "Q3"],  # new passages: the previous row is not a prefix
    "q": ["QS", "QU"],
}
IDS = {"a1": "swebench_demo__a_step_1", "a2": "swebench_demo__a_step_2", "a3": "swebench_demo__a_step_3",
       "a4": "swebench_demo__a_step_4", "a5": "swebench_demo__a_step_5", "b1": "swebench_demo__b_step_1",
       "b2": "swebench_demo__b_step_2", "f1": "bfcl_1", "f2": "bfcl_2", "m1": "mtrag_7_turn_1",
       "m2": "mtrag_7_turn_2", "m3": "mtrag_7_turn_3", "q": "qmsum_3"}
GOLD = {"a1": 3, "a2": 0, "a3": 2, "a4": 0, "a5": 0, "b1": 0, "b2": 3, "f1": 1, "f2": 0, "m1": 0, "m2": 0, "m3": 1,
        "q": 2}
BENCH = {"swebench": ["a1", "a2", "a3", "a4", "a5", "b1", "b2"], "bfcl": ["f1", "f2"], "mtrag": ["m1", "m2", "m3"],
         "qmsum": ["q"]}
N = 13

# Prompt tokens: Σ (tokens + 4) + 2, per tokenizer.
P_CL = {row: sum(CL[m] + 4 for m in names) + 2 for row, names in MESSAGES.items()}
P_AN = {row: sum(AN[m] + 4 for m in names) + 2 for row, names in MESSAGES.items()}

# Output tokens: the next row's new assistant messages (+4), counted with the row's gold tokenizer
# (high = anthropic, others cl100k); last/single rows take the floor mean of positive estimates, else 500.
O = {
    "a1": AN["A1"] + 4,  # gold high
    "a2": CL["A2"] + 4,
    "a3": CL["A3"] + 4,
    "a4": CL["A4"] + 4,
    "b1": CL["AB"] + 4,
    "m1": CL["R1"] + 4,
    "m2": CL["R2"] + 4,  # m3 adds R2 and Q3 after m2's four messages; only R2 is the model's
    "f1": 500, "f2": 500, "q": 500,
}
O["a5"] = (O["a1"] + O["a2"] + O["a3"] + O["a4"]) // 4
O["b2"] = O["b1"]
O["m3"] = (O["m1"] + O["m2"]) // 2

# USD per 1M tokens: (cache_read, cache_write, output) of low, mid, mid_high, high (SPEC.md).
RATES = {0: (0.13, 0.26, 0.5), 1: (0.059, 0.30, 2.0), 2: (0.05, 0.08333, 5.0), 3: (0.50, 6.25, 25.0)}


def usd(tier: int, read: int, write: int, out: int) -> float:
    cache_read, cache_write, output = RATES[tier]
    return (read * cache_read + write * cache_write + out * output) / 1e6


def prompt(row: str, tier: int) -> int:
    return P_AN[row] if tier == 3 else P_CL[row]


def warm(row: str, previous: str, tier: int) -> float:
    """Same tier as the previous row, prefix kept: previous prompt read, the rest written."""
    return usd(tier, prompt(previous, tier), prompt(row, tier) - prompt(previous, tier), O[row])


def cold(row: str, tier: int) -> float:
    """The whole prompt written to the cache."""
    return usd(tier, 0, prompt(row, tier), O[row])


# Always-high path: warm wherever the previous row is a prefix.
HIGH_COST = {
    "a1": cold("a1", 3), "a2": warm("a2", "a1", 3), "a3": warm("a3", "a2", 3), "a4": warm("a4", "a3", 3),
    "a5": warm("a5", "a4", 3), "b1": cold("b1", 3), "b2": warm("b2", "b1", 3), "f1": cold("f1", 3),
    "f2": cold("f2", 3), "m1": cold("m1", 3), "m2": warm("m2", "m1", 3), "m3": cold("m3", 3), "q": cold("q", 3),
}
LOW_COST = {
    "a1": cold("a1", 0), "a2": warm("a2", "a1", 0), "a3": warm("a3", "a2", 0), "a4": warm("a4", "a3", 0),
    "a5": warm("a5", "a4", 0), "b1": cold("b1", 0), "b2": warm("b2", "b1", 0), "f1": cold("f1", 0),
    "f2": cold("f2", 0), "m1": cold("m1", 0), "m2": warm("m2", "m1", 0), "m3": cold("m3", 0), "q": cold("q", 0),
}


@pytest.fixture(scope="module")
def bank():
    return load_bank(BANK)


@pytest.fixture(scope="module")
def tokens(bank):
    return count_bank(bank)


def picks_for(bank, tiers: dict[str, int | None]) -> list[int | None]:
    by_id = {IDS[row]: tier for row, tier in tiers.items()}
    return [by_id[row.id] for row in bank.rows]


def test_message_token_table_matches_the_tokenizers_themselves(monkeypatch):
    tiktoken = pytest.importorskip("tiktoken")
    tokenizers = pytest.importorskip("tokenizers")
    litellm_dir = Path(find_spec("litellm").submodule_search_locations[0])
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(litellm_dir / "litellm_core_utils/tokenizers"))  # offline copy
    anthropic = tokenizers.Tokenizer.from_str((litellm_dir / "litellm_core_utils/tokenizers/anthropic_tokenizer.json").read_text())
    cl100k = tiktoken.get_encoding("cl100k_base")
    for name, text in TEXTS.items():
        assert len(cl100k.encode(text)) == CL[name], name
        assert len(anthropic.encode(text).ids) == AN[name], name


def test_hand_totals_of_the_bank():
    # a few sums written out in full, so the tables above are checked too
    assert P_CL["a1"] == (7 + 4) + (8 + 4) + 2 == 25
    assert P_AN["a5"] == (7 + 4) + (9 + 4) + (9 + 4) + (5 + 4) + (10 + 4) + (5 + 4) + (29 + 4) + (6 + 4) + (10 + 4) + (2 + 4) + 2 == 134
    assert O["a5"] == (13 + 14 + 28 + 14) // 4 == 17
    assert HIGH_COST["a1"] == pytest.approx((26 * 6.25 + 13 * 25) / 1e6)
    assert HIGH_COST["a2"] == pytest.approx((26 * 0.5 + 22 * 6.25 + 14 * 25) / 1e6)
    assert sum(HIGH_COST[row] for row in BENCH["swebench"]) == pytest.approx(3717e-6)
    assert sum(HIGH_COST[row] for row in BENCH["bfcl"]) == pytest.approx(25212.5e-6)
    assert sum(HIGH_COST[row] for row in BENCH["mtrag"]) == pytest.approx(1300.5e-6)
    assert HIGH_COST["q"] == pytest.approx(12656.25e-6)


def test_token_facts_of_every_row(bank, tokens):
    facts = {row.id: fact for row, fact in zip(bank.rows, tokens)}
    order = ["a1", "a2", "a3", "a4", "a5"]
    for row in MESSAGES:
        fact = facts[IDS[row]]
        assert fact.prompt == (P_CL[row], P_CL[row], P_CL[row], P_AN[row]), row
        assert fact.output == O[row], row
    assert facts[IDS["a1"]].previous_prompt is None
    for before, after in zip(order, order[1:]):
        assert facts[IDS[after]].previous_prompt == (P_CL[before],) * 3 + (P_AN[before],)
        assert facts[IDS[after]].extends_previous  # a3 spells the system message as a list with cache_control
    assert facts[IDS["m2"]].extends_previous
    assert not facts[IDS["m3"]].extends_previous


def test_always_high_saves_nothing_and_passes_everything(bank, tokens):
    result = score(bank, tokens, picks_for(bank, {row: 3 for row in GOLD}), "always-high")
    assert result.costsave == 0.0
    assert result.rowpass == 100.0
    assert result.trajpass == 100.0
    assert result.rowexact == pytest.approx(100 * 2 / N)  # a1 and b2 are gold high
    assert result.combined == pytest.approx((100 + 100 * 2 / 13 + 100 + 0) / 4)
    assert result.under_routing == 0.0
    assert result.over_routing == pytest.approx(100 - 100 * 2 / 13)
    assert result.router_usd == pytest.approx(sum(HIGH_COST.values()))
    for benchmark, rows in BENCH.items():
        assert result.by_benchmark[benchmark].always_high_usd == pytest.approx(sum(HIGH_COST[row] for row in rows))
        assert result.by_benchmark[benchmark].costsave == 0.0


def test_always_low_subtracts_every_failing_trajectory(bank, tokens):
    result = score(bank, tokens, picks_for(bank, {row: 0 for row in GOLD}), "always-low")
    # only bfcl_2 (gold low, a one-row trajectory) passes; every other trajectory has a row above low
    saved = {
        "swebench": -sum(LOW_COST[row] for row in BENCH["swebench"]),
        "bfcl": -LOW_COST["f1"] + (HIGH_COST["f2"] - LOW_COST["f2"]),
        "mtrag": -sum(LOW_COST[row] for row in BENCH["mtrag"]),
        "qmsum": -LOW_COST["q"],
    }
    per_benchmark = {b: 100 * saved[b] / sum(HIGH_COST[row] for row in rows) for b, rows in BENCH.items()}
    assert per_benchmark["swebench"] == pytest.approx(100 * -127.61 / 3717)  # worked in micro-dollars
    costsave = sum(len(BENCH[b]) / N * per_benchmark[b] for b in BENCH)
    for benchmark in BENCH:
        assert result.by_benchmark[benchmark].costsave == pytest.approx(per_benchmark[benchmark], rel=1e-12)
        assert result.by_benchmark[benchmark].weight == len(BENCH[benchmark]) / N
    assert result.costsave == pytest.approx(costsave, rel=1e-12)
    assert result.rowpass == pytest.approx(100 * 7 / N)  # a2 a4 a5 b1 f2 m1 m2
    assert result.rowexact == pytest.approx(100 * 7 / N)
    assert result.trajpass == pytest.approx(100 * 1 / N)
    assert result.passed_trajectories == 1
    assert result.by_benchmark["swebench"].failed_trajectories == 2


MIXED = {"a1": 3, "a2": 3, "a3": 2, "a4": 2, "a5": 0, "b1": 0, "b2": 3, "f1": 1, "f2": None, "m1": 0, "m2": 0,
         "m3": 0, "q": 3}


def test_a_mixed_router_with_switches_reads_and_an_error(bank, tokens):
    result = score(bank, tokens, picks_for(bank, MIXED), "mixed", ["boom" if t is None else None for t in picks_for(bank, MIXED)])
    paid = {
        "a1": cold("a1", 3),          # first row: written
        "a2": warm("a2", "a1", 3),    # same tier, prefix: read a1's prompt
        "a3": cold("a3", 2),          # switch high → mid_high: written again
        "a4": warm("a4", "a3", 2),
        "a5": cold("a5", 0),          # switch → low
        "b1": cold("b1", 0),
        "b2": cold("b2", 3),          # switch low → high
        "f1": cold("f1", 1),
        "m1": cold("m1", 0),
        "m2": warm("m2", "m1", 0),
        "m3": cold("m3", 0),          # same tier but the passages changed: written
        "q": cold("q", 3),
    }
    assert paid["a3"] == pytest.approx((70 * 0.08333 + 28 * 5.0) / 1e6)
    assert paid["a4"] == pytest.approx((70 * 0.05 + 36 * 0.08333 + 14 * 5.0) / 1e6)
    # passing: demo__a (5 rows), demo__b, bfcl_1, qmsum_3; failing: bfcl_2 (errored), mtrag_7 (m3 under-routed)
    saved = {
        "swebench": sum(HIGH_COST[row] - paid[row] for row in BENCH["swebench"]),
        "bfcl": HIGH_COST["f1"] - paid["f1"],  # the errored row is out of D and S
        "mtrag": -(paid["m1"] + paid["m2"] + paid["m3"]),
        "qmsum": HIGH_COST["q"] - paid["q"],
    }
    denominator = {
        "swebench": sum(HIGH_COST[row] for row in BENCH["swebench"]),
        "bfcl": HIGH_COST["f1"],
        "mtrag": sum(HIGH_COST[row] for row in BENCH["mtrag"]),
        "qmsum": HIGH_COST["q"],
    }
    per_benchmark = {b: 100 * saved[b] / denominator[b] for b in BENCH}
    assert per_benchmark["bfcl"] == pytest.approx(100 * (12587.5 - 1004.2) / 12587.5)
    costsave = sum(len(BENCH[b]) / N * per_benchmark[b] for b in BENCH)
    rowpass, rowexact, trajpass = 100 * 11 / N, 100 * 8 / N, 100 * (5 + 2 + 1 + 1) / N
    assert result.rowpass == pytest.approx(rowpass)
    assert result.rowexact == pytest.approx(rowexact)
    assert result.trajpass == pytest.approx(trajpass)
    assert result.costsave == pytest.approx(costsave, rel=1e-12)
    assert result.combined == pytest.approx((rowpass + rowexact + trajpass + costsave) / 4, rel=1e-12)
    assert result.over_routing == pytest.approx(rowpass - rowexact)
    assert result.errors == 1 and result.first_error == "boom"
    assert result.router_usd == pytest.approx(sum(paid.values()))
    for benchmark in BENCH:
        assert result.by_benchmark[benchmark].costsave == pytest.approx(per_benchmark[benchmark], rel=1e-12)
        assert result.by_benchmark[benchmark].always_high_usd == pytest.approx(denominator[benchmark])
    assert result.by_benchmark["bfcl"].errors == 1
    assert result.by_benchmark["mtrag"].trajpass == 0.0
    assert result.by_benchmark["swebench"].trajpass == 100.0
    assert result.tier_counts == {"low": 5, "mid": 1, "mid_high": 2, "high": 4}


def failing_on(rows: set[str]) -> FunctionRouter:
    failing = {IDS[row] for row in rows}

    def route(row) -> int:
        if row.id in failing:
            raise RuntimeError("router down")
        return 3

    return FunctionRouter("always-high-with-outages", route)


def test_cache_expires_when_the_tier_was_last_billed_more_than_three_steps_ago(bank, tokens):
    routed = route_bank(failing_on({"a2", "a3", "a4"}), bank)
    assert routed.errors[1].startswith("swebench_demo__a_step_2: RuntimeError: router down")
    result = score(bank, tokens, routed.picks, routed.router, routed.errors)
    # a5 on the always-high path: high was last billed at step 1, 5 − 1 = 4 > 3 steps: all written
    a5 = usd(3, 0, P_AN["a5"], O["a5"])
    assert a5 == pytest.approx((134 * 6.25 + 17 * 25) / 1e6)
    denominator = HIGH_COST["a1"] + a5 + HIGH_COST["b1"] + HIGH_COST["b2"]
    assert result.by_benchmark["swebench"].always_high_usd == pytest.approx(denominator)
    # demo__a failed (errors), so its two scored rows cost the router; demo__b passed at always-high cost
    assert result.by_benchmark["swebench"].saved_usd == pytest.approx(-(HIGH_COST["a1"] + a5))
    assert result.errors == 3 and result.rowpass == pytest.approx(100 * 10 / N)


def test_cache_still_warm_exactly_three_steps_later(bank, tokens):
    routed = route_bank(failing_on({"a2", "a3"}), bank)
    result = score(bank, tokens, routed.picks, routed.router, routed.errors)
    # a4 on the always-high path: last billed at step 1, 4 − 1 = 3: still warm, reads a3's prompt
    a4 = usd(3, P_AN["a3"], P_AN["a4"] - P_AN["a3"], O["a4"])
    assert a4 == pytest.approx((71 * 0.5 + 43 * 6.25 + 14 * 25) / 1e6)
    denominator = HIGH_COST["a1"] + a4 + HIGH_COST["a5"] + HIGH_COST["b1"] + HIGH_COST["b2"]
    assert result.by_benchmark["swebench"].always_high_usd == pytest.approx(denominator)


def test_cache_chain_rules_one_by_one():
    def facts(step, total, previous=None, extends=True, output=10):
        return RowTokens(step=step, prompt=(total,) * 4, previous_prompt=None if previous is None else (previous,) * 4,
                         extends_previous=extends, output=output)

    chain = CacheChain()
    first = chain.bill(facts(1, 100), 3, None)
    assert (first.cache_read_tokens, first.cache_write_tokens, first.plain_input_tokens) == (0, 100, 0)
    same = chain.bill(facts(2, 130, previous=100), 3, 3)
    assert (same.cache_read_tokens, same.cache_write_tokens, same.completion_tokens) == (100, 30, 10)
    switched = chain.bill(facts(3, 150, previous=130), 1, 3)
    assert (switched.cache_read_tokens, switched.cache_write_tokens) == (0, 150)
    back = chain.bill(facts(4, 170, previous=150), 3, 1)  # back on high after one step away: still a switch
    assert (back.cache_read_tokens, back.cache_write_tokens) == (0, 170)
    not_prefix = chain.bill(facts(5, 60, previous=170, extends=False), 3, 3)
    assert (not_prefix.cache_read_tokens, not_prefix.cache_write_tokens) == (0, 60)
    expired = CacheChain()
    expired.bill(facts(1, 100), 2, None)
    late = expired.bill(facts(5, 140, previous=120), 2, 2)  # the rows between were not billed on this path
    assert (late.cache_read_tokens, late.cache_write_tokens) == (0, 140)
    on_time = CacheChain()
    on_time.bill(facts(1, 100), 2, None)
    warm_again = on_time.bill(facts(4, 140, previous=120), 2, 2)
    assert (warm_again.cache_read_tokens, warm_again.cache_write_tokens) == (120, 20)


def test_static_costs_are_the_live_usage_buckets(bank, tokens):
    from agentroute.pool import Price

    # the cost model's buckets priced by the core Usage at the same rates give the same dollars
    high = Price(input=5.0, cache_read=0.5, cache_write=6.25, output=25.0)
    chain = CacheChain()
    order = [IDS[row] for row in ("a1", "a2", "a3", "a4", "a5")]
    facts = {row.id: fact for row, fact in zip(bank.rows, tokens)}
    previous = None
    for row_id, expected in zip(order, ("a1", "a2", "a3", "a4", "a5")):
        usage = chain.bill(facts[row_id], 3, previous)
        previous = 3
        assert usage.cost_nanos(high) == pytest.approx(HIGH_COST[expected] * 1e9, abs=1)


def test_the_fixture_bank_is_what_the_tables_describe():
    rows = [json.loads(line) for line in BANK.read_text().splitlines()]
    assert [row["id"] for row in rows] == list(IDS.values())
    assert [len(row["messages"]) for row in rows] == [len(MESSAGES[name]) for name in IDS]


def test_output_estimates_floor_the_mean_of_positive_estimates():
    from agentroute.twin.records import parse_bank

    user = {"role": "user", "content": "start"}
    ok = {"role": "assistant", "content": "ok"}          # 1 token
    nxt = {"role": "user", "content": "next"}
    more = {"role": "user", "content": "more"}
    done = {"role": "assistant", "content": "yes done"}  # 2 tokens
    steps = [[user], [user, ok, nxt], [user, ok, nxt, more], [user, ok, nxt, more, done, nxt]]
    text = "".join(
        json.dumps({"id": f"t{i}", "benchmark": "demo", "instance_id": "t", "step_index": i, "total_steps": 4,
                    "messages": messages, "target_tier_id": 0}) + "\n"
        for i, messages in enumerate(steps, 1)
    )
    tokens = count_bank(parse_bank(text, "inline"))
    # step 1: "ok" + 4 = 5; step 2: the next row adds only a user turn = 0 (kept, not averaged);
    # step 3: "yes done" + 4 = 6; step 4 (last): floor((5 + 6) / 2) = 5
    assert [fact.output for fact in tokens] == [5, 0, 6, 5]


# tests/data/twin_quirks.jsonl: the real file's quirks (rows unsorted, steps missing, tool messages
# answered by `name`, `content: null`, role developer, extra fields). Token tables as above:
# (cl100k, anthropic) per distinct billable text, checked against the tokenizers themselves.
QUIRKS = Path(__file__).parent / "data" / "twin_quirks.jsonl"
Q_TEXTS = {
    "S": ("You fix bugs in Python repositories.", 7, 7),
    "U": ("Fix the failing test in parser.py.", 8, 9),
    "A1": ('bash\n{"cmd": "ls"}', 8, 8),  # content null: only the tool call
    "T1": ("setup.py src tests", 4, 5),
    "A2": ('bash\n{"cmd": "pytest -q"}', 10, 10),
    "T2": ("1 failed, 3 passed", 6, 5),
    "A3": ("", 0, 0),  # content null, no tool calls: the per-message 4 only
    "U2": ("Go on.", 3, 3),
    "SM": ("Passages: The Seine flows through Paris.", 10, 10),
    "Q1": ("Which river flows through Paris?", 6, 6),
    "R1": ("The Seine.", 4, 4),
    "Q2": ("How long is it?", 5, 5),
    "SB": ("You are a careful engineer.", 6, 6),
    "UB": ("Run the linter.\nReport errors.", 8, 9),
    "AB": ("\nlint\n{}", 4, 4),
    "TB": ("2 errors", 2, 2),
    "AB2": ('Fixing both.\nedit\n{"path": "a.py"}', 13, 15),  # arguments given as an object
    "TB2": ("edited a.py", 3, 4),
    "D": ("You are terse.", 4, 5),
    "UP": ("List the files.", 4, 4),
}
Q_MESSAGES = {
    "q1": ["S", "U"], "q2": ["S", "U", "A1", "T1"], "q4": ["S", "U", "A1", "T1", "A2", "T2", "A3", "U2"],
    "r1": ["SB", "UB"], "r5": ["SB", "UB", "AB", "TB", "AB2", "TB2"], "m3": ["SM", "Q1", "R1", "Q2"], "p1": ["D", "UP"],
}
Q_IDS = {"q1": "swebench_demo__q_step_1", "q2": "swebench_demo__q_step_2", "q4": "swebench_demo__q_step_4",
         "r1": "swebench_demo__r_step_1", "r5": "swebench_demo__r_step_5", "m3": "mtrag_9_turn_3", "p1": "pinch_1"}
Q_GOLD = {"q1": 3, "q2": 0, "q4": 2, "r1": 0, "r5": 3, "m3": 0, "p1": 1}
Q_P_CL = {row: sum(Q_TEXTS[m][1] + 4 for m in names) + 2 for row, names in Q_MESSAGES.items()}
Q_P_AN = {row: sum(Q_TEXTS[m][2] + 4 for m in names) + 2 for row, names in Q_MESSAGES.items()}
# Output tokens: the assistant messages the next PRESENT row adds (the published scorer's choice), with the
# row's gold tokenizer. q2's next present row is step 4, so its estimate spans the missing step 3 (A2 and A3).
Q_O = {"q1": Q_TEXTS["A1"][2] + 4, "q2": (Q_TEXTS["A2"][1] + 4) + (Q_TEXTS["A3"][1] + 4),
       "r1": (Q_TEXTS["AB"][1] + 4) + (Q_TEXTS["AB2"][1] + 4), "m3": 500, "p1": 500}
Q_O["q4"] = (Q_O["q1"] + Q_O["q2"]) // 2
Q_O["r5"] = Q_O["r1"]


def test_quirks_token_table_matches_the_tokenizers_themselves(monkeypatch):
    tiktoken = pytest.importorskip("tiktoken")
    tokenizers = pytest.importorskip("tokenizers")
    litellm_dir = Path(find_spec("litellm").submodule_search_locations[0])
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(litellm_dir / "litellm_core_utils/tokenizers"))
    anthropic = tokenizers.Tokenizer.from_str((litellm_dir / "litellm_core_utils/tokenizers/anthropic_tokenizer.json").read_text())
    cl100k = tiktoken.get_encoding("cl100k_base")
    for name, (text, cl, an) in Q_TEXTS.items():
        assert len(cl100k.encode(text)) == cl, name
        assert len(anthropic.encode(text).ids) == an, name


def test_quirks_hand_totals():
    assert (Q_P_CL["q4"], Q_P_AN["q4"]) == (80, 81)
    assert (Q_P_CL["r5"], Q_P_AN["r5"]) == (62, 66)
    assert Q_O == {"q1": 12, "q2": 18, "q4": 15, "r1": 25, "r5": 25, "m3": 500, "p1": 500}


@pytest.fixture(scope="module")
def quirks():
    bank = load_bank(QUIRKS)
    return bank, count_bank(bank)


def test_quirks_token_facts_follow_the_rows_present(quirks):
    bank, tokens = quirks
    facts = {row.id: fact for row, fact in zip(bank.rows, tokens)}
    for name, row_id in Q_IDS.items():
        fact = facts[row_id]
        assert fact.prompt == (Q_P_CL[name],) * 3 + (Q_P_AN[name],), name
        assert fact.output == Q_O[name], name
    q4, r5 = facts[Q_IDS["q4"]], facts[Q_IDS["r5"]]
    assert (q4.step, q4.previous_prompt, q4.extends_previous) == (4, (Q_P_CL["q2"],) * 3 + (Q_P_AN["q2"],), True)
    assert (r5.step, r5.previous_prompt, r5.extends_previous) == (5, (Q_P_CL["r1"],) * 3 + (Q_P_AN["r1"],), True)
    assert facts[Q_IDS["q1"]].previous_prompt is None and facts[Q_IDS["m3"]].previous_prompt is None


def test_quirks_score_over_the_rows_present(quirks):
    bank, tokens = quirks
    picks = {"q1": 3, "q2": 3, "q4": 2, "r1": 0, "r5": 2, "m3": 0, "p1": 1}  # r5 under-routed: demo__r fails
    by_id = {Q_IDS[name]: tier for name, tier in picks.items()}
    result = score(bank, tokens, [by_id[row.id] for row in bank.rows], "mixed")
    # always-high path, micro-dollars: q1 cold, q2 reads q1, q4 reads q2 (4 − 2 = 2 steps: warm),
    # r1 cold, r5 cold: high last billed at step 1, 5 − 1 = 4 > 3 steps (the missing steps count)
    high = {"q1": 26 * 6.25 + 12 * 25, "q2": 26 * 0.5 + 21 * 6.25 + 18 * 25, "q4": 47 * 0.5 + 34 * 6.25 + 15 * 25,
            "r1": 25 * 6.25 + 25 * 25, "r5": 66 * 6.25 + 25 * 25, "m3": 43 * 6.25 + 500 * 25, "p1": 19 * 6.25 + 500 * 25}
    assert sum(high[name] for name in ("q1", "q2", "q4", "r1", "r5")) == pytest.approx(3486.5)
    paid = {"q1": high["q1"], "q2": high["q2"], "q4": 80 * 0.08333 + 15 * 5.0, "r1": 24 * 0.26 + 25 * 0.5,
            "r5": 62 * 0.08333 + 25 * 5.0, "m3": 43 * 0.26 + 500 * 0.5, "p1": 18 * 0.30 + 500 * 2.0}
    swe = 100 * ((high["q4"] - paid["q4"]) - (paid["r1"] + paid["r5"])) / 3486.5
    mtrag = 100 * (high["m3"] - paid["m3"]) / high["m3"]
    pinch = 100 * (high["p1"] - paid["p1"]) / high["p1"]
    assert result.rowpass == pytest.approx(100 * 6 / 7)
    assert result.rowexact == pytest.approx(100 * 5 / 7)  # q2 and r5 differ from gold
    assert result.trajpass == pytest.approx(100 * 5 / 7)  # demo__q (3 rows), conv_9, pinch_1
    assert (result.trajectories, result.passed_trajectories) == (4, 3)
    assert result.by_benchmark["swebench"].costsave == pytest.approx(swe, rel=1e-9)
    assert result.by_benchmark["swebench"].always_high_usd == pytest.approx(3486.5e-6)
    assert result.costsave == pytest.approx(5 / 7 * swe + 1 / 7 * mtrag + 1 / 7 * pinch, rel=1e-9)
    assert result.router_usd == pytest.approx(sum(paid.values()) / 1e6)
