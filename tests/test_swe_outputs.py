"""The output directory after a kill at each write: one record per task, never a duplicate prediction,
and a cut line reported and repaired. Real `agentroute run` processes against the fake server; a
kill between two writes is the file state it leaves (a lost or cut line), and one real SIGKILL
lands while the outputs are being written."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from cli import assert_one_line_error, run_cli, start_cli
from fakellm import FakeLLM
from scripted_solver import ScriptedSolver
from test_swe_agent import SEMVER, SUITE, TASKS, pool_file, read_jsonl

from agentroute.errors import AgentRouteError
from agentroute.swe.outputs import OutputDir, RunIdentity

PAIR = [TASKS["local__calc-1"], TASKS["local__romans-1"]]


def run_pair(tmp_path: Path, llm: FakeLLM) -> tuple[list[str], dict[str, str]]:
    """Run two suite tasks to the end: (the command's arguments, its environment)."""
    suite = tmp_path / "suite"
    for task in PAIR:
        shutil.copytree(SUITE / task.instance_id, suite / task.instance_id)
    llm.responder = ScriptedSolver(PAIR)
    args = ["run", str(suite), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)), "--out", str(tmp_path / "out"),
            "--no-memory"]
    env = {"AGENTROUTE_HOME": str(tmp_path / "home")}
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    return args, env


def test_a_result_line_lost_to_a_kill_never_duplicates_the_prediction(tmp_path: Path, llm: FakeLLM) -> None:
    """A kill after the prediction line and before the result line: the task is not run or written twice."""
    args, env = run_pair(tmp_path, llm)
    out, requests = tmp_path / "out", len(llm.requests)
    predictions = (out / "predictions.jsonl").read_text()
    (out / "results.jsonl").write_text("")
    again = run_cli(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert (out / "predictions.jsonl").read_text() == predictions
    assert len(llm.requests) == requests
    assert "repaired" in again.stdout and "2 of 2 tasks already have results" in again.stdout
    assert sorted(row["instance_id"] for row in read_jsonl(out / "results.jsonl")) == [task.instance_id for task in PAIR]


def test_a_cut_last_line_is_reported_and_repaired(tmp_path: Path, llm: FakeLLM) -> None:
    args, env = run_pair(tmp_path, llm)
    out, requests = tmp_path / "out", len(llm.requests)
    whole = {name: (out / name).read_bytes() for name in ("results.jsonl", "predictions.jsonl")}
    for name, data in whole.items():
        (out / name).write_bytes(data[:-40])  # the last line torn in the middle
    (out / "records").mkdir(exist_ok=True)
    (out / "records" / ".local__calc-1.json.x.tmp").write_text('{"instance_id": "local__ca')  # a killed record write
    again = run_cli(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert "results.jsonl:2: a cut last line" in again.stdout.replace("\n", "")
    assert len(llm.requests) == requests and "2 resolved" in again.stdout
    assert {name: (out / name).read_bytes() for name in whole} == whole
    assert sorted(path.name for path in (out / "records").iterdir()) == [f"{task.instance_id}.json" for task in PAIR]


def test_a_results_file_of_an_older_agentroute_with_a_cut_last_line_resumes(tmp_path: Path, llm: FakeLLM) -> None:
    """No records yet (today's format): the whole line becomes a record, the cut task is re-written
    from its finished checkpoint without a model call."""
    args, env = run_pair(tmp_path, llm)
    out, requests = tmp_path / "out", len(llm.requests)
    results = (out / "results.jsonl").read_bytes()
    shutil.rmtree(out / "records", ignore_errors=True)
    (out / "results.jsonl").write_bytes(results[:-40])
    again = run_cli(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert "1 of 2 tasks already have results" in again.stdout and "a cut last line" in again.stdout
    assert len(llm.requests) == requests
    rows = read_jsonl(out / "results.jsonl")
    assert [row["outcome"] for row in rows] == ["resolved", "resolved"] and len(read_jsonl(out / "predictions.jsonl")) == 2


def test_a_corrupt_line_before_the_last_is_refused_and_nothing_is_rewritten(tmp_path: Path, llm: FakeLLM) -> None:
    args, env = run_pair(tmp_path, llm)
    out = tmp_path / "out"
    shutil.rmtree(out / "records", ignore_errors=True)
    corrupt = b"not json\n" + (out / "results.jsonl").read_bytes()
    (out / "results.jsonl").write_bytes(corrupt)
    assert_one_line_error(run_cli(*args, env=env), "results.jsonl:1: not a task result")
    assert (out / "results.jsonl").read_bytes() == corrupt


def test_a_kill_while_the_outputs_are_written_leaves_one_record_after_the_rerun(tmp_path: Path, llm: FakeLLM) -> None:
    """SIGKILL while the task's trace is being exported (a FIFO holds the writer there)."""
    llm.responder = ScriptedSolver([SEMVER])
    home, out = tmp_path / "home", tmp_path / "out"
    (out / "traces").mkdir(parents=True)
    fifo = out / "traces" / f"{SEMVER.instance_id}.jsonl"
    os.mkfifo(fifo)
    args = ["run", str(SUITE / SEMVER.instance_id), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)),
            "--out", str(out), "--no-memory"]
    process = start_cli(*args, env={"AGENTROUTE_HOME": str(home)})
    opened: list[int] = []
    reader = threading.Thread(target=lambda: opened.append(os.open(fifo, os.O_RDONLY)), daemon=True)
    reader.start()
    reader.join(180)  # the open returns once the run opens the trace file to write it
    assert opened, "the run never reached its output writes"
    assert os.read(opened[0], 10)  # it is writing
    process.kill()
    process.wait()
    os.close(opened[0])
    assert not (out / "results.jsonl").exists() and not list((out / "records").glob("*.json"))
    requests = len(llm.requests)
    fifo.unlink()

    again = run_cli(*args, env={"AGENTROUTE_HOME": str(home)})
    assert again.returncode == 0, again.stderr
    assert len(llm.requests) == requests == 5  # the finished task was written from its checkpoint, not run again
    [row] = read_jsonl(out / "results.jsonl")
    [prediction] = read_jsonl(out / "predictions.jsonl")
    assert row["outcome"] == "resolved" and prediction["model_patch"] == row["patch"]
    assert json.loads((out / "records" / f"{SEMVER.instance_id}.json").read_text()) == row
    assert [json.loads(line)["kind"] for line in fifo.read_text().splitlines()].count("model") == 5  # the trace, whole


def test_a_corrupt_record_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "records").mkdir(parents=True)
    bad = out / "records" / "t-1.json"
    bad.write_text('{"instance_id": "t-1"')
    identity = RunIdentity(batch="b1", budget_usd=0.5, policy="cascade", pool="test", max_steps=3)
    with OutputDir(out, identity, "agentroute-cascade") as output, \
            pytest.raises(AgentRouteError, match=r"t-1\.json: not a task result; move it away"):
        output.finished()
    assert bad.read_text() == '{"instance_id": "t-1"' and not (out / "results.jsonl").exists()
