"""`agentroute run --ray local`: the suite's tasks on a real local Ray cluster, against the fake server.

Run it alone with `pytest -m ray`. It starts `agentroute run` in a process of its own, which starts
its own local cluster (Ray's default: one worker slot per core) and stops it on exit. One test
covers both what a cluster must do (the same predictions as threads) and what it must survive (a
killed worker): a cluster start costs about 15 s of CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from cli import run_cli, start_cli
from fakellm import FakeLLM, Reply
from scripted_solver import ScriptedSolver
from test_swe_agent import SEMVER, SUITE, TASKS, pool_file, read_jsonl

from agentroute.trace import TraceStore

pytestmark = pytest.mark.ray

RAY_ENV = {"RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}
CALC = TASKS["local__calc-1"]


def small_suite(tmp_path: Path, names: tuple[str, ...]) -> Path:
    suite = tmp_path / "suite"
    for name in names:
        shutil.copytree(SUITE / name, suite / name)
    return suite


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


def the_only_busy_worker(home: Path, seconds: float) -> int:
    """The pid of the one worker still running a task of this test (the other task ends first)."""
    deadline = time.monotonic() + seconds
    while len(busy := ray_task_processes(home)) != 1:
        assert time.monotonic() < deadline, f"busy Ray workers: {busy}"
        time.sleep(0.1)
    return busy[0]


def steps_taken(request: dict) -> int:
    return sum(message["role"] == "assistant" for message in request["messages"])


def is_semver(request: dict) -> bool:
    return SEMVER.problem_statement in next(m["content"] for m in request["messages"] if m["role"] == "user")


def test_a_suite_over_ray_matches_two_workers_and_a_killed_worker_resumes_its_task(tmp_path: Path, llm: FakeLLM) -> None:
    names = (CALC.instance_id, SEMVER.instance_id)  # one per worker slot of the 2-core cluster
    suite = small_suite(tmp_path, names)
    solver = ScriptedSolver([CALC, SEMVER])
    llm.responder = solver
    home = tmp_path / "home"
    common = ("run", str(suite), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)), "--no-memory")
    env = {"AGENTROUTE_HOME": str(home), **RAY_ENV}

    threads = run_cli(*common, "--workers", "2", "--out", str(tmp_path / "threads"), env=env)
    assert threads.returncode == 0, threads.stderr
    calls_with_threads = len(llm.requests)

    # Over Ray, semver's fourth call is held by the server while its worker is killed.
    reached, release = threading.Event(), threading.Event()

    def responder(request: dict) -> Reply:
        if is_semver(request) and steps_taken(request) == 3 and not release.is_set():
            reached.set()
            release.wait(300)
        return solver(request)

    llm.responder = responder
    driver = start_cli(*common, "--ray", "local", "--out", str(tmp_path / "ray"), env=env)
    try:
        assert reached.wait(300), "semver never reached its fourth call"
        os.kill(the_only_busy_worker(home, seconds=120), signal.SIGKILL)  # calc's task has ended by now
        release.set()
        on_ray = driver.result(timeout=300)
    finally:
        release.set()
        driver.kill()  # if the test failed before the run ended
    assert on_ray.returncode == 0, on_ray.stderr
    assert "2 resolved" in on_ray.stdout

    def predictions(out: str) -> dict[str, str]:
        return {row["instance_id"]: row["model_patch"] for row in read_jsonl(tmp_path / out / "predictions.jsonl")}

    assert predictions("ray") == predictions("threads") and set(predictions("ray")) == set(names)
    assert all(patch for patch in predictions("ray").values())
    # The same steps, each made once, but the call the killed worker was waiting for: Ray ran the
    # task again on another worker, which continued its transcript (no new start) at that call.
    ray_requests = llm.requests[calls_with_threads:]
    assert len(ray_requests) == calls_with_threads + 1
    assert [steps_taken(request) for request in ray_requests if is_semver(request)] == [0, 1, 2, 3, 3, 4]
    calc_trace = read_jsonl(tmp_path / "ray" / "traces" / f"{CALC.instance_id}.jsonl")
    assert sum(record["kind"] == "model" for record in calc_trace) == 5  # traces came back from the worker
    rows = {row["instance_id"]: row for row in read_jsonl(tmp_path / "ray" / "results.jsonl")}
    semver = rows[SEMVER.instance_id]
    assert semver["outcome"] == "resolved" and semver["steps"] == 5
    spent = TraceStore(home / "runs.sqlite").spent_nanos(semver["run_id"])
    assert spent > 0 and semver["spent_usd"] == pytest.approx(spent / 1e9, abs=1e-9) and semver["spent_usd"] <= 0.5
    assert json.loads((tmp_path / "ray" / "run.json").read_text())["batch"] in semver["run_id"]
