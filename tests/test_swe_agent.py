"""The routed coding agent end to end against the fake OpenAI-compatible server.

The model is `ScriptedSolver` on the fake server: it reads the workspace through the bash tool,
writes the fix with the edit tool, runs the tests in the sandbox and submits. Everything between
(routing, budget, litellm's HTTP call, tools, evaluation, outputs) is the real path.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import threading
from pathlib import Path

import pytest
from cli import assert_one_line_error, run_cli, start_cli
from conftest import FAST, POOL_TOML
from fakellm import FakeLLM, Reply
from gitrepo import checkout_of, commit_all
from scripted_solver import ScriptedSolver, solution_script

from agentroute.memory.store import ExperienceMemory
from agentroute.policies.learned import steps_from_experiences
from agentroute.swe.agent import NUDGE, AgentSettings
from agentroute.swe.evaluate import evaluate_patch
from agentroute.swe.runner import RunSettings, run_task
from agentroute.swe.task import load_tasks
from agentroute.trace import TraceStore

SUITE = Path(__file__).resolve().parents[1] / "evals" / "swe"
TASKS = {task.instance_id: task for task in load_tasks(SUITE)}
SEMVER = TASKS["local__semver-1"]


def pool_file(tmp_path: Path, llm: FakeLLM) -> Path:
    path = tmp_path / "pool.toml"
    path.write_text(POOL_TOML.format(base_url=llm.base_url))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_the_agent_solves_a_suite_task_from_the_cli(tmp_path: Path, llm: FakeLLM) -> None:
    llm.responder = ScriptedSolver([SEMVER], script=lambda task: solution_script(task, run_tests=True))
    out, memory = tmp_path / "out", tmp_path / "memory"
    result = run_cli("run", str(SUITE / SEMVER.instance_id), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)),
                     "--out", str(out), "--memory", str(memory), env={"AGENTROUTE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    assert "1 resolved" in result.stdout and "predictions.jsonl" in result.stdout

    [row] = read_jsonl(out / "results.jsonl")
    assert row["outcome"] == "resolved" and row["steps"] == 5 and row["calls"] == 5
    [prediction] = read_jsonl(out / "predictions.jsonl")
    assert set(prediction) == {"instance_id", "model_name_or_path", "model_patch"}
    assert prediction["instance_id"] == SEMVER.instance_id and prediction["model_name_or_path"] == "agentroute-learned"
    assert evaluate_patch(SEMVER, prediction["model_patch"]).resolved

    # every call was routed, billed from the server's usage, and traced; the sum is the task's spend
    records = [r for r in read_jsonl(out / "traces" / f"{SEMVER.instance_id}.jsonl") if r["kind"] == "model"]
    assert [r["outcome"] for r in records] == ["ok"] * 5
    assert all(r["tier_name"] in ("low", "mid", "high") for r in records)
    # the learned step policy (fitted on the shipped seed) made every decision, and says on what evidence
    assert all(r["reason"].startswith("learned n=375, ") and " p=" in r["reason"] and " τ=" in r["reason"] for r in records)
    assert sum(r["cost_nanos"] for r in records) / 1e9 == pytest.approx(row["spent_usd"], abs=1e-9)
    assert 0 < row["spent_usd"] <= 0.5
    assert sum(row["tier_calls"].values()) == 5
    assert [r["model"] for r in records] == ["openai/" + request["model"] for request in llm.requests]

    # the tools ran in the task's workspace: the model saw the repository listing and the test run
    last = llm.requests[-1]["messages"]
    tool_outputs = [m["content"] for m in last if m["role"] == "tool"]
    assert "semver" in tool_outputs[0] and "exit code: 0" in tool_outputs[0]
    assert tool_outputs[2].startswith("edited semver/")  # the fix went in through the edit tool
    assert "passed" in tool_outputs[3] and "exit code: 0" in tool_outputs[3]
    assert {tool["function"]["name"] for tool in llm.requests[0]["tools"]} == {"bash", "edit", "submit"}
    # what local OpenAI-compatible servers (llama.cpp) need to call tools: an explicit "auto", and text content
    assert all(request["body"]["tool_choice"] == "auto" for request in llm.requests)
    assert all(m["content"] == "" for m in last if m["role"] == "assistant")
    assert SEMVER.patch not in json.dumps(llm.requests[0]["messages"])  # the reference fix is never shown

    # the C-A-F loop: each decision was remembered with its step features and credited with the task
    # outcome, so the next fit of the learned policy learns from this run
    store = ExperienceMemory(memory)
    experiences = store.experiences()
    assert len(experiences) == 5
    assert {(e.task_outcome, e.task_success) for e in experiences} == {("resolved", 1.0)}
    assert all(e.features["x_tiers"] == 3 and e.features["x_coding_agent"] == 1.0 for e in experiences)
    assert len(steps_from_experiences(experiences)) == 5


def run_settings(budget: float, max_steps: int = 20, keep_workspace: bool = False) -> RunSettings:
    return RunSettings(budget_usd=budget, router=FAST, agent=AgentSettings(max_steps=max_steps, keep_workspace=keep_workspace))


def test_a_budget_too_small_for_the_task_stops_it_as_budget_exhausted(tmp_path: Path, llm: FakeLLM) -> None:
    from conftest import make_pool

    llm.responder = ScriptedSolver([SEMVER])
    store = TraceStore(tmp_path / "runs.sqlite")
    result = run_task(SEMVER, make_pool(llm.base_url), run_settings(budget=0.0015), store=store)
    assert result.outcome == "budget_exhausted"
    assert 0 < result.spent_usd <= 0.0015
    assert result.steps < 5
    records = store.records(result.run_id)
    assert records[-1].outcome == "budget_exhausted"
    assert sum(record.cost_nanos for record in records) / 1e9 == pytest.approx(result.spent_usd, abs=1e-9)
    assert store.run(result.run_id).outcome == "budget_exhausted"


def test_an_agent_that_never_submits_stops_at_the_step_limit(tmp_path: Path, llm: FakeLLM) -> None:
    from conftest import make_pool

    replies = iter([Reply(content="Let me think about it."),
                    *[Reply(content=None, tool_calls=[{"name": "bash", "arguments": {"command": "ls"}}])] * 10])
    llm.responder = lambda request: next(replies)
    result = run_task(SEMVER, make_pool(llm.base_url), run_settings(budget=0.5, max_steps=3, keep_workspace=True),
                      store=TraceStore(tmp_path / "runs.sqlite"))
    assert result.outcome == "step_limit" and result.steps == 3 and len(llm.requests) == 3
    assert result.patch == ""
    kept = Path(result.workspace)
    assert (kept / "repo" / "semver").is_dir()  # --keep-workspaces leaves it for inspection
    shutil.rmtree(kept)
    assert llm.requests[1]["messages"][-1] == {"role": "user", "content": NUDGE}


def test_when_every_model_fails_the_task_ends_as_error_with_nothing_spent(tmp_path: Path, llm: FakeLLM) -> None:
    from conftest import make_pool

    llm.responder = lambda request: Reply(fault="500")
    result = run_task(SEMVER, make_pool(llm.base_url), run_settings(budget=0.5), store=TraceStore(tmp_path / "runs.sqlite"))
    assert result.outcome == "error" and result.spent_usd == 0 and result.steps == 0
    assert "every model tried" in (result.error or "")


def test_a_missing_task_repository_ends_that_task_as_error(tmp_path: Path, llm: FakeLLM) -> None:
    from conftest import make_pool

    gone = SEMVER.model_copy(update={"repo_dir": tmp_path / "deleted"})
    result = run_task(gone, make_pool(llm.base_url), run_settings(budget=0.5), store=TraceStore(tmp_path / "runs.sqlite"))
    assert result.outcome == "error" and "does not exist" in (result.error or "") and not llm.requests


def test_two_workers_run_a_suite_and_a_rerun_skips_finished_tasks(tmp_path: Path, llm: FakeLLM) -> None:
    chosen = [TASKS[name] for name in ("local__calc-1", "local__romans-1", "local__inifile-1")]
    suite = tmp_path / "suite"
    for task in chosen:
        shutil.copytree(SUITE / task.instance_id, suite / task.instance_id)
    solver = ScriptedSolver(chosen)
    together = threading.Barrier(2, timeout=60)  # broken (and the test fails) unless two tasks call at once
    first_calls = iter(range(2))

    def responder(request: dict) -> Reply:
        if sum(m["role"] == "assistant" for m in request["messages"]) == 0 and next(first_calls, None) is not None:
            together.wait()
        return solver(request)

    llm.responder = responder
    args = ("run", str(suite), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)), "--workers", "2",
            "--out", str(tmp_path / "out"), "--no-memory")
    env = {"AGENTROUTE_HOME": str(tmp_path / "home")}
    result = run_cli(*args, env=env)
    assert result.returncode == 0, result.stderr
    rows = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert sorted(row["instance_id"] for row in rows) == sorted(task.instance_id for task in chosen)
    assert {row["outcome"] for row in rows} == {"resolved"}
    assert len(read_jsonl(tmp_path / "out" / "predictions.jsonl")) == 3
    requests = len(llm.requests)
    assert requests == 15

    again = run_cli(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert "3 of 3 tasks already have results" in again.stdout and "3 resolved" in again.stdout
    assert len(llm.requests) == requests and len(read_jsonl(tmp_path / "out" / "predictions.jsonl")) == 3
    assert not together.broken

    changed = list(args)
    changed[changed.index("--budget") + 1] = "0.25"
    assert_one_line_error(run_cli(*changed, env=env), "continues a run started with budget_usd=0.5")
    with (tmp_path / "out" / "lock").open("w") as held:  # another process is writing there
        fcntl.flock(held, fcntl.LOCK_EX)
        assert_one_line_error(run_cli(*args, env=env), "another agentroute run is writing to")
    assert_one_line_error(run_cli(*args[:-3], "--out", str(pool_file(tmp_path, llm)), "--no-memory", env=env), "is a file")


def start_and_hold(tmp_path: Path, llm: FakeLLM, *, at_call: int):
    """Start `agentroute run` on SEMVER in a process of its own and hold its call number `at_call` until
    `release` is set: (process, release, args, home, out)."""
    solver = ScriptedSolver([SEMVER])
    reached, release = threading.Event(), threading.Event()

    def responder(request: dict) -> Reply:
        if sum(m["role"] == "assistant" for m in request["messages"]) == at_call - 1 and not release.is_set():
            reached.set()
            release.wait(60)
        return solver(request)

    llm.responder = responder
    home, out = tmp_path / "home", tmp_path / "out"
    args = ["run", str(SUITE / SEMVER.instance_id), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)),
            "--out", str(out), "--no-memory"]
    process = start_cli(*args, env={"AGENTROUTE_HOME": str(home)})
    assert reached.wait(300)
    return process, release, args, home, out


def test_a_killed_run_resumes_its_task_under_the_same_budget(tmp_path: Path, llm: FakeLLM) -> None:
    """Kill `agentroute run` mid-task; the same command continues the transcript and the spend."""
    first, release, args, home, out = start_and_hold(tmp_path, llm, at_call=4)
    first.kill()
    first.wait()
    release.set()
    run_id = f"swe-{json.loads((out / 'run.json').read_text())['batch']}-{SEMVER.instance_id}"
    spent_before = TraceStore(home / "runs.sqlite").spent_nanos(run_id)
    assert spent_before > 0 and not (out / "results.jsonl").exists()

    again = run_cli(*args, env={"AGENTROUTE_HOME": str(home)})
    assert again.returncode == 0, again.stderr
    [row] = read_jsonl(out / "results.jsonl")
    assert row["run_id"] == run_id and row["outcome"] == "resolved" and row["steps"] == 5
    resumed = llm.requests[4]["messages"]  # the first call of the second process
    assert sum(m["role"] == "assistant" for m in resumed) == 3  # it continued the transcript
    spent = TraceStore(home / "runs.sqlite").spent_nanos(run_id)
    assert spent > spent_before and row["spent_usd"] == pytest.approx(spent / 1e9, abs=1e-9) and row["spent_usd"] <= 0.5


def test_ctrl_c_stops_before_the_next_call_and_the_same_command_continues(tmp_path: Path, llm: FakeLLM) -> None:
    first, release, args, home, out = start_and_hold(tmp_path, llm, at_call=2)
    first.send_signal(signal.SIGINT)
    first.wait_for_line("Ctrl-C: stopping", timeout=60, stderr=True)  # the running task was told to stop
    release.set()
    done = first.result(timeout=120)
    assert done.returncode == 130 and "interrupted" in done.stderr
    assert len(llm.requests) == 2  # the call in flight finished; no new call was made
    assert not (out / "results.jsonl").exists()

    again = run_cli(*args, env={"AGENTROUTE_HOME": str(home)})
    assert again.returncode == 0, again.stderr
    [row] = read_jsonl(out / "results.jsonl")
    assert row["outcome"] == "resolved" and row["steps"] == 5 and len(llm.requests) == 5


def test_a_swe_bench_dataset_instance_runs_through_the_same_path(tmp_path: Path, llm: FakeLLM) -> None:
    """A dataset row (SWE-bench's fields, JSON-string test lists) + a git checkout ahead of base_commit."""
    task = TASKS["local__texttable-1"]
    checkout = tmp_path / "checkouts" / "local__texttable"
    base = checkout_of(task.repo_dir, checkout)
    (checkout / "LATER.md").write_text("a later upstream commit the instance must not see\n")
    commit_all(checkout, "later")
    row = {**task.model_dump(mode="json", exclude={"repo_dir", "test_cmd"}), "repo": "local/texttable", "base_commit": base,
           "FAIL_TO_PASS": json.dumps(task.FAIL_TO_PASS), "PASS_TO_PASS": json.dumps(task.PASS_TO_PASS)}
    dataset = tmp_path / "verified.jsonl"
    dataset.write_text(json.dumps(row) + "\n" + json.dumps({**row, "instance_id": "not-checked-out"}) + "\n")
    llm.responder = ScriptedSolver([task])
    out = tmp_path / "out"
    result = run_cli("run", str(dataset), "--checkout", str(tmp_path / "checkouts"), "--instance", task.instance_id,
                     "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)), "--out", str(out), "--no-memory",
                     env={"AGENTROUTE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    [row] = read_jsonl(out / "results.jsonl")
    assert row["instance_id"] == task.instance_id and row["outcome"] == "resolved"
    listing = next(m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "tool")
    assert "LATER.md" not in listing  # the workspace is the instance's base commit
    [prediction] = read_jsonl(out / "predictions.jsonl")
    assert "LATER.md" not in prediction["model_patch"] and prediction["model_patch"].startswith("diff --git")


def test_without_api_keys_the_cli_says_exactly_what_to_set(tmp_path: Path) -> None:
    keys = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")
    result = run_cli("run", str(SUITE / SEMVER.instance_id), "--budget", "0.5",
                     env={"AGENTROUTE_HOME": str(tmp_path / "home")}, unset=keys)
    assert_one_line_error(result, "set OPENAI_API_KEY")
    assert "ANTHROPIC_API_KEY" in result.stderr and "--pool" in result.stderr


def test_eval_scores_predictions_locally_against_the_tasks(tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    calc = TASKS["local__calc-1"]
    predictions.write_text("\n".join(json.dumps(row) for row in (
        {"instance_id": SEMVER.instance_id, "model_name_or_path": "m", "model_patch": SEMVER.patch},
        {"instance_id": calc.instance_id, "model_name_or_path": "m", "model_patch": ""},
    )) + "\n")
    result = run_cli("eval", str(predictions), "--tasks", str(SUITE), env={"AGENTROUTE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "resolved 1 of 2" in result.stdout and "empty patch" in result.stdout
    predictions.write_text("")
    assert_one_line_error(run_cli("eval", str(predictions), "--tasks", str(SUITE)), "no predictions")
    predictions.write_text('{"model_patch": ""}\n')
    assert_one_line_error(run_cli("eval", str(predictions), "--tasks", str(SUITE)), "not a SWE-bench prediction")


def test_eval_without_docker_or_swebench_says_so_in_one_line(tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(json.dumps({"instance_id": "x", "model_name_or_path": "m", "model_patch": ""}) + "\n")
    (tmp_path / "empty-bin").mkdir()
    result = run_cli("eval", str(predictions), env={"PATH": str(tmp_path / "empty-bin")})  # no docker on PATH
    assert_one_line_error(result, "cannot run the SWE-bench harness here")
    assert "--tasks" in result.stderr


def test_eval_hands_predictions_to_the_swebench_harness_when_it_is_there(tmp_path: Path) -> None:
    """A stand-in `docker` and `swebench` package record how they were called."""
    bin_dir, package = tmp_path / "bin", tmp_path / "site" / "swebench" / "harness"
    bin_dir.mkdir()
    package.mkdir(parents=True)
    (bin_dir / "docker").write_text("#!/bin/sh\n[ \"$1\" = info ] && exit 0\nexit 1\n")
    (bin_dir / "docker").chmod(0o755)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    calls = tmp_path / "calls.json"
    (package / "run_evaluation.py").write_text(f"import json, sys\njson.dump(sys.argv[1:], open({str(calls)!r}, 'w'))\n")
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(json.dumps({"instance_id": "x", "model_name_or_path": "m", "model_patch": ""}) + "\n")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(tmp_path / "site")}
    result = run_cli("eval", str(predictions), "--run-id", "r7", "--workers", "3", env=env)
    assert result.returncode == 0, result.stderr
    argv = json.loads(calls.read_text())
    assert argv[argv.index("--predictions_path") + 1] == str(predictions)
    assert argv[argv.index("--dataset_name") + 1] == "princeton-nlp/SWE-bench_Verified"
    assert argv[argv.index("--run_id") + 1] == "r7" and argv[argv.index("--max_workers") + 1] == "3"
