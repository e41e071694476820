"""`agentroute serve` with the official openai SDK as the client and the scripted model server
behind the router: routed steps, the hard per-task budget, tool calls, auth and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from conftest import FAST
from fakellm import FakeLLM, Reply
from serving import serving

from agentroute.app import AgentRoute
from agentroute.budget import validate_cap
from agentroute.pool import Pool
from agentroute.serve import ServeSettings
from agentroute.trace import TraceStore

TOOLS = [{"type": "function", "function": {
    "name": "bash", "description": "Run a shell command.",
    "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}}]
OPENING = [{"role": "system", "content": "You are a coding agent."},
           {"role": "user", "content": "Fix the failing test in parser.py."}]


class Counted:
    """An openai client whose every HTTP request (retries included) is counted."""

    def __init__(self, base_url: str, api_key: str = "unused", **options: object) -> None:
        self.sent = 0
        http = httpx.Client(event_hooks={"request": [self._count]})
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key, http_client=http, **options)

    def _count(self, _: httpx.Request) -> None:
        self.sent += 1


def make_route(pool: Pool, tmp_path: Path, *, policy: str = "always:mid", budget: float = 0.01) -> AgentRoute:
    return AgentRoute(pool=pool, policy=policy, budget_usd=budget, store=TraceStore(tmp_path / "runs.sqlite"),
                      settings=FAST, task={"source": "serve"})


@pytest.fixture
def route(pool: Pool, tmp_path: Path) -> AgentRoute:
    return make_route(pool, tmp_path)


@pytest.fixture
def base_url(route: AgentRoute) -> Iterator[str]:
    with serving(ServeSettings(budget_usd=0.01, max_budget_usd=0.05), route) as url:
        yield url


def stream_reply(stream: openai.Stream) -> tuple[str, dict[int, dict[str, str]], str | None, object]:
    """Content, tool calls (by index), finish reason and usage read from an SDK stream."""
    content, calls, finish, usage = "", {}, None, None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            content += choice.delta.content or ""
            finish = choice.finish_reason or finish
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += call.id or ""
                entry["name"] += (call.function.name or "") if call.function else ""
                entry["arguments"] += (call.function.arguments or "") if call.function else ""
    return content, calls, finish, usage


def check_trace_under_cap(store: TraceStore, run_id: str, cap_usd: float, upstream_calls: int) -> None:
    """Spend ≤ cap, no attempt left pending, one billed record per upstream call, run ended on the budget."""
    records = store.records(run_id)
    model_records = [record for record in records if record.outcome != "budget_exhausted"]
    assert sum(record.cost_nanos for record in records) <= validate_cap(cap_usd)
    assert [record.outcome for record in model_records] == ["ok"] * upstream_calls
    assert records[-1].outcome == "budget_exhausted"
    info = store.run(run_id)
    assert (info.outcome, info.cap_usd) == ("budget_exhausted", cap_usd)


@pytest.mark.parametrize("stream", [False, True])
def test_openai_sdk_runs_routed_steps_until_the_cap_and_stops_cleanly(
        base_url: str, llm: FakeLLM, route: AgentRoute, stream: bool) -> None:
    llm.default_reply = Reply(content="I ran the tests; next I will edit parser.py.", completion_tokens=150)
    counted = Counted(base_url)
    messages = list(OPENING)
    for calls in range(1, 60):
        request = dict(model="gpt-4o", messages=messages, extra_headers={"X-AgentRoute-Task": "fix-parser"})
        if stream:
            raw = counted.client.chat.completions.with_raw_response.create(
                **request, stream=True, stream_options={"include_usage": True})
            outcome = raw.headers["x-agentroute-outcome"]
            content, tool_calls, finish, usage = stream_reply(raw.parse())
        else:
            response = counted.client.chat.completions.create(**request)
            outcome = response.model_extra["agentroute"]["outcome"]
            content, finish, usage = response.choices[0].message.content, response.choices[0].finish_reason, response.usage
            tool_calls = response.choices[0].message.tool_calls
        assert counted.sent == calls  # one HTTP request per step: nothing was retried
        messages += [{"role": "assistant", "content": content}, {"role": "user", "content": "Continue."}]
        if outcome != "ok":
            break
        assert finish == "stop" and usage.completion_tokens > 0
    assert outcome == "budget_exhausted" and finish == "stop" and not tool_calls
    assert content.startswith("[agentroute] Stopping: budget exhausted")
    upstream = len(llm.requests)
    assert upstream == calls - 1 >= 3
    # routed (always:mid, then the cheaper tier once mid no longer fits), never the client's "gpt-4o"
    assert llm.requests[0]["model"] == "mid-a" and {request["model"] for request in llm.requests} <= {"mid-a", "tiny"}
    check_trace_under_cap(route.store, "serve-fix-parser", 0.01, upstream)
    # asking again after the stop gets the same final answer without reaching the model
    again = counted.client.chat.completions.create(model="gpt-4o", messages=messages,
                                                   extra_headers={"X-AgentRoute-Task": "fix-parser"})
    assert again.model_extra["agentroute"]["outcome"] == "budget_exhausted"
    assert len(llm.requests) == upstream and counted.sent == calls + 1


def test_tool_calls_pass_through_both_ways(base_url: str, llm: FakeLLM, route: AgentRoute) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="unused")
    llm.enqueue(Reply(content=None, tool_calls=[{"id": "call_1", "name": "bash", "arguments": {"command": "pytest -q"}}]))
    first = client.chat.completions.create(model="x", messages=OPENING, tools=TOOLS, tool_choice="auto", user="tools-task")
    call = first.choices[0].message.tool_calls[0]
    assert (first.choices[0].finish_reason, call.id, call.function.name) == ("tool_calls", "call_1", "bash")
    assert json.loads(call.function.arguments) == {"command": "pytest -q"}
    assert llm.requests[0]["tools"] == TOOLS and llm.requests[0]["body"]["tool_choice"] == "auto"
    history = [*OPENING, first.choices[0].message.model_dump(exclude_none=True),
               {"role": "tool", "tool_call_id": "call_1", "content": "1 failed"}]
    llm.enqueue(Reply(content=None, tool_calls=[{"id": "call_2", "name": "bash", "arguments": {"command": "cat parser.py"}}]))
    with client.chat.completions.create(model="x", messages=history, tools=TOOLS, user="tools-task", stream=True) as stream:
        _, calls, finish, usage = stream_reply(stream)
    assert finish == "tool_calls" and usage is None  # no usage chunk unless the client asks for it
    assert calls == {0: {"id": "call_2", "name": "bash", "arguments": json.dumps({"command": "cat parser.py"})}}
    sent = llm.requests[1]["messages"]
    assert sent[2]["tool_calls"][0]["id"] == "call_1" and sent[3] == {"role": "tool", "tool_call_id": "call_1", "content": "1 failed"}
    assert [record.step for record in route.store.records("serve-tools-task")] == [0, 1]


def test_tasks_are_named_by_header_then_user_then_conversation(base_url: str, llm: FakeLLM, route: AgentRoute) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="unused")
    other = [OPENING[0], {"role": "user", "content": "Add a --verbose flag."}]
    response = client.chat.completions.create(model="x", messages=OPENING)
    conversation = response.model_extra["agentroute"]["task"]
    assert conversation.startswith("conv-")
    # the same trajectory, one step later, is the same task; another conversation is another task
    longer = [*OPENING, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "Continue."}]
    assert client.chat.completions.create(model="x", messages=longer).model_extra["agentroute"]["task"] == conversation
    assert client.chat.completions.create(model="x", messages=other).model_extra["agentroute"]["task"] != conversation
    assert client.chat.completions.create(model="x", messages=other, user="u1").model_extra["agentroute"]["task"] == "u1"
    named = client.chat.completions.create(model="x", messages=other, user="u1", extra_headers={"X-AgentRoute-Task": "h1"})
    assert named.model_extra["agentroute"]["task"] == "h1"
    assert [len(route.store.records(f"serve-{conversation}")), len(route.store.records("serve-u1"))] == [2, 1]


def test_budget_header_sets_a_new_tasks_cap_and_bad_values_get_one_line_400(base_url: str, llm: FakeLLM, route: AgentRoute) -> None:
    counted = Counted(base_url)

    def ask(task: str, budget: str) -> object:
        return counted.client.chat.completions.create(
            model="x", messages=OPENING, extra_headers={"X-AgentRoute-Task": task, "X-AgentRoute-Budget": budget})

    assert ask("small", "0.004").model_extra["agentroute"]["budget_usd"] == 0.004
    assert route.store.run("serve-small").cap_usd == 0.004
    for task, budget, text in [("a", "abc", "budget must be a number"), ("b", "-1", "greater than 0"),
                               ("c", "nan", "finite"), ("d", "0.5", "above this server's per-task limit $0.05"),
                               ("small", "0.02", "already runs under a $0.004 budget")]:
        sent = counted.sent
        with pytest.raises(openai.BadRequestError) as caught:
            ask(task, budget)
        assert counted.sent == sent + 1  # a 400 is not retried
        message = caught.value.body["message"]
        assert text in message and "\n" not in message
    assert len(llm.requests) == 1


def test_api_key_is_required_when_set(pool: Pool, tmp_path: Path, llm: FakeLLM) -> None:
    settings = ServeSettings(budget_usd=0.01, api_key="s3rv3r-k3y-123")
    with serving(settings, make_route(pool, tmp_path)) as url:
        wrong = Counted(url, api_key="nope")
        with pytest.raises(openai.AuthenticationError) as caught:
            wrong.client.chat.completions.create(model="x", messages=OPENING)
        assert wrong.sent == 1 and caught.value.status_code == 401
        assert httpx.get(f"{url}/models").status_code == 401
        assert not llm.requests
        right = openai.OpenAI(base_url=url, api_key="s3rv3r-k3y-123")
        assert [model.id for model in right.models.list()] == ["agentroute"]
        assert right.chat.completions.create(model="x", messages=OPENING).choices[0].message.content == "ok"


def test_provider_failure_is_a_clean_openai_error(base_url: str, llm: FakeLLM, route: AgentRoute) -> None:
    llm.default_reply = Reply(fault="500")
    counted = Counted(base_url)  # the SDK's default 2 retries stay unused: the router already retried
    with pytest.raises(openai.APIStatusError) as caught:
        counted.client.chat.completions.create(model="x", messages=OPENING, user="down")
    assert caught.value.status_code == 502 and counted.sent == 1
    assert caught.value.body["type"] == "upstream_error"
    assert caught.value.body["message"].startswith("every model tried for step 0 failed")
    assert all(record.outcome in ("retry", "error") for record in route.store.records("serve-down"))


def test_malformed_requests_get_one_line_400(base_url: str, llm: FakeLLM) -> None:
    for body, text in [({"model": "x", "messages": []}, "messages"), ({"model": "x", "messages": OPENING, "n": 2}, "n=1"),
                       ({"model": "x", "messages": OPENING, "max_tokens": 0}, "max_tokens")]:
        response = httpx.post(f"{base_url}/chat/completions", json=body)
        assert response.status_code == 400
        message = response.json()["error"]["message"]
        assert text in message and "\n" not in message
    assert not llm.requests


def test_only_generation_parameters_reach_the_provider(base_url: str, llm: FakeLLM) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="unused")
    client.chat.completions.create(model="x", messages=OPENING, temperature=0.2, max_tokens=50, extra_body={
        "api_base": "http://127.0.0.1:9/v1", "api_key": "stolen", "mock_response": "fake", "metadata": {"a": 1}})
    body = llm.requests[0]["body"]
    assert (body["temperature"], body["max_tokens"]) == (0.2, 50)
    assert not {"api_base", "api_key", "mock_response", "metadata"} & set(body)


def test_the_serve_command_serves_and_its_tasks_show_in_runs_and_trace(llm: FakeLLM, tmp_path: Path) -> None:
    import re
    import signal

    from cli import assert_one_line_error, run_cli, start_cli
    from conftest import POOL_TOML

    (tmp_path / "pool.toml").write_text(POOL_TOML.format(base_url=llm.base_url))
    store = str(tmp_path / "runs.sqlite")
    assert_one_line_error(run_cli("serve", "--budget", "0"), "budget must be greater than 0")
    assert_one_line_error(run_cli("serve", "--budget", "0.5", "--max-budget", "0.1"), "--max-budget $0.1 is below --budget $0.5")
    server = start_cli("serve", "--port", "0", "--pool", str(tmp_path / "pool.toml"), "--policy", "always:low",
                       "--budget", "0.02", "--no-memory", "--store", store, "--api-key", "k3y-for-the-test")
    try:
        line = server.wait_for_line("agentroute serve: ", timeout=120)
        url = re.search(r"http://127\.0\.0\.1:\d+/v1", line).group(0)
        client = openai.OpenAI(base_url=url, api_key="k3y-for-the-test")
        reply = client.chat.completions.create(model="x", messages=OPENING, extra_headers={"X-AgentRoute-Task": "from-cli"})
        assert reply.choices[0].message.content == "ok" and llm.requests[0]["model"] == "tiny"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    listed = run_cli("runs", "--store", store)
    assert listed.returncode == 0 and "serve-from-cli" in listed.stdout and "always:low" in listed.stdout
    traced = run_cli("trace", "serve-from-cli", "--store", store)
    assert traced.returncode == 0 and "openai/tiny" in traced.stdout and "of $0.02 budget" in traced.stdout


def test_steps_are_written_to_the_memory_and_a_finished_task_is_credited(pool: Pool, tmp_path: Path, llm: FakeLLM) -> None:
    from agentroute.memory.store import ExperienceMemory

    memory = ExperienceMemory(tmp_path / "chroma")
    route = AgentRoute(pool=pool, policy="budget-aware", budget_usd=0.05, store=TraceStore(tmp_path / "runs.sqlite"),
                       settings=FAST, memory=memory)
    with serving(ServeSettings(budget_usd=0.05), route) as url:
        client = openai.OpenAI(base_url=url, api_key="unused")
        for _ in range(2):
            client.chat.completions.create(model="x", messages=OPENING, extra_headers={"X-AgentRoute-Task": "remembered"})
        finished = httpx.post(f"{url}/agentroute/tasks/remembered/finish", json={"outcome": "resolved"})
        unknown = httpx.post(f"{url}/agentroute/tasks/never-seen/finish", json={"outcome": "resolved"})
    assert finished.status_code == 200 and unknown.status_code == 404
    steps = [experience for experience in memory.experiences() if experience.run_id == "serve-remembered"]
    assert sorted(experience.step for experience in steps) == [0, 1]
    assert {(experience.task_outcome, experience.task_success) for experience in steps} == {("resolved", 1.0)}
    assert route.store.run("serve-remembered").outcome == "resolved"
