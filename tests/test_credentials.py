"""API keys: the built-in pool reaches each provider with the key the README names; a missing key
is one clear error before the first call (CLI and Python API alike), never a retried server error;
a run that dies is marked so in the trace store."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FAST
from fakellm import FakeLLM, Reply
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage

from agentroute._litellm import load_litellm
from agentroute.app import AgentRoute
from agentroute.credentials import require_keys
from agentroute.errors import AllModelsFailed, ConfigError
from agentroute.pool import load_pool, parse_pool_text, resolve_pool
from agentroute.router_settings import RouterSettings
from agentroute.trace import TraceStore

KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
        "VERTEXAI_PROJECT", "VERTEXAI_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS")
# The providers of the built-in pool and the one key the README tells the reader to export.
README_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def pool_of(text: str):
    return resolve_pool(parse_pool_text(text, "test-pool", yaml_syntax=False), "test-pool")


@pytest.mark.parametrize("model_id", [model.id for tier in load_pool("default").tiers for model in tier.models])
def test_each_builtin_model_reaches_its_provider_with_the_readme_key(model_id: str, no_keys: pytest.MonkeyPatch) -> None:
    litellm = load_litellm()
    _, provider, _, _ = litellm.get_llm_provider(model_id)
    assert provider in README_KEYS, f"{model_id} resolves to {provider}, a provider the README does not name"
    assert not litellm.validate_environment(model=model_id)["keys_in_environment"]
    no_keys.setenv(README_KEYS[provider], "x")
    assert litellm.validate_environment(model=model_id)["keys_in_environment"]


def test_the_key_message_names_each_blocked_tier_once_with_or_and_and(no_keys: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as caught:
        require_keys(load_pool("default"))
    message = str(caught.value)
    assert "\n" not in message
    assert "set OPENAI_API_KEY for low; OPENAI_API_KEY or GEMINI_API_KEY for mid;" in message
    assert "VERTEX" not in message and "GOOGLE" not in message
    # Vertex AI needs a project and a location: both, so "and"; the other model is the alternative.
    vertex = pool_of('[[tiers]]\nname = "only"\nmodels = ["vertex_ai/gemini-2.5-flash", "gpt-4o-mini"]\n')
    with pytest.raises(ConfigError, match=r"set VERTEXAI_PROJECT and VERTEXAI_LOCATION or OPENAI_API_KEY for only;"):
        require_keys(vertex)
    no_keys.setenv("OPENAI_API_KEY", "x")
    require_keys(load_pool("default"))  # one key reaches every tier of the built-in pool
    require_keys(vertex)


def test_python_api_checks_keys_before_the_first_call(no_keys: pytest.MonkeyPatch, tmp_path: Path) -> None:
    route = AgentRoute(budget_usd=0.5, store=tmp_path / "runs.sqlite")
    with pytest.raises(ConfigError, match="no API key for tiers low, mid, mid_high, high"):
        route.chat_model()
    with pytest.raises(ConfigError, match="set OPENAI_API_KEY for low"):
        route.router("direct").complete([{"role": "user", "content": "hi"}])
    assert route.store.records("direct") == []  # nothing was attempted
    assert route.store.run("direct").outcome == "error"  # and the run is not left "running"


def test_a_credentials_error_is_never_retried(no_keys: pytest.MonkeyPatch, llm: FakeLLM, tmp_path: Path) -> None:
    # Each model without its key fails inside litellm (OpenAI's "Missing credentials" arrives as a
    # 500, Anthropic's as a 401); the tier's last model, on the scripted server, answers.
    pool = pool_of(f'''
[[tiers]]
name = "only"
models = ["gpt-4o-mini", "claude-haiku-4-5",
          {{ id = "openai/tiny", api_base = "{llm.base_url}", price = {{ input = 1, output = 2 }} }}]
''')
    slow_backoff = RouterSettings(attempts_per_model=5, backoff_initial=10, backoff_max=10, timeout=5)
    route = AgentRoute(pool=pool, policy="always:only", budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=slow_backoff)
    reply = route.router("keys").complete([{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "ok"
    records = route.store.records("keys")
    assert [(r.model, r.outcome) for r in records] == [  # one attempt each: no retry, no backoff
        ("gpt-4o-mini", "error"), ("claude-haiku-4-5", "error"), ("openai/tiny", "ok")]
    assert records[0].cost_nanos == records[1].cost_nanos == 0  # nothing was sent, nothing billed
    assert "OPENAI_API_KEY" in (records[0].error or "") and "Anthropic" in (records[1].error or "")


def test_a_run_that_dies_is_marked_error_not_running(llm: FakeLLM, pool, home: Path, tmp_path: Path) -> None:
    llm.default_reply = Reply(fault="500")
    route = AgentRoute(pool=pool, policy="always:high", budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST)
    agent = create_agent(route.chat_model(), tools=[])
    app = route.supervise(agent)
    with pytest.raises(AllModelsFailed):
        app.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "dies"}})
    assert TraceStore(tmp_path / "runs.sqlite").run("dies").outcome == "error"

    def crashes(state, router):
        raise RuntimeError("the agent's own bug")

    crashing = route.supervise(crashes)
    with pytest.raises(RuntimeError):
        crashing.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "crash"}})
    assert TraceStore(tmp_path / "runs.sqlite").run("crash").outcome == "error"
