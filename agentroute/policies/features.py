"""Features of one agent step that a live router can read: the messages, the tools, nothing else.

They describe what kind of agent and workload this is (a shell/coding agent, a tool-using
assistant, a question over a long document), where the step stands in the trajectory (calls
made so far, prefix size), and how the last action went (exit code, errors, tests). Benchmark
names, ids and labels are never inputs: only what a router sees at the call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from agentroute.signals import Signals, action_text, extract_signals, message_text

_CODE_WORDS = re.compile(
    r"\b(?:shell|bash|terminal|programming|repository|repo|codebase|source code|git|python|pytest|"
    r"function|class|traceback|stack trace|bug|fix|patch|diff|compile|unit tests?|pr_description|"
    r"sed -i|grep|cat -n|\.py|\.js|\.ts|\.go|\.rs|\.java)\b",
    re.IGNORECASE,
)
_EXIT_TAG = re.compile(r"<returncode>|\bexit code\b|\breturncode\b", re.IGNORECASE)

_SHELL_TOOLS = frozenset({"bash", "shell", "run", "exec", "execute_bash", "terminal", "run_command"})

FEATURE_NAMES: tuple[str, ...] = (
    "coding_agent",
    "code_words",
    "shell_outputs",
    "tool_messages",
    "calls_made",
    "first_call",
    "user_turns",
    "log_prompt_chars",
    "last_is_tool",
    "last_tool_failed",
)


def _log(value: float) -> float:
    return math.log1p(max(0.0, value))


@lru_cache(maxsize=1024)
def _code_words(opening: str) -> int:
    """Coding vocabulary in a trajectory's opening (cached: it repeats at every step)."""
    return len(_CODE_WORDS.findall(opening))


@lru_cache(maxsize=8192)
def _is_shell_output(text: str) -> bool:
    """Whether a tool output reports an exit code (cached: a prefix repeats every earlier output)."""
    return _EXIT_TAG.search(text) is not None


def step_features(messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] | None = None,
                  signals: Signals | None = None) -> dict[str, float]:
    """The features (name → value, keys = FEATURE_NAMES) of the step whose prefix is `messages`
    and whose tool schemas are `tools`; `signals`, if already read from the prefix, are reused."""
    signals = signals or extract_signals(messages)
    texts = [message_text(message.get("content")) for message in messages]
    roles = [str(message.get("role")) for message in messages]
    calls = [action_text(call) for message in messages for call in message.get("tool_calls") or []]
    tool_texts = [text for role, text in zip(roles, texts) if role in ("tool", "function")]
    head = " ".join(text[:4000] for role, text in zip(roles, texts) if role in ("system", "developer"))
    first_user = next((text for role, text in zip(roles, texts) if role == "user"), "")
    schemas = [_schema_text(tool) for tool in tools or []]
    opening = "\n".join([head, first_user[:4000], *(f"{name} {arguments[:200]}" for name, arguments in calls[:10]), *schemas])
    code_words = _code_words(opening)
    shell_outputs = sum(1 for text in tool_texts if _is_shell_output(text))
    shell_tools = sum(1 for name in [name for name, _ in calls] + [text.split(" ", 1)[0] for text in schemas]
                      if name.lower() in _SHELL_TOOLS)
    last_role = roles[-1] if roles else ""
    return {
        "coding_agent": float(shell_outputs > 0 or shell_tools > 0 or code_words >= 4),
        "code_words": _log(code_words),
        "shell_outputs": _log(shell_outputs),
        "tool_messages": _log(len(tool_texts)),
        "calls_made": _log(roles.count("assistant")),
        "first_call": float(roles.count("assistant") == 0),
        "user_turns": _log(roles.count("user")),
        "log_prompt_chars": _log(signals.prompt_chars) / 10.0,
        "last_is_tool": float(last_role in ("tool", "function")),
        "last_tool_failed": float(signals.last_tool_failed),
    }


def _schema_text(tool: Any) -> str:
    """A tool schema's name and description (OpenAI `{type, function: {...}}` or flat)."""
    if not isinstance(tool, Mapping):
        return str(tool)[:200]
    function = tool.get("function") if isinstance(tool.get("function"), Mapping) else tool
    return f"{function.get('name') or ''} {str(function.get('description') or '')[:200]}"


def feature_vector(features: Mapping[str, float]) -> list[float]:
    """The features in FEATURE_NAMES order (a missing name counts as 0)."""
    return [float(features.get(name, 0.0)) for name in FEATURE_NAMES]
