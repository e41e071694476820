"""The central store on a real Postgres (a throwaway cluster, tests/postgres_fixture.py): one hard
budget across processes, exact spend after a kill -9 and a resume from another home directory,
and one error line for a database that is malformed or unreachable."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from cli import CliProcess, assert_one_line_error, run_cli, start_script
from conftest import POOL_TOML, make_pool
from fakellm import FakeLLM, Reply
from fakellm import _usage as server_usage
from hypothesis import given, settings
from hypothesis import strategies as st
from scripted_solver import ScriptedSolver

from agentroute.budget import BudgetLedger
from agentroute.pool import Price
from agentroute.swe.task import load_tasks
from agentroute.trace import RunInfo, TraceStore
from agentroute.usage import Usage

TESTS = Path(__file__).parent
FORK = multiprocessing.get_context("fork")
PRICE = Price(input=1.0, output=1.0)


def _ledger(url: str, run_id: str, cap_nanos: int) -> BudgetLedger:
    store = TraceStore(url)
    return BudgetLedger(cap_nanos / 1e9, account=store.ledger_account(run_id, cap_nanos / 1e9))


def _worker(url: str, run_id: str, cap_nanos: int, sizes: list[int], held_all: Any, results: Any) -> None:
    """Hold every reserve that fits (all at once, racing the other worker), wait until both have
    tried, then bill the even ones at their reserve and release the odd ones."""
    ledger = _ledger(url, run_id, cap_nanos)
    held_all.wait()
    held, refused = [], []
    for size in sizes:
        reservation = ledger.reserve(size, step=0, node=None, model="m", tier=0)
        (refused if reservation is None else held).append(reservation or size)
    held_all.wait()
    billed = 0
    for index, reservation in enumerate(held):
        if index % 2 == 0:
            billed += ledger.settle(reservation, Usage(reported=False), PRICE).cost_nanos
        else:
            ledger.release(reservation)
    results.put({"held": sum(r.nanos for r in held), "refused": refused, "billed": billed})


@settings(max_examples=6, deadline=None)
@given(cap=st.integers(1_000, 20_000),
       sizes=st.lists(st.lists(st.integers(1, 6_000), min_size=1, max_size=12), min_size=2, max_size=2))
def test_two_processes_reserving_on_one_task_never_exceed_the_cap(postgres_url: str, cap: int, sizes: list[list[int]]) -> None:
    run_id = f"race-{uuid.uuid4().hex[:8]}"
    held_all, results = FORK.Barrier(2, timeout=60), FORK.Queue()
    workers = [FORK.Process(target=_worker, args=(postgres_url, run_id, cap, mine, held_all, results)) for mine in sizes]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(10)
        assert worker.exitcode == 0
    held = sum(outcome["held"] for outcome in outcomes)
    assert held <= cap  # what both processes held at the same moment
    for refused in (size for outcome in outcomes for size in outcome["refused"]):
        assert held + refused > cap  # a reserve was refused only when it did not fit
    ledger = _ledger(postgres_url, run_id, cap)
    assert ledger.spent_nanos == sum(outcome["billed"] for outcome in outcomes) <= cap
    assert ledger.reserved_nanos == 0


def _hold_and_wait(url: str, run_id: str, held: Any) -> None:
    ledger = _ledger(url, run_id, 10_000)
    ledger.reserve(4_000, step=0, node=None, model="m", tier=0)
    held.set()
    time.sleep(120)


def test_a_dead_process_reserve_is_billed_when_the_task_resumes_and_a_live_one_is_kept(postgres_url: str) -> None:
    run_id = f"orphan-{uuid.uuid4().hex[:8]}"
    held = FORK.Event()
    holder = FORK.Process(target=_hold_and_wait, args=(postgres_url, run_id, held))
    holder.start()
    assert held.wait(30)
    alive = _ledger(postgres_url, run_id, 10_000)
    assert (alive.spent_nanos, alive.reserved_nanos) == (0, 4_000)  # a live worker's reserve stays held
    assert alive.reserve(6_001, step=0, node=None, model="m", tier=0) is None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    deadline = time.time() + 10
    while True:  # Postgres notices the dropped connection (and frees its owner lock) right away
        resumed = _ledger(postgres_url, run_id, 10_000)
        if resumed.reserved_nanos == 0 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert (resumed.spent_nanos, resumed.reserved_nanos) == (4_000, 0)  # a call cut off counts at its reserve
    assert alive.spent_nanos == 4_000  # every process on the task sees the same ledger


def test_trace_store_keeps_runs_and_records_in_postgres(postgres_url: str) -> None:
    from agentroute.trace import TraceRecord

    store = TraceStore(postgres_url)
    run_id = f"trace-{uuid.uuid4().hex[:8]}"
    info = store.start_run(RunInfo(run_id=run_id, created=time.time(), cap_usd=0.5, pool="p", policy="cascade",
                                   task={"instance_id": "x"}))
    assert store.start_run(info.model_copy(update={"cap_usd": 9.0})).cap_usd == 0.5  # an existing run keeps its header
    store.append(TraceRecord(run_id=run_id, step=0, model="m", tier=0, outcome="pending", cost_nanos=900))
    store.append(TraceRecord(run_id=run_id, step=0, kind="reroute", reason="tool down"))
    store.append(TraceRecord(run_id=run_id, step=0, model="m", tier=0, outcome="ok", cost_nanos=300))
    store.finish_run(run_id, "resolved")
    other = TraceStore(postgres_url)  # another process's view of the same database
    assert [(r.kind, r.outcome, r.cost_nanos) for r in other.records(run_id)] == [
        ("model", "ok", 300), ("reroute", "ok", 0)]
    assert other.run(run_id).outcome == "resolved" and other.run(run_id).task == {"instance_id": "x"}
    assert run_id in other.run_ids() and other.spent_nanos(run_id) == 300


def _child(llm: FakeLLM, home: Path, run_id: str, mode: str, db: str) -> CliProcess:
    return start_script(TESTS / "resumable_agent.py", llm.base_url, str(home), "supervised", mode, run_id, cwd=TESTS,
                        env={"AGENTROUTE_DB": db})


def test_killed_task_resumes_from_another_home_with_its_exact_spend(llm: FakeLLM, tmp_path: Path, postgres_url: str) -> None:
    replies = [Reply(content=None, tool_calls=[{"name": "work", "arguments": {"n": n}}]) for n in (1, 2, 3)]
    replies.append(Reply(content="all three done"))
    for reply in replies:
        llm.enqueue(reply)
    run_id = f"job-{uuid.uuid4().hex[:8]}"
    first = _child(llm, tmp_path / "machine-a", run_id, "first", postgres_url)
    first.wait_for_line("TOOL 2", timeout=240)  # generous: a loaded machine is slow to start the fork server
    first.kill()  # SIGKILL: no cleanup of any kind
    killed = first.result(timeout=60)
    assert killed.returncode == -signal.SIGKILL and len(llm.requests) == 2, killed.stderr[-2000:]

    resumed = _child(llm, tmp_path / "machine-b", run_id, "resume", postgres_url).result(timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    result = json.loads(next(line for line in resumed.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert len(llm.requests) == 4  # resumed from the Postgres checkpoint: no model call repeated
    assert result["final"] == "all three done" and result["tools_seen"] == 3 and result["steps"] == [0, 1, 2, 3]
    pool = make_pool(llm.base_url)
    billed = 0
    for request, reply in zip(llm.requests, replies, strict=True):  # what the server billed, at the pool's prices
        sent = server_usage(reply, request["messages"], request["max_tokens"])
        price = pool.model(f"openai/{request['model']}").price
        billed += Usage(prompt_tokens=sent["prompt_tokens"], completion_tokens=sent["completion_tokens"]).cost_nanos(price)
    ledger = _ledger(postgres_url, run_id, 1_000_000_000)
    assert result["spent_nanos"] == ledger.spent_nanos == billed > 0 and ledger.reserved_nanos == 0
    assert TraceStore(postgres_url).spent_nanos(run_id) == billed
    assert not any((tmp_path / machine / name).exists()
                   for machine in ("machine-a", "machine-b") for name in ("runs.sqlite", "checkpoints.sqlite"))


def test_a_malformed_or_unreachable_database_is_one_error_line(tmp_path: Path, postgres_url: str) -> None:
    env = {"AGENTROUTE_HOME": str(tmp_path / "home")}
    assert_one_line_error(run_cli("run", str(tmp_path), "--db", "postgresql://u@db:notaport/x", env=env),
                          "--db: malformed Postgres URL")
    assert_one_line_error(run_cli("run", str(tmp_path), env={**env, "AGENTROUTE_DB": "mysql://u:secret@db/x"}),
                          "AGENTROUTE_DB must be a postgresql:// URL, got 'mysql://u:***@db/x'")
    closed = postgres_url.rsplit(":", 1)[0] + ":1/postgres"
    assert_one_line_error(run_cli("runs", env={**env, "AGENTROUTE_DB": closed}), "cannot reach the database")
    assert not (tmp_path / "home").exists()  # nothing was written


def test_agentroute_run_keeps_traces_ledger_and_checkpoints_in_postgres(llm: FakeLLM, tmp_path: Path, postgres_url: str) -> None:
    suite = Path(__file__).resolve().parents[1] / "evals" / "swe"
    task = next(task for task in load_tasks(suite) if task.instance_id == "local__semver-1")
    llm.responder = ScriptedSolver([task])
    (tmp_path / "pool.toml").write_text(POOL_TOML.format(base_url=llm.base_url))
    home, out = tmp_path / "home", tmp_path / "out"
    result = run_cli("run", str(suite / task.instance_id), "--budget", "0.5", "--pool", str(tmp_path / "pool.toml"),
                     "--out", str(out), "--no-memory", "--db", postgres_url, env={"AGENTROUTE_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    [row] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert row["outcome"] == "resolved"
    store = TraceStore(postgres_url)
    ledger = _ledger(postgres_url, row["run_id"], 1)
    assert ledger.cap_nanos == 500_000_000  # the run's own cap, stored with its ledger row
    assert ledger.spent_nanos == store.spent_nanos(row["run_id"]) == round(row["spent_usd"] * 1e9) > 0
    with psycopg.connect(postgres_url) as db:
        checkpoints = db.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (row["run_id"],)).fetchone()[0]
    assert checkpoints >= row["steps"]  # LangGraph's Postgres checkpointer saved every step
    assert not (home / "runs.sqlite").exists() and not (home / "checkpoints.sqlite").exists()
    central = {"AGENTROUTE_HOME": str(home), "AGENTROUTE_DB": postgres_url}
    shown = run_cli("trace", row["run_id"], env=central)
    assert shown.returncode == 0 and row["run_id"] in shown.stdout
    listed = run_cli("runs", env=central)
    assert listed.returncode == 0 and row["run_id"] in listed.stdout and "postgresql://postgres@" in listed.stdout
