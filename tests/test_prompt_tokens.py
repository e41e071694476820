"""Prompt token counts message by message equal litellm's count of the whole prefix."""

from __future__ import annotations

import json

import pytest

from agentroute._litellm import load_litellm
from agentroute.prompt_tokens import PromptTokenCounter

TOOLS = [{"type": "function", "function": {"name": "bash", "description": "run a command",
                                           "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}}]


def agent_prefix(steps: int) -> list[dict]:
    messages = [{"role": "system", "content": "You are a coding agent."}, {"role": "user", "content": "Fix parser.py " * 30}]
    for step in range(steps):
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": f"c{step}", "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": f"cat f{step}.py"})}}]})
        messages.append({"role": "tool", "tool_call_id": f"c{step}", "content": f"def f{step}():\n    return {step} ñ ✓\n" * 20})
    return messages


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-sonnet-4-5", "gemini/gemini-2.5-flash"])
def test_the_sum_of_messages_is_litellms_count_of_the_prefix(model: str) -> None:
    counter = PromptTokenCounter()
    for steps in (0, 3, 12):
        messages = agent_prefix(steps)
        assert counter.count(model, messages) == load_litellm().token_counter(model=model, messages=messages)
        joint = load_litellm().token_counter(model=model, messages=messages, tools=TOOLS)
        assert joint <= counter.count(model, messages, TOOLS) <= joint + 8  # tools alone may only err upward


def test_a_small_cache_still_counts_right() -> None:
    counter = PromptTokenCounter(size=3)
    messages = agent_prefix(5)
    assert counter.count("gpt-4o-mini", messages) == counter.count("gpt-4o-mini", messages) == \
        load_litellm().token_counter(model="gpt-4o-mini", messages=messages)
