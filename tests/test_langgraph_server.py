"""The graphs of langgraph.json as the LangGraph server runs them: every run on a thread shares the
thread's one budget, the memory is configured from either environment variable, and (with the
optional `langgraph-server` extra) a real `langgraph dev` server runs one thread twice under one cap."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import POOL_TOML
from fakellm import FakeLLM
from local_server import free_port, wait_until_up
from scripted_solver import ScriptedSolver
from test_memory_store import served_chroma

from agentroute.swe.task import load_tasks
from agentroute.trace import TraceStore

ROOT = Path(__file__).resolve().parents[1]
TASK_DIR = ROOT / "evals" / "swe" / "local__jsonpointer-1"
ONE_RUN_USD = 0.002708  # what the scripted solution of TASK_DIR costs on the "low" tier (5 calls)
CAP_USD = 0.004  # one run fits; two runs would not


def load_graph_module() -> ModuleType:
    """graphs/swe_agent.py loaded as `langgraph dev` loads it: from langgraph.json, configured by env."""
    file, _ = json.loads((ROOT / "langgraph.json").read_text())["graphs"]["swe_agent"].split(":")
    spec = importlib.util.spec_from_file_location(f"swe_agent_graph_{uuid.uuid4().hex}", ROOT / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve_the_solver(llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap_usd: float = CAP_USD) -> None:
    """The scripted solver on the fake server, a pool pointing at it, a budget of `cap_usd`."""
    pool = tmp_path / "pool.toml"
    pool.write_text(POOL_TOML.format(base_url=llm.base_url))
    monkeypatch.setenv("AGENTROUTE_POOL", str(pool))
    monkeypatch.setenv("AGENTROUTE_BUDGET", str(cap_usd))
    monkeypatch.setenv("AGENTROUTE_POLICY", "always:low")
    llm.responder = ScriptedSolver(load_tasks(TASK_DIR))


def server_config(thread_id: str) -> dict[str, Any]:
    """The `configurable` the LangGraph server passes a run: the thread, and a run id new each run."""
    return {"configurable": {"thread_id": thread_id, "run_id": str(uuid.uuid4()), "graph_id": "swe_agent",
                             "assistant_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, "swe_agent")), "user_id": ""}}


def test_runs_on_one_thread_share_the_thread_budget(
        home: Path, llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cap_usd = ONE_RUN_USD / 2  # the first run stops partway; a fresh budget per run would let the second call again
    serve_the_solver(llm, tmp_path, monkeypatch, cap_usd)
    module = load_graph_module()

    async def run(thread_id: str) -> dict[str, Any]:  # the server runs graphs async
        return await module.graph.ainvoke({"task": str(TASK_DIR)}, server_config(thread_id))

    first = asyncio.run(run("studio"))
    calls = len(llm.requests)
    assert first["outcome"] == "budget_exhausted" and calls >= 2
    second = asyncio.run(run("studio"))
    # only what the first run left: a fresh budget would have paid for as many calls again
    assert second["outcome"] == "budget_exhausted" and len(llm.requests) - calls < calls
    store = TraceStore(home / "runs.sqlite")
    assert [run.run_id for run in store.runs()] == ["studio"]
    assert 0 < store.spent_nanos("studio") / 1e9 <= cap_usd
    assert [record.outcome for record in store.records("studio")].count("budget_exhausted") == 2  # one stop per run
    third = asyncio.run(run("another-thread"))  # another thread has its own budget
    assert len(llm.requests) > calls and store.spent_nanos("another-thread") / 1e9 <= cap_usd
    assert third["outcome"] == "budget_exhausted"


def test_the_graph_takes_its_memory_from_either_variable(
        llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_the_solver(llm, tmp_path, monkeypatch)
    monkeypatch.delenv("AGENTROUTE_MEMORY", raising=False)
    monkeypatch.delenv("AGENTROUTE_MEMORY_URL", raising=False)
    assert load_graph_module().route.memory is None
    monkeypatch.setenv("AGENTROUTE_MEMORY", str(tmp_path / "memory"))
    assert load_graph_module().route.memory.path == (tmp_path / "memory").resolve()
    monkeypatch.delenv("AGENTROUTE_MEMORY")
    with served_chroma(tmp_path / "chroma") as (url, _):
        monkeypatch.setenv("AGENTROUTE_MEMORY_URL", url)
        assert load_graph_module().route.memory.url == url


def test_langgraph_dev_runs_a_thread_twice_under_one_cap(
        home: Path, llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langgraph_api", reason="the optional `langgraph-server` extra (langgraph-cli[inmem]) is not installed")
    from langgraph_sdk import get_sync_client

    serve_the_solver(llm, tmp_path, monkeypatch)
    served = tmp_path / "served"  # a copy of the project's langgraph.json, so `.langgraph_api/` lands here
    served.mkdir()
    config = json.loads((ROOT / "langgraph.json").read_text())
    config["graphs"] = {name: str(ROOT / spec) for name, spec in config["graphs"].items()}
    config["dependencies"] = [str(ROOT)]
    (served / "langgraph.json").write_text(json.dumps(config))
    port = free_port()
    command = [shutil.which("langgraph", path=str(Path(sys.executable).parent)) or "langgraph",
               "dev", "--no-browser", "--no-reload", "--port", str(port)]
    log = (tmp_path / "langgraph-dev.log").open("wb")
    server = subprocess.Popen(command, cwd=served, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)  # its own process group: the server's workers go with it
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, f"{url}/ok", seconds=180, log=tmp_path / "langgraph-dev.log")
        client = get_sync_client(url=url)
        thread = client.threads.create()
        outcomes = [client.runs.wait(thread["thread_id"], "swe_agent", input={"task": str(TASK_DIR)})["outcome"]
                    for _ in range(2)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)  # whatever of the group is left
            log.close()
    assert outcomes == ["resolved", "budget_exhausted"]
    store = TraceStore(home / "runs.sqlite")
    assert [run.run_id for run in store.runs()] == [thread["thread_id"]]
    # the second run continues the thread's transcript (the server checkpoints it): a longer
    # prompt than what is left can pay for, so it stops before calling
    assert ONE_RUN_USD <= store.spent_nanos(thread["thread_id"]) / 1e9 <= CAP_USD
    assert store.records(thread["thread_id"])[-1].outcome == "budget_exhausted"
