"""The doors under asyncio, against the fake OpenAI-compatible server: `create_agent` with the
middleware or with `RoutedChatModel` under `ainvoke` and `astream_events`, tokens streamed as the
server sends them, `supervise` on its default SQLite checkpointer run async, and one run's ledger
under many concurrent async calls."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST
from fakellm import FakeLLM, Reply
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_litellm import ChatLiteLLM
from test_integrations import FAILING_EPISODE, enqueue_episode, scripted_bash, served_tiers

from agentroute.app import AgentRoute
from agentroute.pool import Pool
from agentroute.trace import TraceStore

TASK = {"messages": [HumanMessage("Fix the failing test.")]}


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


async def invoke_then_stream_events(agent: Any, llm: FakeLLM) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The failing episode under `ainvoke` (thread "a"), then again under `astream_events` (thread "b")."""
    enqueue_episode(llm)
    state = await agent.ainvoke(TASK, thread("a"))
    enqueue_episode(llm)
    events = [event async for event in agent.astream_events(TASK, thread("b"), version="v2")]
    return state, events


def check_routed_twice(agentroute: AgentRoute, pool: Pool, llm: FakeLLM, state: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Both runs were routed step by step (escalating after the failing tests), each call once;
    the streamed run got its tokens as chunks and its usage from the stream."""
    assert state["messages"][-1].content == "Fixed."
    tiers = served_tiers(agentroute, "a")
    rank = {tier.name: tier.index for tier in pool.tiers}
    assert len(tiers) == 5 and rank[tiers[3]] > rank[tiers[1]]
    assert served_tiers(agentroute, "b") == tiers
    records = agentroute.store.records("a") + agentroute.store.records("b")
    assert [r.outcome for r in records] == ["ok"] * 10  # "ok": the provider's usage was read, streamed or not
    assert [request["model"] for request in llm.requests] == [pool.model(r.model).id.removeprefix("openai/") for r in records]
    assert [request["stream"] for request in llm.requests] == [False] * 5 + [True] * 5
    streamed = [event for event in events if event["event"] == "on_chat_model_stream"]
    assert len(streamed) >= 4 * 5  # role, tool-call head, arguments, finish, usage … per call
    final = events[-1]["data"]["output"]["messages"][-1]
    assert final.content == "Fixed."
    assert final.response_metadata["agentroute"]["model"] == agentroute.store.records("b")[-1].model


def test_middleware_agent_is_routed_under_ainvoke_and_astream_events(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    agentroute = AgentRoute(pool=pool, policy="budget-aware", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST)
    unrouted = ChatLiteLLM(model="openai/unrouted", api_base=llm.base_url, api_key="test")
    agent = create_agent(unrouted, tools=[scripted_bash([out for _, out in FAILING_EPISODE] * 2)],
                         system_prompt="You fix bugs.", middleware=[agentroute.middleware()])
    state, events = asyncio.run(invoke_then_stream_events(agent, llm))
    check_routed_twice(agentroute, pool, llm, state, events)
    assert llm.requests[0]["messages"][0] == {"role": "system", "content": "You fix bugs."}


def test_routed_chat_model_agent_is_routed_under_ainvoke_and_astream_events(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    agentroute = AgentRoute(pool=pool, policy="budget-aware", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST)
    agent = create_agent(agentroute.chat_model(), tools=[scripted_bash([out for _, out in FAILING_EPISODE] * 2)])
    state, events = asyncio.run(invoke_then_stream_events(agent, llm))
    check_routed_twice(agentroute, pool, llm, state, events)
    streamed_by_routed_model = {event["name"] for event in events if event["event"] == "on_chat_model_stream"}
    assert streamed_by_routed_model == {"RoutedChatModel"}


@pytest.mark.parametrize("mode", ["astream", "stream"])
def test_routed_chat_model_streams_tokens_as_they_arrive(llm: FakeLLM, pool: Pool, tmp_path: Path, mode: str) -> None:
    agentroute = AgentRoute(pool=pool, policy="always:mid", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST, run_id="s")
    llm.stream_chunk_seconds = 0.15  # 14 events: the whole reply takes ≥ 2 s
    text = "".join(f"token{i:02d} " for i in range(10))  # 80 characters: ten 8-character chunks
    llm.enqueue(Reply(content=text))
    model = agentroute.chat_model()
    arrivals: list[tuple[float, Any]] = []

    async def read_async() -> None:
        async for chunk in model.astream("Say the tokens."):
            arrivals.append((time.monotonic(), chunk))

    if mode == "astream":
        asyncio.run(read_async())
    else:
        arrivals.extend((time.monotonic(), chunk) for chunk in model.stream("Say the tokens."))
    pieces = [(at, chunk.content) for at, chunk in arrivals if chunk.content]
    assert "".join(content for _, content in pieces) == text
    assert len(pieces) == 10
    assert pieces[-1][0] - pieces[0][0] >= 1.0  # the first token was in hand long before the last was sent
    [record] = agentroute.store.records("s")  # routed once, billed once, at the usage the stream reported
    assert (record.tier_name, record.outcome, record.completion_tokens) == ("mid", "ok", len(text) // 4 + 5)
    stamp = next(chunk.response_metadata["agentroute"] for _, chunk in arrivals if "agentroute" in chunk.response_metadata)
    assert stamp["model"] == record.model and stamp["cost_usd"] == record.cost_usd
    assert len(llm.requests) == 1 and llm.requests[0]["stream"]


def test_supervised_agent_runs_async_on_its_default_sqlite_checkpointer(llm: FakeLLM, pool: Pool, home: Path) -> None:
    agentroute = AgentRoute(pool=pool, policy="always:high", budget_usd=0.02, settings=FAST)
    llm.default_reply = Reply(content=None, tool_calls=[{"name": "bash", "arguments": {"command": "ls"}}], completion_tokens=150)
    app = agentroute.supervise(create_agent(agentroute.chat_model(), tools=[scripted_bash(["ok\nexit code: 0"] * 100)]))

    async def run_both() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        state = await app.ainvoke(TASK, thread("sup-a"))
        updates = [update async for update in app.astream(TASK, thread("sup-b"), stream_mode="updates")]
        return state, updates

    state, updates = asyncio.run(run_both())
    assert state["outcome"] == "budget_exhausted"
    assert 0 < state["budget"]["spent_usd"] <= 0.02
    assert state["budget"]["spent_usd"] == pytest.approx(TraceStore(home / "runs.sqlite").spent_nanos("sup-a") / 1e9)
    assert updates[-1]["account"]["outcome"] == "budget_exhausted"
    assert 0 < updates[-1]["account"]["budget"]["spent_usd"] <= 0.02
    # the async run's checkpoints are in the SQLite file, where the sync API reads them
    assert (home / "checkpoints.sqlite").is_file()
    assert app.get_state(thread("sup-a")).values["outcome"] == "budget_exhausted"


def test_concurrent_async_calls_on_one_run_keep_the_ledger_exact(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    # ~12 calls fit the cap; 40 start at once, so reserves compete for what is left
    agentroute = AgentRoute(pool=pool, policy="always:low", budget_usd=0.002, store=tmp_path / "runs.sqlite", settings=FAST,
                            run_id="crowd")
    llm.default_reply = Reply(content="done", completion_tokens=150)
    model = agentroute.chat_model()

    async def crowd() -> list[Any]:
        return await asyncio.gather(*(model.ainvoke(f"question {n}") for n in range(40)))

    replies = asyncio.run(crowd())
    answered = [reply for reply in replies if reply.content == "done"]
    stopped = [reply for reply in replies if reply.response_metadata.get("agentroute_outcome") == "budget_exhausted"]
    assert answered and stopped and len(answered) + len(stopped) == 40
    ledger = agentroute.router("crowd").ledger
    assert 0 < ledger.spent_nanos <= ledger.cap_nanos and ledger.reserved_nanos == 0
    assert ledger.spent_nanos == sum(charge.cost_nanos for charge in ledger.charges)
    assert ledger.spent_nanos == TraceStore(tmp_path / "runs.sqlite").spent_nanos("crowd")
    # one request, one charge, one step per answered call: nothing billed twice or lost
    assert len(llm.requests) == len(ledger.charges) == len(answered)
    assert sorted(charge.step for charge in ledger.charges) == sorted({charge.step for charge in ledger.charges})
    assert sum(reply.response_metadata["agentroute"]["cost_usd"] for reply in answered) == pytest.approx(ledger.spent_nanos / 1e9)


@pytest.mark.parametrize("mode", ["astream", "stream"])
def test_a_stream_cut_after_delivery_is_billed_at_its_reserve_and_not_retried(
        llm: FakeLLM, pool: Pool, tmp_path: Path, mode: str) -> None:
    agentroute = AgentRoute(pool=pool, policy="always:mid", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST, run_id="cut")
    llm.enqueue(Reply(content="x" * 80, fault="cut_stream"))
    llm.enqueue(Reply(content="a retry would repeat what the caller already has"))
    model = agentroute.chat_model()
    received: list[str] = []

    async def read_async() -> None:
        async for chunk in model.astream("Say it."):
            received.append(chunk.content)

    with pytest.raises(Exception) as raised:
        if mode == "astream":
            asyncio.run(read_async())
        else:
            received.extend(chunk.content for chunk in model.stream("Say it."))
    assert "x" * 8 in received and "".join(received) != "x" * 80  # some chunks came, then the stream broke
    assert not isinstance(raised.value, AssertionError)
    [record] = agentroute.store.records("cut")
    assert record.outcome == "interrupted" and "stream broke after" in (record.error or "")
    assert record.cost_nanos == record.reserved_nanos > 0  # no usage came: billed at the reserve
    assert agentroute.router("cut").ledger.spent_nanos == record.cost_nanos
    assert len(llm.requests) == 1  # not retried
