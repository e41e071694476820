"""What the client receives: a chat completion (JSON or server-sent events) for a routed reply
or for a budget stop. A budget stop is a normal final assistant message (finish_reason "stop",
no tool calls) marked `agentroute.outcome`, so clients end the task instead of retrying."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from agentroute.serve.step import StepReport


def _dump(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.model_dump(exclude_none=True)


def completion_body(response: Any, report: StepReport) -> dict[str, Any]:
    """A routed (non-streaming) reply as OpenAI JSON, with the step report under `agentroute`."""
    return {**_dump(response), "agentroute": report.model_dump(exclude_none=True)}


def sse(payload: dict[str, Any] | str) -> str:
    """One server-sent event line pair."""
    return f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n"


def stream_events(chunks: list[Any], wants_usage: bool) -> Iterator[str]:
    """A routed streamed reply as events; the usage chunk only if the client asked for it."""
    for chunk in chunks:
        payload = _dump(chunk)
        if not payload.get("choices"):
            if wants_usage and payload.get("usage"):
                yield sse(payload)
            continue
        if not wants_usage:
            payload.pop("usage", None)
        yield sse(payload)
    yield sse("[DONE]")


def _stop_base(model: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-agentroute-{uuid.uuid4().hex[:16]}", "created": int(time.time()), "model": model}


def budget_stop_body(report: StepReport, model: str) -> dict[str, Any]:
    """The final answer of a task whose budget is spent."""
    message = {"role": "assistant", "content": report.message}
    return {**_stop_base(model), "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "agentroute": report.model_dump(exclude_none=True)}


def budget_stop_events(report: StepReport, model: str, wants_usage: bool) -> Iterator[str]:
    """The budget-stop answer as a stream: role and text, then finish_reason "stop"."""
    base = {**_stop_base(model), "object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    yield sse(chunk({"role": "assistant", "content": report.message}))
    yield sse({**chunk({}, "stop"), "agentroute": report.model_dump(exclude_none=True)})
    if wants_usage:
        yield sse({**base, "choices": [], "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})
    yield sse("[DONE]")
