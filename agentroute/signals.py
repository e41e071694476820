"""Signals a router can read from the message prefix of an agent step.

Works on OpenAI-format messages (dicts with role/content/tool_calls/tool_call_id), the format
litellm takes and every agentroute door converts to. Nothing here calls a model.

Phases: `explore` (nothing edited yet), `edit` (an edit was made, or tests fail after one),
`verify` (the last action was an edit, checking comes next), `submit` (tests passed after the
last edit, or the agent called a submit/finish tool). A repeated command is the same command
with the same output again (running the tests after each edit is not a repeat).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Phase = Literal["explore", "edit", "verify", "submit"]

_EXIT_CODE = re.compile(
    r"(?:exit[ _]code|returncode|exit status|exited with(?: code)?)\W{0,3}(-?\d+)|<returncode>(-?\d+)</returncode>",
    re.IGNORECASE,
)
_PYTEST_FAILED = re.compile(r"(\d+) failed", re.IGNORECASE)
_PYTEST_ERRORS = re.compile(r"(\d+) errors?\b", re.IGNORECASE)
_PYTEST_PASSED = re.compile(r"(\d+) passed", re.IGNORECASE)
_UNITTEST_FAILED = re.compile(r"FAILED \((?:failures|errors)=(\d+)")
_UNITTEST_OK = re.compile(r"^Ran (\d+) tests?[\s\S]*?^OK\b", re.MULTILINE)
_ERROR_LINE = re.compile(
    r"^(?:Traceback \(most recent call last\)|.*\b[A-Z]\w*(?:Error|Exception):.*|.*command not found.*"
    r"|.*No such file or directory.*|error: .*|fatal: .*|E\s{2,}.*)$",
    re.MULTILINE,
)
_VERIFY = re.compile(r"\b(pytest|unittest|tox|nox|make test|npm test|go test|cargo test|run_tests|test_\w+\.py)\b")
_EDIT = re.compile(r"sed -i|\bpatch\b|\bapply_patch\b|cat\s*>|cat <<|\btee\b|>\s*\S+\.\w+|\bgit apply\b|write_text\(|\.write\(")
_EDIT_TOOLS = {"edit", "str_replace", "str_replace_editor", "write_file", "create_file", "apply_patch", "replace", "insert"}
_SUBMIT_TOOLS = {"submit", "finish", "final_answer", "done", "complete_task"}
_SUBMIT_TEXT = re.compile(r"COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT|\bsubmit\b", re.IGNORECASE)


class ToolOutcome(BaseModel):
    """What one tool call did, as far as its output shows."""

    model_config = ConfigDict(frozen=True)

    action: str
    exit_code: int | None = None
    failed_tests: int | None = None
    passed_tests: int | None = None
    error_text: str | None = None

    @property
    def failed(self) -> bool:
        """A non-zero exit, failing tests or an error message."""
        if self.exit_code is not None:
            return self.exit_code != 0
        return bool(self.failed_tests) or self.error_text is not None


class Signals(BaseModel):
    """Features of the prefix that predict how hard the next step is."""

    n_messages: int = 0
    prompt_chars: int = 0
    actions: int = 0
    last_exit_code: int | None = None
    last_tool_failed: bool = False
    consecutive_failures: int = 0
    failing_tests: int | None = None
    passing_tests: int | None = None
    tests_fixed: bool = False
    error_text: str | None = None
    repeated_commands: int = 0
    edits: int = 0
    phase: Phase = "explore"


def message_text(content: Any) -> str:
    """The text of a message content: a string or a list of {type, text} parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for part in content:
            if isinstance(part, Mapping):
                parts.append(str(part.get("text") or ""))
            else:
                parts.append(str(part))
        return "\n".join(parts)
    return str(content)


def action_text(tool_call: Mapping[str, Any]) -> tuple[str, str]:
    """A tool call's name and its arguments as a string (OpenAI or LangChain shape)."""
    function = tool_call.get("function") or {}
    name = str(function.get("name") or tool_call.get("name") or "")
    arguments = function.get("arguments", tool_call.get("args", ""))
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, sort_keys=True)
    return name, arguments


