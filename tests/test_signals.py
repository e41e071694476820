"""Signals read from OpenAI-format message prefixes."""

from __future__ import annotations

import json
from typing import Any

from agentroute.signals import extract_signals, read_tool_output


def call(call_id: str, command: str, name: str = "bash") -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps({"command": command})}}
    ]}


def result(call_id: str, text: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


ISSUE = {"role": "user", "content": "fix the bug"}


def test_empty_prefix_is_exploration() -> None:
    signals = extract_signals([ISSUE])
    assert signals.phase == "explore" and signals.actions == 0 and not signals.last_tool_failed


def test_pytest_failure_then_fix_is_progress() -> None:
    prefix = [
        ISSUE,
        call("1", "python -m pytest -q"), result("1", "FAILED t.py::a - AssertionError\n1 failed, 3 passed\nexit code: 1"),
        call("2", "sed -i 's/a/b/' m.py"), result("2", "exit code: 0"),
    ]
    signals = extract_signals(prefix)
    assert signals.phase == "verify"  # last action was an edit
    assert signals.failing_tests == 1 and signals.passing_tests == 3
    assert not signals.last_tool_failed and signals.consecutive_failures == 0
    prefix += [call("3", "python -m pytest -q"), result("3", "4 passed in 0.1s\nexit code: 0")]
    signals = extract_signals(prefix)
    assert signals.tests_fixed and signals.failing_tests == 0 and signals.phase == "submit"


def test_consecutive_failures_repeated_commands_and_error_text() -> None:
    prefix = [ISSUE]
    for n in range(3):
        prefix += [call(str(n), "python run.py"), result(str(n), "Traceback (most recent call last):\nValueError: bad input\nexit code: 2")]
    signals = extract_signals(prefix)
    assert signals.last_exit_code == 2 and signals.last_tool_failed
    assert signals.consecutive_failures == 3
    assert signals.repeated_commands == 2
    assert signals.error_text == "ValueError: bad input"
    assert signals.phase == "explore"


def test_edit_tool_and_submit_tool_phases() -> None:
    prefix = [ISSUE, call("1", "x", name="str_replace"), result("1", "edited")]
    assert extract_signals(prefix).phase == "verify"
    prefix += [call("2", "", name="submit"), result("2", "submitted")]
    assert extract_signals(prefix).phase == "submit"
    prefix = [ISSUE, call("1", "python -m pytest"), result("1", "1 failed\nexit code: 1")]
    assert extract_signals(prefix).phase == "edit"


def test_tool_output_readers() -> None:
    unittest_ok = read_tool_output("verify", "..\n----\nRan 2 tests in 0.001s\n\nOK\n")
    assert unittest_ok.passed_tests == 2 and unittest_ok.failed_tests == 0 and not unittest_ok.failed
    unittest_bad = read_tool_output("verify", "Ran 3 tests in 0.1s\n\nFAILED (failures=2)")
    assert unittest_bad.failed_tests == 2 and unittest_bad.failed
    missing = read_tool_output("explore", "bash: foo: command not found")
    assert missing.failed and "command not found" in (missing.error_text or "")
    returncode = read_tool_output("explore", "<returncode>0</returncode>\nok")
    assert returncode.exit_code == 0 and not returncode.failed


def test_content_parts_and_prompt_chars() -> None:
    prefix = [{"role": "user", "content": [{"type": "text", "text": "abc"}, {"type": "text", "text": "de"}]}]
    assert extract_signals(prefix).prompt_chars == 6 - 1 + 1  # "abc\nde"


def test_rerunning_tests_with_new_results_is_not_a_repeat_and_submit_survives_a_diff() -> None:
    prefix = [
        ISSUE,
        call("1", "pytest -q"), result("1", "1 failed\nexit code: 1"),
        call("2", "sed -i s/a/b/ x.py"), result("2", "exit code: 0"),
        call("3", "pytest -q"), result("3", "3 passed\nexit code: 0"),
        call("4", "git diff"), result("4", "diff --git a/x.py b/x.py\nexit code: 0"),
    ]
    signals = extract_signals(prefix)
    assert signals.repeated_commands == 0
    assert signals.phase == "submit"
    prefix += [call("5", "sed -i s/b/c/ x.py"), result("5", "exit code: 0"), call("6", "git status"), result("6", "M x.py")]
    assert extract_signals(prefix).phase == "edit"  # edited again since the passing run
