"""Stock mini-swe-agent, routed by agentroute.integrations.minisweagent: its own config files, model
factory, agents, local environment, batch runner and `mini` CLI, on a suite task, against the
scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST, POOL_TOML
from fakellm import FakeLLM, Reply
from gitrepo import checkout_of

os.environ.setdefault("MSWEA_SILENT_STARTUP", "1")  # mini prints a banner and reads ~/.config at import
os.environ.setdefault("MSWEA_GLOBAL_CONFIG_DIR", tempfile.mkdtemp(prefix="mswea-config-"))

from minisweagent.agents.default import DefaultAgent  # noqa: E402
from minisweagent.config import get_config_from_spec  # noqa: E402
from minisweagent.environments.local import LocalEnvironment  # noqa: E402
from minisweagent.exceptions import LimitsExceeded  # noqa: E402
from minisweagent.models import get_model  # noqa: E402
from minisweagent.run.benchmarks.swebench import process_instance  # noqa: E402
from minisweagent.run.benchmarks.utils.batch_progress import RunBatchProgressManager  # noqa: E402

from agentroute.errors import AllModelsFailed, CallerError  # noqa: E402
from agentroute.money import nanos_down  # noqa: E402
from agentroute.trace import TraceStore  # noqa: E402

TASK = Path(__file__).parent.parent / "evals" / "swe" / "local__calc-1"
MODEL_CLASS = "agentroute.integrations.minisweagent.AgentRouteModel"
SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff"


def bash(command: str) -> Reply:
    return Reply(content=f"Next: {command}", tool_calls=[{"name": "bash", "arguments": {"command": command}}])


def solving_script() -> list[Reply]:
    """A model that looks, applies the reference fix, checks the issue's examples, and submits."""
    return [bash("grep -n 'def power' -A8 minicalc/evaluator.py"), bash(f"git apply {TASK / 'gold.patch'}"),
            bash(f"{sys.executable} -c \"from minicalc import evaluate; print(evaluate('2 ^ 3 ^ 2'), evaluate('2 ^ -1'))\""),
            bash(SUBMIT)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    checkout_of(TASK / "repo", tmp_path / "repo")
    return tmp_path / "repo"


@pytest.fixture
def pool_file(llm: FakeLLM, tmp_path: Path) -> Path:
    path = tmp_path / "pool.toml"
    path.write_text(POOL_TOML.format(base_url=llm.base_url))
    return path


def routed_config(pool_file: Path, store: Path, *, budget: float, **model: Any) -> dict[str, Any]:
    """mini's own shipped `mini.yaml`, with the one change that routes it (plus test-fast router settings)."""
    config = get_config_from_spec("mini.yaml")
    config["model"] |= {"model_class": MODEL_CLASS, "model_name": "agentroute", "pool": str(pool_file),
                        "budget_usd": budget, "trace_store": str(store), "policy": "always:low",
                        "router": FAST.model_dump(), **model}
    return config


def run_mini(config: dict[str, Any], repo: Path, output: Path) -> tuple[DefaultAgent, dict[str, Any]]:
    model = get_model(config=config["model"])
    agent = DefaultAgent(model, LocalEnvironment(cwd=str(repo)), **{**config["agent"], "output_path": output})
    info = agent.run(json.loads((TASK / "task.json").read_text())["problem_statement"])
    return agent, info


def assistant_turns(agent: DefaultAgent) -> list[dict[str, Any]]:
    return [message for message in agent.messages if message["role"] == "assistant"]


def test_mini_solves_a_suite_task_with_every_step_routed(llm: FakeLLM, pool_file: Path, repo: Path, tmp_path: Path) -> None:
    for reply in solving_script():
        llm.enqueue(reply)
    store = tmp_path / "runs.sqlite"
    agent, info = run_mini(routed_config(pool_file, store, budget=0.5), repo, tmp_path / "traj.json")

    assert info["exit_status"] == "Submitted"
    assert "exponent = self.unary()" in info["submission"] and "minicalc/evaluator.py" in info["submission"]
    observations = [message["content"] for message in agent.messages if message["role"] == "tool"]
    assert '"returncode": 0' in observations[2] and "512 0.5" in observations[2]  # the examples now work
    run_id = agent.model.run_id
    records = TraceStore(store).records(run_id)
    assert [(record.step, record.outcome, record.model) for record in records] == [
        (step, "ok", "openai/tiny") for step in range(4)]
    assert len(llm.requests) == len(assistant_turns(agent)) == agent.n_calls == 4
    assert [request["model"] for request in llm.requests] == ["tiny"] * 4
    assert llm.requests[0]["tools"][0]["function"]["name"] == "bash"
    spent = sum(record.cost_nanos for record in records)
    assert spent > 0 and agent.cost == pytest.approx(spent / 1e9)  # mini's cost is the routed spend
    saved = json.loads((tmp_path / "traj.json").read_text())
    assert saved["info"]["agentroute"]["run_id"] == run_id
    assert saved["info"]["model_stats"]["instance_cost"] == pytest.approx(saved["info"]["agentroute"]["spent_usd"])
    assert TraceStore(store).run(run_id).outcome is None  # the model cannot see the submission...
    agent.model.finish("resolved")  # ...so the caller records it after evaluating the task
    assert TraceStore(store).run(run_id).outcome == "resolved"


def test_a_tight_cap_ends_mini_through_its_own_limit(llm: FakeLLM, pool_file: Path, repo: Path, tmp_path: Path) -> None:
    llm.responder = lambda body: bash("ls -la")  # a model that never submits
    store, cap = tmp_path / "runs.sqlite", 0.004
    agent, info = run_mini(routed_config(pool_file, store, budget=cap), repo, tmp_path / "traj.json")

    assert info["exit_status"] == "LimitsExceeded" and info["agentroute_outcome"] == "budget_exhausted"
    assert agent.messages[-1]["role"] == "exit" and "budget exhausted" in agent.messages[-1]["content"]
    records = TraceStore(store).records(agent.model.run_id)
    routed = [record for record in records if record.outcome == "ok"]
    assert [record.outcome for record in records] == ["ok"] * len(routed) + ["budget_exhausted"]  # no retries
    assert len(routed) >= 2
    assert len(llm.requests) == len(routed) == len(assistant_turns(agent))  # no phantom steps
    assert agent.n_calls == len(routed) + 1  # mini counts the query the budget refused; it sent nothing
    spent = sum(record.cost_nanos for record in records)
    assert spent <= nanos_down(cap) and agent.cost == pytest.approx(spent / 1e9)
    assert TraceStore(store).run(agent.model.run_id).outcome == "budget_exhausted"
    saved = json.loads((tmp_path / "traj.json").read_text())
    assert saved["info"]["exit_status"] == "LimitsExceeded" and saved["messages"][-1]["role"] == "exit"
    # the agent asked again (as mini's interactive agent does after new limits): still refused, nothing sent
    with pytest.raises(LimitsExceeded):
        agent.model.query(agent.messages[:-1])
    assert len(llm.requests) == len(routed)


def test_the_text_based_model_is_routed_too(llm: FakeLLM, pool_file: Path, repo: Path, tmp_path: Path) -> None:
    for command in ("ls minicalc", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"):
        llm.enqueue(Reply(content=f"THOUGHT: next.\n\n```mswea_bash_command\n{command}\n```"))
    config = routed_config(pool_file, tmp_path / "runs.sqlite", budget=0.5,
                           model_class="agentroute.integrations.minisweagent.AgentRouteTextbasedModel")
    config = {**config, "agent": get_config_from_spec("mini_textbased.yaml")["agent"]}
    agent, info = run_mini(config, repo, tmp_path / "traj.json")
    assert info["exit_status"] == "Submitted"
    assert "evaluator.py" in next(m["content"] for m in agent.messages if m["role"] == "user" and "returncode" in m["content"])
    assert [request["tools"] for request in llm.requests] == [None, None]  # actions in text, no tools sent
    records = TraceStore(tmp_path / "runs.sqlite").records(agent.model.run_id)
    assert [record.outcome for record in records] == ["ok", "ok"] and agent.cost == pytest.approx(
        sum(record.cost_nanos for record in records) / 1e9)


def test_a_failed_step_is_not_retried_by_mini_as_new_steps(llm: FakeLLM, pool_file: Path, repo: Path, tmp_path: Path) -> None:
    llm.responder = lambda body: Reply(fault="500")  # every provider down
    store = tmp_path / "runs.sqlite"
    with pytest.raises(AllModelsFailed):
        run_mini(routed_config(pool_file, store, budget=0.5), repo, tmp_path / "traj.json")
    saved = json.loads((tmp_path / "traj.json").read_text())
    assert saved["info"]["exit_status"] == "AllModelsFailed" and saved["messages"][-1]["role"] == "exit"
    records = TraceStore(store).records(saved["info"]["agentroute"]["run_id"])
    assert {record.step for record in records} == {0}  # the router's retries and fallbacks, all in one step
    assert len(llm.requests) == len(records) == FAST.attempts_per_model * 3  # tiny, then (tier change) mid-a, mid-b
    assert saved["info"]["model_stats"]["api_calls"] == 1
    assert TraceStore(store).run(saved["info"]["agentroute"]["run_id"]).outcome == "error"


def test_batch_runner_gives_each_instance_its_own_budget(llm: FakeLLM, pool_file: Path, tmp_path: Path) -> None:
    llm.responder = lambda body: bash(SUBMIT)
    store, cap = tmp_path / "runs.sqlite", 0.002
    config = routed_config(pool_file, store, budget=cap)
    config["environment"] = {"environment_class": "local"}
    task = json.loads((TASK / "task.json").read_text())
    progress = RunBatchProgressManager(2)
    for name in ("one", "two"):
        cwd = tmp_path / name
        checkout_of(TASK / "repo", cwd)
        config["environment"]["cwd"] = str(cwd)
        process_instance({**task, "instance_id": f"calc-{name}"}, tmp_path / "out", config, progress)

    trajectories = [json.loads((tmp_path / "out" / f"calc-{name}" / f"calc-{name}.traj.json").read_text())
                    for name in ("one", "two")]
    run_ids = {trajectory["info"]["agentroute"]["run_id"] for trajectory in trajectories}
    assert len(run_ids) == 2 and all(trajectory["info"]["exit_status"] == "Submitted" for trajectory in trajectories)
    for run_id in run_ids:
        info = TraceStore(store).run(run_id)
        assert info.cap_usd == cap and 0 < TraceStore(store).spent_nanos(run_id) <= nanos_down(cap)
    assert len(llm.requests) == 2
    predictions = json.loads((tmp_path / "out" / "preds.json").read_text())
    assert predictions["calc-one"]["model_name_or_path"] == "agentroute"


def test_a_model_kwarg_that_contradicts_the_pool_fails_at_construction(llm: FakeLLM, pool_file: Path, tmp_path: Path) -> None:
    config = routed_config(pool_file, tmp_path / "runs.sqlite", budget=0.5,
                           model_kwargs={"api_base": "http://127.0.0.1:9/v1", "drop_params": True})
    with pytest.raises(CallerError, match="api_base='http://127.0.0.1:9/v1' given by the caller, but the pool sends"):
        get_model(config=config["model"])
    assert TraceStore(tmp_path / "runs.sqlite").runs() == []  # no run was started
    same = routed_config(pool_file, tmp_path / "runs.sqlite", budget=0.5,
                         model_kwargs={"api_base": llm.base_url, "max_tokens": 64})
    model = get_model(config=same["model"])
    llm.enqueue(bash("ls"))
    message = model.query([{"role": "user", "content": "list the files"}])
    assert [action["command"] for action in message["extra"]["actions"]] == ["ls"]
    assert llm.requests[0]["max_tokens"] == 64 and message["extra"]["cost"] > 0


def test_the_mini_cli_is_routed_with_one_config_change(llm: FakeLLM, pool_file: Path, repo: Path, tmp_path: Path) -> None:
    for reply in solving_script():
        llm.enqueue(reply)
    mini = shutil.which("mini", path=str(Path(sys.executable).parent))
    assert mini is not None
    store = tmp_path / "runs.sqlite"
    settings = f"model.router={json.dumps(FAST.model_dump())}"
    command = [mini, "-c", "mini.yaml", "-c", f"model.model_class={MODEL_CLASS}", "-c", f"model.pool={pool_file}",
               "-c", "model.budget_usd=0.5", "-c", f"model.trace_store={store}", "-c", "model.policy=always:low",
               "-c", settings, "-m", "agentroute", "-y", "--exit-immediately", "-o", str(tmp_path / "traj.json"),
               "-t", "Make `^` right-associative in minicalc."]
    env = {**os.environ, "MSWEA_CONFIGURED": "true", "AGENTROUTE_HOME": str(tmp_path / "home")}
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    saved = json.loads((tmp_path / "traj.json").read_text())
    assert saved["info"]["exit_status"] == "Submitted" and "exponent = self.unary()" in saved["info"]["submission"]
    records = TraceStore(store).records(saved["info"]["agentroute"]["run_id"])
    assert [record.outcome for record in records] == ["ok"] * 4 and len(llm.requests) == 4
