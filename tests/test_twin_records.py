"""The question-bank loader: valid rows load as published, every problem names its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentroute.errors import AgentRouteError
from agentroute.twin.records import BankError, load_bank, parse_bank

BANK = Path(__file__).parent / "data" / "twin_bank.jsonl"
QUIRKS = Path(__file__).parent / "data" / "twin_quirks.jsonl"


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
    assert "messages.0.content" in error_of(jsonl(row(messages=[{"role": "user", "content": 42}])))
    assert "messages.0.role: Field required" in error_of(jsonl(row(messages=[{"content": "x"}])))
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


def step(i: int, total: int = 3, instance: str = "t", **fields) -> dict:
    return row(f"t{i}", instance_id=instance, step_index=i, total_steps=total, **fields)


def test_gaps_and_any_order_load_each_trajectory_sorted_by_step():
    bank = parse_bank(jsonl(step(5, total=6), row("solo"), step(1, total=6), step(3, total=6)), "bank.jsonl")
    assert [[bank.rows[index].step_index for index in trajectory] for trajectory in bank.trajectories] == [[1, 3, 5], [1]]
    assert [bank.rows[index].id for index in bank.trajectories[0]] == ["t1", "t3", "t5"]
    assert [item.id for item in bank.rows] == ["t5", "solo", "t1", "t3"]  # rows stay in file order
    assert bank.lines == (1, 2, 3, 4)
    assert bank.incomplete == ("t",)  # 3 of 6 steps; "solo" is 1 of 1


def test_a_complete_trajectory_in_any_order_is_not_incomplete():
    bank = parse_bank(jsonl(step(2, total=2), step(1, total=2)), "bank.jsonl")
    assert bank.incomplete == ()
    assert [bank.rows[index].step_index for index in bank.trajectories[0]] == [1, 2]


def test_what_still_breaks_a_trajectory():
    repeated = error_of(jsonl(step(1, total=2), {**step(1, total=2), "id": "again"}, step(2, total=2)))
    assert repeated == "bank.jsonl line 2: trajectory 't' repeats step 1 (line 1)"
    unsorted_repeat = error_of(jsonl(step(3), step(1), {**step(3), "id": "again"}))
    assert unsorted_repeat == "bank.jsonl line 3: trajectory 't' repeats step 3 (line 1)"
    assert error_of(jsonl(step(1, total=2), step(2, total=3))) == "bank.jsonl line 2: trajectory 't' says total_steps 3, line 1 says 2"
    assert "step_index 4 is beyond total_steps 3" in error_of(jsonl(step(4)))
    assert "step_index: Input should be greater than or equal to 1" in error_of(jsonl(step(0)))
    mixed = error_of(jsonl(step(2, total=2), step(1, total=2, benchmark="bfcl")))
    assert mixed == "bank.jsonl line 2: trajectory 't' mixes benchmarks 'swebench' and 'bfcl' (line 1)"


def test_the_benchmarks_own_message_spellings_load():
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": ["plain string part", {"type": "text", "text": "a text part"}]},
        {"role": "assistant", "content": None},  # neither content nor tool calls
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function",
                                                               "function": {"name": "bash", "arguments": "{}"}}]},
        {"role": "tool", "name": "bash", "content": "ok"},  # answered by name, no tool_call_id
        {"role": "tool", "content": None},
    ]
    bank = parse_bank(jsonl(row(messages=messages, scenario="coding", notes="x", collected_at="2026")), "b")
    loaded = bank.rows[0]
    assert [message.role for message in loaded.messages] == ["developer", "user", "assistant", "assistant", "tool", "tool"]
    assert loaded.chat[4] == {"role": "tool", "name": "bash", "content": "ok"}
    assert loaded.chat[2] == {"role": "assistant", "content": None}
    from agentroute.twin.records import content_text

    assert content_text(loaded.messages[1].content) == "plain string part\na text part"


def test_the_quirks_fixture_loads():
    bank = load_bank(QUIRKS)
    assert len(bank.rows) == 7 and len(bank.trajectories) == 4
    assert bank.benchmarks == {"swebench": 5, "mtrag": 1, "pinchbench": 1}
    by_key = {bank.rows[trajectory[0]].trajectory: [bank.rows[index].step_index for index in trajectory]
              for trajectory in bank.trajectories}
    assert by_key == {"demo__q": [1, 2, 4], "conv_9": [3], "demo__r": [1, 5], "pinch_1": [1]}
    assert set(bank.incomplete) == {"demo__q", "conv_9", "demo__r"}
    raw = [json.loads(line) for line in QUIRKS.read_text().splitlines()]
    tool_messages = [message for item in raw for message in item["messages"] if message["role"] == "tool"]
    assert tool_messages and all("name" in message and "tool_call_id" not in message for message in tool_messages)
    assert any(message["role"] == "developer" for item in raw for message in item["messages"])
    assert any(message.get("content") is None and not message.get("tool_calls")
               for item in raw for message in item["messages"])
    assert all("scenario" in item and "notes" in item for item in raw)


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


def test_problems_are_listed_in_line_order():
    def step2(i: int, **fields) -> dict:
        return row(f"t{i}", instance_id="t", step_index=i, total_steps=2, **fields)

    mismatched = error_of(jsonl(step2(1), step2(2, target_tier="mid", target_tier_id=0)))
    assert mismatched == "bank.jsonl line 2: row 't2': target_tier 'mid' does not match target_tier_id 0 (low)"
    truncated = error_of(jsonl(step2(1)) + json.dumps(step2(2))[:30])
    assert truncated.startswith("bank.jsonl line 2: not valid JSON") and truncated.endswith("(file truncated?)")
    both = error_of(jsonl(row("r1"), row("r1"), row("r3", target_tier_id=7)))
    assert both.startswith("bank.jsonl line 2: duplicate id 'r1' (first on line 1) (and 1 more problem: line 3)")