def _kind(name: str, arguments: str) -> str:
    lowered = name.lower()
    if lowered in _SUBMIT_TOOLS or _SUBMIT_TEXT.search(arguments) and lowered in {"bash", "shell", "run"}:
        return "submit"
    if lowered in _EDIT_TOOLS or _EDIT.search(arguments):
        return "edit"
    if _VERIFY.search(arguments) or "test" in lowered:
        return "verify"
    return "explore"


@lru_cache(maxsize=8192)
def read_tool_output(action: str, text: str) -> ToolOutcome:
    """Exit code, test counts and the last error line of a tool's output (cached: a prefix
    repeats every earlier output at each step, so each output is read once)."""
    exit_match = None
    for exit_match in _EXIT_CODE.finditer(text):
        pass
    exit_code = None
    if exit_match is not None:
        exit_code = int(exit_match.group(1) or exit_match.group(2))
    failed = sum(int(n) for n in _PYTEST_FAILED.findall(text)) + sum(int(n) for n in _PYTEST_ERRORS.findall(text))
    failed += sum(int(n) for n in _UNITTEST_FAILED.findall(text))
    passed_match = _PYTEST_PASSED.findall(text)
    passed = sum(int(n) for n in passed_match)
    unittest_ok = _UNITTEST_OK.search(text)
    if unittest_ok:
        passed += int(unittest_ok.group(1))
    saw_tests = bool(failed or passed_match or unittest_ok or _UNITTEST_FAILED.search(text))
    errors = _ERROR_LINE.findall(text)
    return ToolOutcome(
        action=action,
        exit_code=exit_code,
        failed_tests=failed if saw_tests else None,
        passed_tests=passed if saw_tests else None,
        error_text=errors[-1].strip()[:200] if errors else None,
    )


def extract_signals(messages: Sequence[Mapping[str, Any]]) -> Signals:
    """Read the prefix once, oldest to newest, and summarise it."""
    pending: dict[str, tuple[str, str]] = {}
    outcomes: list[ToolOutcome] = []
    steps: list[str] = []
    prompt_chars = 0
    for message in messages:
        role = message.get("role")
        text = message_text(message.get("content"))
        prompt_chars += len(text)
        if role == "assistant":
            for tool_call in message.get("tool_calls") or []:
                name, arguments = action_text(tool_call)
                prompt_chars += len(name) + len(arguments)
                pending[str(tool_call.get("id"))] = (_kind(name, arguments), f"{name}:{arguments}")
        elif role in ("tool", "function"):
            kind, action = pending.pop(str(message.get("tool_call_id")), ("explore", "?"))
            outcomes.append(read_tool_output(kind, text))
            steps.append(f"{action}\n{text}")

    signals = Signals(n_messages=len(messages), prompt_chars=prompt_chars, actions=len(steps))
    # The same command with the same output again: the agent is not making progress.
    signals.repeated_commands = max(Counter(steps[-10:]).values(), default=1) - 1
    signals.edits = sum(1 for outcome in outcomes if outcome.action == "edit")
    if outcomes:
        last = outcomes[-1]
        signals.last_exit_code = last.exit_code
        signals.last_tool_failed = last.failed
        signals.error_text = last.error_text
        for outcome in reversed(outcomes):
            if not outcome.failed:
                break
            signals.consecutive_failures += 1
    test_runs = [outcome for outcome in outcomes if outcome.failed_tests is not None]
    if test_runs:
        signals.failing_tests = test_runs[-1].failed_tests
        signals.passing_tests = test_runs[-1].passed_tests
        signals.tests_fixed = (
            test_runs[-1].failed_tests == 0
            and any(run.failed_tests for run in test_runs[:-1])
        )
    signals.phase = _phase(outcomes, signals)
    return signals


def _phase(outcomes: list[ToolOutcome], signals: Signals) -> Phase:
    if not outcomes:
        return "explore"
    last = outcomes[-1]
    if last.action == "submit":
        return "submit"
    if last.action == "edit":
        return "verify"
    last_edit = max((i for i, outcome in enumerate(outcomes) if outcome.action == "edit"), default=-1)
    tested_after_edit = [o for o in outcomes[last_edit + 1:] if o.failed_tests is not None]
    if last_edit >= 0 and tested_after_edit and tested_after_edit[-1].failed_tests == 0:
        return "submit"
    if last_edit >= 0 or (last.action == "verify" and last.failed):
        return "edit"
    return "explore"
