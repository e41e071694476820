"""`agentroute run --ray local`: the suite's tasks on a real local Ray cluster, against the fake server.

Run these alone with `pytest -m ray`. Each test starts `agentroute run` in a child process, which
starts its own local cluster (Ray's default: one worker slot per core) and stops it on exit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from pathlib import Path

import pytest
from cli import run_cli, start_cli
from fakellm import FakeLLM, Reply
from scripted_solver import ScriptedSolver
from test_swe_agent import SEMVER, SUITE, TASKS, pool_file, read_jsonl

from agentroute.trace import TraceStore

pytestmark = pytest.mark.ray

RAY_ENV = {"RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}


def small_suite(tmp_path: Path, names: tuple[str, ...]) -> Path:
    suite = tmp_path / "suite"
    for name in names:
        shutil.copytree(SUITE / name, suite / name)
    return suite


def test_a_suite_over_ray_gives_the_same_predictions_as_two_workers(tmp_path: Path, llm: FakeLLM) -> None:
    names = ("local__calc-1", "local__romans-1")  # one per worker slot of the 2-core cluster
    suite = small_suite(tmp_path, names)
    llm.responder = ScriptedSolver([TASKS[name] for name in names])
    common = ("run", str(suite), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)), "--no-memory")
    env = {"AGENTROUTE_HOME": str(tmp_path / "home"), **RAY_ENV}

    threads = run_cli(*common, "--workers", "2", "--out", str(tmp_path / "threads"), env=env)
    assert threads.returncode == 0, threads.stderr
    calls_with_threads = len(llm.requests)
    on_ray = run_cli(*common, "--ray", "local", "--out", str(tmp_path / "ray"), env=env)
    assert on_ray.returncode == 0, on_ray.stderr
    assert "2 resolved" in on_ray.stdout

    def predictions(out: str) -> dict[str, str]:
        return {row["instance_id"]: row["model_patch"] for row in read_jsonl(tmp_path / out / "predictions.jsonl")}

    assert predictions("ray") == predictions("threads") and set(predictions("ray")) == set(names)
    assert all(patch for patch in predictions("ray").values())
    assert len(llm.requests) == 2 * calls_with_threads  # the same steps, each made once
    for name in names:  # every task's decision trace came back from its worker to the output directory
        trace = read_jsonl(tmp_path / "ray" / "traces" / f"{name}.jsonl")
        assert sum(record["kind"] == "model" for record in trace) == 5


def ray_task_processes(home: Path) -> list[int]:
    """Processes running one of this test's Ray tasks: Ray names a busy worker after its task, and
    the workers of the cluster `agentroute run` started inherit its AGENTROUTE_HOME."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::run_on_worker") and \
                        f"AGENTROUTE_HOME={home}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_killed_worker_is_replaced_and_the_task_resumes_with_its_spend(tmp_path: Path, llm: FakeLLM) -> None:
    solver = ScriptedSolver([SEMVER])
    reached, release = threading.Event(), threading.Event()

    def responder(request: dict) -> Reply:
        if sum(m["role"] == "assistant" for m in request["messages"]) == 3 and not release.is_set():
            reached.set()
            release.wait(300)
        return solver(request)

    llm.responder = responder
    home, out = tmp_path / "home", tmp_path / "out"
    args = ["run", str(small_suite(tmp_path, (SEMVER.instance_id,))), "--budget", "0.5",
            "--pool", str(pool_file(tmp_path, llm)), "--out", str(out), "--no-memory", "--ray", "local"]
    driver = start_cli(*args, env={"AGENTROUTE_HOME": str(home), **RAY_ENV})
    try:
        assert reached.wait(300), "the task never reached its fourth call"
        [worker] = ray_task_processes(home)
        os.kill(worker, signal.SIGKILL)  # mid-call: the fourth call is held by the server
        release.set()
        done = driver.result(timeout=300)
    finally:
        release.set()
        driver.kill()  # if the test failed before the run ended
    assert done.returncode == 0, done.stderr
    [row] = read_jsonl(out / "results.jsonl")
    assert row["outcome"] == "resolved" and row["steps"] == 5
    resumed_first = next(request for index, request in enumerate(llm.requests) if index > 3)
    assert sum(m["role"] == "assistant" for m in resumed_first["messages"]) == 3  # it continued the transcript
    spent = TraceStore(home / "runs.sqlite").spent_nanos(row["run_id"])
    assert spent > 0 and row["spent_usd"] == pytest.approx(spent / 1e9, abs=1e-9) and row["spent_usd"] <= 0.5
    assert json.loads((out / "run.json").read_text())["batch"] in row["run_id"]
