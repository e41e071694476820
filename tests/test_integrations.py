"""The three doors end to end: LangChain create_agent with RoutedChatModel or the middleware, and a
wrapped agent under `supervise`, all against the fake OpenAI-compatible server."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from cli import CliProcess, start_script
from conftest import FAST
from fakellm import FakeLLM, Reply
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_litellm import ChatLiteLLM
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from agentroute.app import AgentRoute
from agentroute.pool import Pool
from agentroute.trace import TraceStore

TESTS = Path(__file__).parent
def bash_call(command: str) -> Reply:
    return Reply(content=None, tool_calls=[{"name": "bash", "arguments": {"command": command}}])


def scripted_bash(outputs: list[str]) -> Any:
    remaining = iter(outputs)

    @tool
    def bash(command: str) -> str:
        """Run a shell command in the repository."""
        return next(remaining)

    return bash


FAILING_EPISODE = [
    ("ls", "src/ tests/\nexit code: 0"),
    ("python -m pytest -q", "FAILED tests/test_x.py::test_a - AssertionError\n1 failed, 3 passed\nexit code: 1"),
    ("python -m pytest -q -x", "FAILED tests/test_x.py::test_a - AssertionError\n1 failed, 3 passed\nexit code: 1"),
    ("sed -i 's/a/b/' src/x.py", "exit code: 0"),
]


def enqueue_episode(llm: FakeLLM) -> None:
    for command, _ in FAILING_EPISODE:
        llm.enqueue(bash_call(command))
    llm.enqueue(Reply(content="Fixed."))


def served_tiers(agentroute: AgentRoute, run_id: str) -> list[str]:
    return [r.tier_name for r in agentroute.store.records(run_id) if r.outcome.startswith("ok")]


def test_routed_chat_model_in_create_agent_escalates_on_failure(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    # the hand-set policy starts this coding episode cheap, so its escalation shows (the learned
    # default sends a shell agent's steps to the top tier from the start)
    agentroute = AgentRoute(pool=pool, policy="budget-aware", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST)
    enqueue_episode(llm)
    agent = create_agent(agentroute.chat_model(), tools=[scripted_bash([out for _, out in FAILING_EPISODE])])
    state = agent.invoke({"messages": [HumanMessage("Fix the failing test.")]}, {"configurable": {"thread_id": "t1"}})
    assert state["messages"][-1].content == "Fixed."
    tiers = served_tiers(agentroute, "t1")
    assert len(tiers) == 5
    rank = {tier.name: tier.index for tier in pool.tiers}
    # After two failing test runs the next call is served by a stronger tier than the exploring call.
    assert rank[tiers[3]] > rank[tiers[1]]
    assert "escalate" in agentroute.store.records("t1")[3].reason
    # Each reply says which model served it and what it cost; the ledger agrees with the trace.
    stamps = [m.response_metadata["agentroute"] for m in state["messages"] if isinstance(m, AIMessage)]
    assert [s["tier"] for s in stamps] == tiers
    assert {s["node"] for s in stamps} == {"model"}
    assert sum(s["cost_usd"] for s in stamps) == pytest.approx(agentroute.router("t1").ledger.snapshot().spent_usd)
    models_requested = [request["model"] for request in llm.requests]
    assert models_requested == [pool.model(r.model).id.removeprefix("openai/") for r in agentroute.store.records("t1")]


def test_routed_chat_model_in_a_hand_built_tool_loop(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    agentroute = AgentRoute(pool=pool, policy="always:low", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST)
    bash = scripted_bash(["file.txt\nexit code: 0"])
    model = agentroute.chat_model().bind_tools([bash])

    def agent_node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent_node)
    builder.add_node("tools", ToolNode([bash]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    graph = builder.compile(checkpointer=InMemorySaver())
    llm.enqueue(bash_call("ls"))
    llm.enqueue(Reply(content="There is one file."))
    state = graph.invoke({"messages": [HumanMessage("What is here?")]}, {"configurable": {"thread_id": "loop"}})
    assert state["messages"][-1].content == "There is one file."
    assert isinstance(state["messages"][2], ToolMessage)
    assert llm.requests[0]["tools"][0]["function"]["name"] == "bash"
    records = agentroute.store.records("loop")
    assert [(r.node, r.model) for r in records] == [("agent", "openai/tiny"), ("agent", "openai/tiny")]


def test_middleware_routes_every_request_of_an_unchanged_agent(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    # the hand-set policy, whose escalation this episode shows (see the test above)
    agentroute = AgentRoute(pool=pool, policy="budget-aware", budget_usd=1.0, store=tmp_path / "runs.sqlite", settings=FAST)
    enqueue_episode(llm)
    unrouted = ChatLiteLLM(model="openai/unrouted", api_base=llm.base_url, api_key="test")
    agent = create_agent(unrouted, tools=[scripted_bash([out for _, out in FAILING_EPISODE])],
                         system_prompt="You fix bugs.", middleware=[agentroute.middleware()])
    state = agent.invoke({"messages": [HumanMessage("Fix the failing test.")]}, {"configurable": {"thread_id": "mw"}})
    assert state["messages"][-1].content == "Fixed."
    assert "unrouted" not in {request["model"] for request in llm.requests}
    assert llm.requests[0]["messages"][0] == {"role": "system", "content": "You fix bugs."}
    tiers = served_tiers(agentroute, "mw")
    rank = {tier.name: tier.index for tier in pool.tiers}
    assert rank[tiers[3]] > rank[tiers[1]]
    assert state["messages"][-1].response_metadata["agentroute"]["model"] == agentroute.store.records("mw")[-1].model


@pytest.mark.parametrize("door", ["model", "middleware"])
def test_agent_stops_cleanly_at_the_cap(llm: FakeLLM, pool: Pool, tmp_path: Path, door: str) -> None:
    agentroute = AgentRoute(pool=pool, policy="always:high", budget_usd=0.02, store=tmp_path / "runs.sqlite", settings=FAST)
    llm.default_reply = Reply(content=None, tool_calls=[{"name": "bash", "arguments": {"command": "ls"}}], completion_tokens=150)
    bash = scripted_bash(["ok\nexit code: 0"] * 100)
    if door == "model":
        agent = create_agent(agentroute.chat_model(), tools=[bash])
    else:
        unrouted = ChatLiteLLM(model="openai/unrouted", api_base=llm.base_url, api_key="test")
        agent = create_agent(unrouted, tools=[bash], middleware=[agentroute.middleware()])
    state = agent.invoke({"messages": [HumanMessage("loop forever")]}, {"configurable": {"thread_id": "cap"}})
    final = state["messages"][-1]
    assert final.response_metadata["agentroute_outcome"] == "budget_exhausted"
    router = agentroute.router("cap")
    assert 0 < router.ledger.spent_nanos <= router.ledger.cap_nanos
    assert router.records[-1].outcome == "budget_exhausted"
    assert len(llm.requests) == sum(1 for r in router.records if r.outcome == "ok")


def test_supervised_agent_carries_budget_and_trace_in_state(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    agentroute = AgentRoute(pool=pool, budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST)
    enqueue_episode(llm)
    agent = create_agent(agentroute.chat_model(), tools=[scripted_bash([out for _, out in FAILING_EPISODE])])
    app = agentroute.supervise(agent, checkpointer=InMemorySaver())
    state = app.invoke({"messages": [HumanMessage("Fix it.")]}, {"configurable": {"thread_id": "sup"}})
    assert state["outcome"] == "completed"
    assert state["budget"]["cap_usd"] == 0.5
    assert state["budget"]["spent_usd"] == pytest.approx(sum(r["cost_nanos"] for r in state["trace"]) / 1e9)
    assert len(state["trace"]) == 5 and state["trace"][0]["node"] == "model"
    assert TraceStore(tmp_path / "runs.sqlite").run("sup").outcome == "completed"


def test_supervised_plain_callable_gets_the_router(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    agentroute = AgentRoute(pool=pool, policy="always:mid", budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST)

    def summarise(state: dict[str, Any], router: Any) -> str:
        reply = router.complete([{"role": "user", "content": state["messages"][-1].content}], node="summarise")
        return reply.choices[0].message.content

    llm.enqueue(Reply(content="summary"))
    app = agentroute.supervise(summarise, checkpointer=InMemorySaver())
    state = app.invoke({"messages": [HumanMessage("long text")]}, {"configurable": {"thread_id": "fn"}})
    assert state["messages"][-1].content == "summary"
    assert [(r["node"], r["tier_name"]) for r in state["trace"]] == [("summarise", "mid")]


def run_child(llm: FakeLLM, home: Path, door: str, mode: str) -> CliProcess:
    return start_script(TESTS / "resumable_agent.py", llm.base_url, str(home), door, mode, cwd=TESTS)


@pytest.mark.parametrize("door", ["supervised", "middleware"])
def test_killed_run_resumes_from_its_sqlite_checkpoint_with_spend_intact(llm: FakeLLM, tmp_path: Path, door: str) -> None:
    for n in (1, 2, 3):
        llm.enqueue(Reply(content=None, tool_calls=[{"name": "work", "arguments": {"n": n}}]))
    llm.enqueue(Reply(content="all three done"))
    child = run_child(llm, tmp_path, door, "first")
    child.wait_for_line("TOOL 2", timeout=240)  # generous: a loaded machine is slow to start the fork server
    child.kill()  # SIGKILL: no cleanup of any kind
    assert child.wait() == -signal.SIGKILL
    assert len(llm.requests) == 2  # two model calls happened before the kill
    spent_before = TraceStore(tmp_path / "runs.sqlite").spent_nanos(f"job-{door}")
    assert spent_before > 0

    resumed = run_child(llm, tmp_path, door, "resume").result(timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    result = json.loads(next(line for line in resumed.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert len(llm.requests) == 4  # resumed at the interrupted tool: no model call was repeated
    assert result["final"] == "all three done"
    assert result["tools_seen"] == 3
    assert result["steps"] == [0, 1, 2, 3]
    assert result["spent_nanos"] == TraceStore(tmp_path / "runs.sqlite").spent_nanos(f"job-{door}") > spent_before
    if door == "supervised":
        assert result["outcome"] == "completed"


def test_memory_closes_the_loop_for_a_supervised_run(llm: FakeLLM, pool: Pool, tmp_path: Path) -> None:
    from agentroute.memory.store import ExperienceMemory

    memory = ExperienceMemory(tmp_path / "memory")
    agentroute = AgentRoute(pool=pool, budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST, memory=memory)
    enqueue_episode(llm)
    agent = create_agent(agentroute.chat_model(), tools=[scripted_bash([out for _, out in FAILING_EPISODE])])
    state = agentroute.supervise(agent, checkpointer=InMemorySaver()).invoke(
        {"messages": [HumanMessage("Fix it.")]}, {"configurable": {"thread_id": "remembered"}})
    assert state["outcome"] == "completed"
    exported = tmp_path / "memory.jsonl"
    assert memory.export_jsonl(exported) == 5  # one experience per routed call
    records = [json.loads(line) for line in exported.read_text().splitlines()]
    assert {record["run_id"] for record in records} == {"remembered"}
    assert sorted(record["step"] for record in records) == [0, 1, 2, 3, 4]
    assert {record["task_outcome"] for record in records} == {"completed"}  # credited when the run ended
    assert [record["tier"] for record in sorted(records, key=lambda r: r["step"])] == [
        pool.tier_named(r.tier_name).index for r in agentroute.store.records("remembered")]
