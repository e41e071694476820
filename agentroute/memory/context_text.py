"""What the memory embeds for a step: a compact text rendering of its context, and its group."""

from __future__ import annotations

from agentroute.context import StepContext
from agentroute.signals import action_text, message_text

LAST_MESSAGES = 3
MESSAGE_CHARS = 400
TASK_CHARS = 600
_TASK_TEXT_KEYS = ("text", "prompt", "issue", "problem_statement", "instruction")
_TASK_LABEL_KEYS = ("dimension", "source", "language", "difficulty", "repo")


def context_group(context: StepContext) -> str:
    """The coarse group used for shrinkage: "dimension/source" from the task metadata (either one
    alone when the other is missing), else ""."""
    parts = [str(context.task[key]) for key in ("dimension", "source") if context.task.get(key)]
    return "/".join(parts)


def _task_text(context: StepContext) -> str:
    for key in _TASK_TEXT_KEYS:
        if context.task.get(key):
            return str(context.task[key])
    first_user = next((m for m in context.messages if m.get("role") == "user"), None)
    return message_text(first_user.get("content")) if first_user else ""


def _message_line(message: dict) -> str:
    text = message_text(message.get("content"))
    calls = [" ".join(action_text(call)) for call in message.get("tool_calls") or []]
    body = " ".join(" ".join([text, *calls]).split())
    return f"[{message.get('role', '?')}] {body[-MESSAGE_CHARS:]}"


def context_text(context: StepContext) -> str:
    """Task text and labels, node and step, phase and trouble signals, the last few messages
    (each cut to its last 400 characters): the text whose embedding finds similar past steps."""
    signals = context.signals
    labels = " ".join(f"{key}={context.task[key]}" for key in _TASK_LABEL_KEYS if context.task.get(key))
    trouble = [f"phase={signals.phase}", f"step={context.step}", f"node={context.node or '-'}"]
    if signals.last_tool_failed:
        trouble.append("tool_failed")
    if signals.failing_tests:
        trouble.append(f"failing_tests={signals.failing_tests}")
    if signals.consecutive_failures:
        trouble.append(f"consecutive_failures={signals.consecutive_failures}")
    if signals.repeated_commands:
        trouble.append(f"repeated_commands={signals.repeated_commands}")
    if signals.tests_fixed:
        trouble.append("tests_fixed")
    if context.previous_outcome not in (None, "ok"):
        trouble.append(f"previous={context.previous_outcome}")
    lines = [
        f"task: {' '.join(_task_text(context).split())[:TASK_CHARS]}",
        labels,
        " ".join(trouble),
        f"error: {signals.error_text}" if signals.error_text else "",
        *(_message_line(message) for message in context.messages[-LAST_MESSAGES:]),
    ]
    return "\n".join(line for line in lines if line)


def context_features(context: StepContext) -> dict[str, float | int | str | bool]:
    """Structured features stored beside the text (the signals, step, node, budget left)."""
    features: dict[str, float | int | str | bool] = {
        "step": context.step, "node": context.node or "", "remaining_usd": context.remaining_usd,
        "spent_usd": context.spent_usd,
    }
    for key, value in context.signals.model_dump().items():
        if value is not None:
            features[key] = value
    return features
