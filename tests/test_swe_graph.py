"""The coding agent as `langgraph.json` serves it: the module-level graph, configured by env."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import POOL_TOML
from fakellm import FakeLLM
from scripted_solver import ScriptedSolver

from agentroute.swe.task import load_tasks

ROOT = Path(__file__).resolve().parents[1]


def test_the_langgraph_json_graph_solves_a_task_under_the_env_budget(
        home: Path, llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task_dir = ROOT / "evals" / "swe" / "local__jsonpointer-1"
    [task] = load_tasks(task_dir)
    pool = tmp_path / "pool.toml"
    pool.write_text(POOL_TOML.format(base_url=llm.base_url))
    monkeypatch.setenv("AGENTROUTE_POOL", str(pool))
    monkeypatch.setenv("AGENTROUTE_BUDGET", "0.25")
    monkeypatch.setenv("AGENTROUTE_POLICY", "cascade")
    llm.responder = ScriptedSolver([task])

    file, attribute = json.loads((ROOT / "langgraph.json").read_text())["graphs"]["swe_agent"].split(":")
    spec = importlib.util.spec_from_file_location("swe_agent_graph", ROOT / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    graph = getattr(module, attribute)

    state = graph.invoke({"task": str(task_dir)}, {"configurable": {"thread_id": "studio-1"}})
    assert state["outcome"] == "resolved" and state["steps"] == 5
    router = module.route.router("studio-1")
    assert router.policy.name.startswith("cascade")
    snapshot = router.ledger.snapshot()
    assert snapshot.cap_usd == 0.25 and 0 < snapshot.spent_usd <= 0.25 and snapshot.calls == 5
    assert not Path(state["workspace"]).exists()  # the workspace is removed when the task ends
