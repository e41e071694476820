"""One budget per task: each LangGraph thread id is its own run; a graph run without a thread id
is refused instead of silently sharing one budget with every other such run."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FAST
from fakellm import FakeLLM, Reply
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage

from agentroute.app import AgentRoute
from agentroute.errors import ConfigError
from agentroute.pool import Pool


def agent_of(route: AgentRoute):
    return create_agent(route.chat_model(), tools=[])


def test_each_thread_id_gets_its_own_budget(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    llm.default_reply = Reply(content="done", completion_tokens=150)
    route = AgentRoute(pool=pool, policy="always:high", budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST)
    agent = agent_of(route)
    for task in ("task-a", "task-b"):
        state = agent.invoke({"messages": [HumanMessage(f"do {task}")]}, {"configurable": {"thread_id": task}})
        assert state["messages"][-1].content == "done"
    assert {run.run_id for run in route.store.runs()} == {"task-a", "task-b"}
    for task in ("task-a", "task-b"):  # each run paid for its own call only, from its own $0.50
        ledger = route.router(task).ledger
        assert len(ledger.charges) == 1 and ledger.remaining_nanos == ledger.cap_nanos - ledger.spent_nanos


def test_a_graph_run_without_a_thread_id_is_refused_with_one_clear_error(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    route = AgentRoute(pool=pool, budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST)
    with pytest.raises(ConfigError) as caught:
        agent_of(route).invoke({"messages": [HumanMessage("hi")]})
    assert "no thread id" in str(caught.value) and "thread_id" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert llm.requests == [] and route.store.runs() == []  # refused before any call or run


def test_an_explicit_run_id_shares_one_budget_on_purpose(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    route = AgentRoute(pool=pool, budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST, run_id="shared")
    agent = agent_of(route)
    agent.invoke({"messages": [HumanMessage("one")]})
    agent.invoke({"messages": [HumanMessage("two")]})
    assert [run.run_id for run in route.store.runs()] == ["shared"]
    assert len([r for r in route.store.records("shared") if r.outcome == "ok"]) == 2
