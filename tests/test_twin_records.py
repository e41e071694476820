"""The question-bank loader: valid rows load as published, every problem names its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentroute.errors import AgentRouteError
from agentroute.twin.records import BankError, load_bank, parse_bank

BANK = Path(__file__).parent / "data" / "twin_bank.jsonl"


def row(id_: str = "r1", **fields) -> dict:
    base = {"id": id_, "benchmark": "swebench", "messages": [{"role": "user", "content": "hi"}], "target_tier_id": 0}
    base.update(fields)
    return base


def jsonl(*rows: dict) -> str:
    return "".join(json.dumps(item) + "\n" for item in rows)


def error_of(text: str) -> str:
    with pytest.raises(BankError) as raised:
        parse_bank(text, "bank.jsonl")
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_the_fixture_bank_loads_with_its_trajectories():
    bank = load_bank(BANK)
    assert len(bank.rows) == 13
    assert bank.benchmarks == {"swebench": 7, "bfcl": 2, "mtrag": 3, "qmsum": 1}
    assert [len(trajectory) for trajectory in bank.trajectories] == [5, 2, 1, 1, 3, 1]
    by_id = {item.id: item for item in bank.rows}
    assert by_id["bfcl_1"].gold == 1  # target_tier only
    assert by_id["bfcl_2"].gold == 0  # target_tier_id only
    assert by_id["qmsum_3"].trajectory == "qmsum_3"  # no instance_id: its own trajectory
    assert by_id["bfcl_2"].tools[0] == {"type": "function", "function": by_id["bfcl_2"].functions[0].model_dump(exclude_unset=True)}
    assert by_id["bfcl_1"].tools[0]["function"]["name"] == "get_weather"
    assert by_id["swebench_demo__b_step_2"].chat[3]["cache_control"] == {"type": "ephemeral"}  # kept as written
    assert by_id["swebench_demo__a_step_2"].chat[2]["tool_calls"][0]["function"]["name"] == "bash"


def test_bank_error_is_an_agentroute_error():
    assert issubclass(BankError, AgentRouteError)


def test_tier_name_and_id_must_agree():
    message = error_of(jsonl(row(target_tier="mid", target_tier_id=2)))
    assert message == "bank.jsonl line 1: row 'r1': target_tier 'mid' does not match target_tier_id 2 (mid_high)"


def test_a_row_needs_a_gold_tier():
    bad = row()
    del bad["target_tier_id"]
    assert "line 1: row 'r1': target_tier or target_tier_id is required" in error_of(jsonl(bad))


def test_unknown_tier_name_and_out_of_range_id():
    assert "line 2: row 'r2': target_tier:" in error_of(jsonl(row(), row("r2", target_tier="huge", target_tier_id=None)))
    assert "target_tier_id: Input should be less than or equal to 3" in error_of(jsonl(row(target_tier_id=4)))


def test_malformed_messages_are_reported_with_their_place():
    assert "messages.0.role" in error_of(jsonl(row(messages=[{"role": "robot", "content": "x"}])))
    assert "a user message cannot carry tool_calls" in error_of(
        jsonl(row(messages=[{"role": "user", "content": "x", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}]))
    )
    assert "a message needs content or tool_calls" in error_of(jsonl(row(messages=[{"role": "assistant", "content": None}])))
    assert "a tool message needs the tool_call_id it answers" in error_of(jsonl(row(messages=[{"role": "tool", "content": "ok"}])))
    assert "messages: List should have at least 1 item" in error_of(jsonl(row(messages=[])))
    assert "messages.0.tool_calls.0.function.name" in error_of(
        jsonl(row(messages=[{"role": "assistant", "tool_calls": [{"function": {"arguments": "{}"}}]}]))
    )


def test_bad_json_and_non_objects_name_the_line():
    text = jsonl(row("r1")) + "{not json\n" + jsonl(row("r3"))
    message = error_of(text)
    assert message.startswith("bank.jsonl line 2: not valid JSON:")
    assert "truncated" not in message
    assert error_of(jsonl(row()) + "[1, 2]\n") == "bank.jsonl line 2: expected a JSON object, got list"


def test_a_truncated_last_line_says_so():
    text = jsonl(row("r1")) + json.dumps(row("r2"))[:40]
    message = error_of(text)
    assert message.startswith("bank.jsonl line 2: not valid JSON:") and message.endswith("(file truncated?)")


def test_every_problem_is_counted_none_dropped():
    text = jsonl(row("r1", target_tier="low", target_tier_id=1), row("r2"), row("r3", target_tier_id=9)) + "oops\n"
    assert error_of(text).endswith("(and 2 more problems: line 3, 4)")


def test_steps_must_run_one_to_total_in_order():
    def step(i: int, total: int = 3, instance: str = "t") -> dict:
        return row(f"t{i}", instance_id=instance, step_index=i, total_steps=total)

    assert "line 1: trajectory 't' has 2 of 3 steps; missing step 2" in error_of(jsonl(step(1), step(3)))
    assert "line 1: trajectory 't' has 2 of 3 steps; missing step 3" in error_of(jsonl(step(1), step(2)))
    out_of_order = error_of(jsonl(step(1), step(3), step(2)))
    assert "line 3: trajectory 't' step 2 comes after step 3 (line 2); steps must be in order" in out_of_order
    repeated = error_of(jsonl(step(1, total=2), {**step(1, total=2), "id": "again"}, step(2, total=2)))
    assert repeated == "bank.jsonl line 2: trajectory 't' repeats step 1 (line 1)"
    assert error_of(jsonl(step(1, total=2), step(2, total=3))) == "bank.jsonl line 2: trajectory 't' says total_steps 3, line 1 says 2"
    assert "step_index 4 is beyond total_steps 3" in error_of(jsonl(step(4)))
    mixed = {**step(2), "benchmark": "bfcl"}
    assert "line 2: trajectory 't' mixes benchmarks 'swebench' and 'bfcl'" in error_of(jsonl(step(1, total=2), {**mixed, "total_steps": 2}))


def test_ids_must_be_unique():
    assert "line 2: duplicate id 'r1' (first on line 1)" in error_of(jsonl(row("r1"), row("r1")))


def test_unreadable_files(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(BankError, match="does not exist"):
        load_bank(missing)
    binary = tmp_path / "bank.jsonl"
    binary.write_bytes(b'{"id": "x"}\n\xff\xfe\x00garbage')
    with pytest.raises(BankError, match=r"not UTF-8 text \(bad byte at offset 12\)"):
        load_bank(binary)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(BankError, match="no rows"):
        load_bank(empty)


def test_blank_lines_and_extra_fields_are_fine():
    bank = parse_bank("\n" + jsonl(row(pipeline_stage="ground_truth_ready", benchmark_version="v4")) + "\n", "b")
    assert bank.lines == (2,)


def test_the_broken_row_is_reported_first_not_its_incomplete_trajectory():
    def step(i: int, **fields) -> dict:
        return row(f"t{i}", instance_id="t", step_index=i, total_steps=2, **fields)

    mismatched = error_of(jsonl(step(1), step(2, target_tier="mid", target_tier_id=0)))
    assert mismatched == "bank.jsonl line 2: row 't2': target_tier 'mid' does not match target_tier_id 0 (low)"
    truncated = error_of(jsonl(step(1)) + json.dumps(step(2))[:30])
    assert truncated.startswith("bank.jsonl line 2: not valid JSON")
    assert truncated.endswith("(file truncated?) (and 1 more problem: line 1)")
