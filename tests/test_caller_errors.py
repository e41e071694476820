"""Caller mistakes are caller errors: raised at once, never retried, never a model failure, never in
the experience memory. Against the scripted OpenAI-compatible server, through litellm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FAST
from fakellm import FakeLLM

from agentroute._litellm import load_litellm
from agentroute.app import AgentRoute
from agentroute.errors import CallerError
from agentroute.memory.store import ExperienceMemory
from agentroute.pool import Pool
from agentroute.provider_call import reply_usage

MESSAGES = [{"role": "user", "content": "List the files of the repository."}]


def routed(pool: Pool, tmp_path: Path) -> tuple[AgentRoute, ExperienceMemory]:
    memory = ExperienceMemory(tmp_path / "memory")
    return AgentRoute(pool=pool, budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST, memory=memory), memory


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"api_base": "http://127.0.0.1:9/v1"}, "api_base='http://127.0.0.1:9/v1' given by the caller, but the pool sends "
                                            "'http://127.0.0.1:[0-9]+/v1' for model openai/tiny"),
    ({"base_url": "http://127.0.0.1:9/v1"}, "base_url='http://127.0.0.1:9/v1' given by the caller, but the pool sends"),
    ({"api_key": "sk-caller-secret"}, "^api_key given by the caller, but the pool sends another key for model openai/tiny"),
    ({"timeout": 3}, "timeout= is set by the router on every call"),
    ({"num_retries": 5}, "num_retries= is set by the router on every call"),
    ({"max_completion_tokens": 10_000}, "pass max_tokens="),
    ({"model": "openai/big"}, "the router picks the model"),
])
def test_a_bad_keyword_raises_at_once_and_leaves_no_trace_spend_or_memory(
        llm: FakeLLM, pool: Pool, tmp_path: Path, kwargs: dict[str, Any], says: str) -> None:
    agentroute, memory = routed(pool, tmp_path)
    router = agentroute.router("job")
    with pytest.raises(CallerError, match=says) as raised:
        router.complete(MESSAGES, **kwargs)
    assert isinstance(raised.value, TypeError)  # what Python raises for a bad keyword, so callers may catch that
    assert "secret" not in str(raised.value)  # a key is never echoed
    assert llm.requests == []
    assert router.records == [] and agentroute.store.records("job") == []
    assert router.ledger.spent_nanos == 0 and router.step == 0
    assert memory.count() == 0
    router.complete(MESSAGES)  # the run goes on as if the mistake never happened
    assert [record.step for record in router.records] == [0] and memory.count() == 1


def test_the_pools_own_api_base_repeated_by_the_caller_is_merged(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    agentroute, memory = routed(pool, tmp_path)
    router = agentroute.router("job")
    reply = router.complete(MESSAGES, api_base=llm.base_url, temperature=0)
    assert reply.choices[0].message.content == "ok"
    assert len(llm.requests) == 1 and llm.requests[0]["body"]["temperature"] == 0
    assert [record.outcome for record in router.records] == ["ok"] and memory.count() == 1


def test_a_binding_error_inside_any_door_ends_the_call_without_fallback_or_memory(
        llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    """A door's own invoke that passes a keyword twice (the issue's TypeError) is not a model failure."""
    agentroute, memory = routed(pool, tmp_path)
    router = agentroute.router("job")
    litellm = load_litellm()
    door_kwargs = {"api_base": llm.base_url, "api_key": "x"}

    def invoke(model: Any, max_tokens: int) -> Any:
        return litellm.completion(model=model.id, messages=MESSAGES, max_tokens=max_tokens, api_base=model.api_base,
                                  **door_kwargs)

    with pytest.raises(TypeError, match="multiple values for keyword argument 'api_base'"):
        router.call(MESSAGES, invoke, reply_usage)
    assert llm.requests == []
    assert [(record.step, record.outcome) for record in router.records] == [(0, "caller_error")]  # no fallback
    assert router.previous_outcome is None  # the policy saw no failure
    assert memory.count() == 0
