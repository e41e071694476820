"""What a tool function receives and returns. Tools are plain callables: `ToolCall -> ToolResult`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field


class ToolCall(BaseModel):
    """One call of `tool` to move the task from `source` to `target`, with the outputs so far."""

    tool: str
    source: str
    target: str
    inputs: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    """A tool's answer. `ok=False` is a failure; `rate_limited` marks a provider refusal (429)."""

    ok: bool
    output: Any = None
    error: str | None = None
    rate_limited: bool = False
    retry_after_s: float | None = Field(default=None, ge=0)
    risk: list[str] = Field(default_factory=list)
    call_id: str | None = None


ToolFn = Callable[[ToolCall], ToolResult]
