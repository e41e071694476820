"""Stock mini-swe-agent (its litellm model, pointed at the server by `api_base`) on a local suite
task: every step routed under the task's budget, and a clean, bounded stop at the cap."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import FAST
from fakellm import FakeLLM, Reply
from serving import serving

from agentroute.app import AgentRoute
from agentroute.budget import validate_cap
from agentroute.pool import Pool
from agentroute.serve import ServeSettings
from agentroute.trace import TraceStore

TASK = Path(__file__).resolve().parents[1] / "evals" / "swe" / "local__calc-1"


def test_stock_mini_swe_agent_is_routed_until_the_cap_and_exits_without_retrying(
        llm: FakeLLM, pool: Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSWEA_GLOBAL_CONFIG_DIR", str(tmp_path / "mini-config"))
    monkeypatch.setenv("MSWEA_SILENT_STARTUP", "1")
    import minisweagent.config
    from minisweagent.agents.default import DefaultAgent
    from minisweagent.environments.local import LocalEnvironment
    from minisweagent.models.litellm_model import LitellmModel

    repo = shutil.copytree(TASK / "repo", tmp_path / "repo")
    commands = iter(["ls", "cat minicalc/*.py | head -50", "grep -rn 'def ' minicalc | head -20"] * 20)
    llm.responder = lambda body: Reply(content="Looking around.", completion_tokens=150,
                                       tool_calls=[{"name": "bash", "arguments": {"command": next(commands)}}])
    route = AgentRoute(pool=pool, policy="always:mid", budget_usd=0.006, store=TraceStore(tmp_path / "runs.sqlite"),
                       settings=FAST)
    config = yaml.safe_load((Path(minisweagent.config.__file__).parent / "default.yaml").read_text())
    with serving(ServeSettings(budget_usd=0.006), route) as url:
        model = LitellmModel(model_name="openai/agentroute", cost_tracking="ignore_errors", model_kwargs={
            "api_base": url, "api_key": "unused", "extra_headers": {"X-AgentRoute-Task": "mini-calc"}})
        agent = DefaultAgent(model, LocalEnvironment(cwd=str(repo)), **{**config["agent"], "step_limit": 40})
        result = agent.run(task=json.loads((TASK / "task.json").read_text())["problem_statement"])
    records = route.store.records("serve-mini-calc")
    billed = [record for record in records if record.outcome == "ok"]
    stops = [record for record in records if record.outcome == "budget_exhausted"]
    # mini-swe-agent reads the stop answer (no tool call) as a format error, asks again, gets the same
    # free answer, and exits after its 3 consecutive format errors: no retry loop, no extra spend
    assert result["exit_status"] == "RepeatedFormatError"
    assert agent.n_calls == len(billed) + len(stops) and len(stops) == config["agent"].get("max_consecutive_format_errors", 3)
    assert len(billed) == len(llm.requests) >= 3 and len(records) == len(billed) + len(stops)
    assert sum(record.cost_nanos for record in records) <= validate_cap(0.006)
    refused = [message["extra"]["response"]["choices"][0]["message"]["content"] for message in agent.messages
               if message.get("extra", {}).get("interrupt_type") == "FormatError"]
    assert len(refused) == len(stops) and all(text.startswith("[agentroute] Stopping: budget exhausted") for text in refused)
    assert route.store.run("serve-mini-calc").outcome == "budget_exhausted"
    # the commands the routed model chose really ran in the task's repository
    assert any("minicalc" in str(message.get("content")) for message in agent.messages if message.get("role") == "tool")
