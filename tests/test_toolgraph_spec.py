"""Spec and scenario validation: each malformed input is one clear ConfigError line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agentroute.errors import ConfigError
from agentroute.toolgraph.scenarios import load_family, load_suite
from agentroute.toolgraph.spec import load_spec, parse_spec

TOOLS = Path(__file__).resolve().parents[1] / "tools"

GOOD = {
    "name": "mini",
    "states": ["a", "b", "c"],
    "start": "a",
    "goal": "c",
    "tools": [
        {"name": "ab", "from": "a", "to": "b", "cost_usd": 0.001},
        {"name": "bc", "from": "b", "to": "c", "cost_usd": 0.001},
    ],
}


def error_for(change: dict) -> str:
    raw = json.loads(json.dumps(GOOD)) | change
    with pytest.raises(ConfigError) as caught:
        parse_spec(yaml.safe_dump(raw), "spec.yaml")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("spec.yaml: ")
    return message


def test_a_good_spec_parses_from_yaml_and_json() -> None:
    assert parse_spec(yaml.safe_dump(GOOD), "x.yaml").goal == "c"
    assert parse_spec(json.dumps(GOOD), "x.json", json_syntax=True).tools[1].name == "bc"


def test_unknown_node() -> None:
    message = error_for({"tools": [*GOOD["tools"], {"name": "bz", "from": "b", "to": "zz"}]})
    assert "tool 'bz': unknown node 'zz'" in message
    assert "goal: unknown node 'q'" in error_for({"goal": "q"})


def test_negative_cost_names_the_tool() -> None:
    message = error_for({"tools": [GOOD["tools"][0], {"name": "bc", "from": "b", "to": "c", "cost_usd": -1}]})
    assert "tool 'bc'.cost_usd" in message and "greater than or equal to 0" in message


def test_duplicate_tool_and_state() -> None:
    assert "duplicate tool 'ab'" in error_for({"tools": [*GOOD["tools"], {"name": "ab", "from": "a", "to": "c"}]})
    assert "duplicate state 'b'" in error_for({"states": ["a", "b", "b", "c"]})


def test_no_path_from_start_to_goal() -> None:
    message = error_for({"tools": [GOOD["tools"][0]]})
    assert "no path from start 'a' to goal 'c'" in message


def test_joins_and_demotions_are_checked() -> None:
    assert "reached by its requirements only" in error_for({"joins": {"c": ["b"]}})
    assert "join 'c': unknown node 'x'" in error_for({"joins": {"c": ["x"]}, "tools": [GOOD["tools"][0]]})
    assert "demotion: unknown node 'x'" in error_for({"demotions": [{"goal": "x", "outcome": "less"}]})


def test_reliability_range_and_unknown_keys() -> None:
    assert "reliability" in error_for({"tools": [GOOD["tools"][0], {"name": "bc", "from": "b", "to": "c", "reliability": 0}]})
    assert "colour: unknown key" in error_for({"colour": "blue"})


def test_unreadable_files() -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_spec("states: [a, b\n", "bad.yaml")
    with pytest.raises(ConfigError, match="does not exist"):
        load_spec("/nonexistent/spec.yaml")


def test_shipped_specs_and_the_19_scenarios_load() -> None:
    for name in ("customer_support", "travel", "moderation"):
        assert load_spec(TOOLS / f"{name}.yaml").name
    families = load_suite(TOOLS / "scenarios")
    assert [(family.topology, len(family.scenarios)) for family in families] == [("linear", 7), ("dag", 6), ("fan-out", 6)]


def test_scenario_file_errors(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(GOOD))
    base = {"topology": "linear", "spec": "spec.yaml", "static_workflow": [{"state": "b", "tools": ["ab"], "on_failure": "stop"}],
            "scenarios": [{"id": "s1", "description": "x", "expect": ["completed"]}]}
    cases = {
        "unknown expected outcome 'demoted:z'": {"scenarios": [{"id": "s1", "description": "x", "expect": ["demoted:z"]}]},
        "has no tool 'nope'": {"scenarios": [{"id": "s1", "description": "x", "expect": ["completed"],
                                               "conditions": {"down": ["nope"]}}]},
        "does not lead there": {"static_workflow": [{"state": "c", "tools": ["ab"], "on_failure": "stop"}]},
        "has no rate limit": {"scenarios": [{"id": "s1", "description": "x", "expect": ["completed"],
                                              "conditions": {"rate_used": {"ab": 3}}}]},
    }
    for expected, change in cases.items():
        file = tmp_path / "scenarios.yaml"
        file.write_text(yaml.safe_dump(base | change))
        with pytest.raises(ConfigError, match=expected):
            load_family(file)
