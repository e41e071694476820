"""`agentroute run --attempts N --verify CMD`: task-level escalation against the fake server.

The scripted model is weak on the cheap tier (its `tiny` model submits at once, fixing nothing)
and solves the task on the others; the step policy `always:low` puts every call on the attempt's
tier floor, so each attempt's model shows which floor the escalation policy chose. Everything
between (the escalation policy and its evidence, the router's floor, budget, tools, the check in
the sandbox, outputs) is the real path.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from cli import assert_one_line_error, run_cli, start_cli
from conftest import FAST, POOL_TOML, make_pool, priced_pool_toml
from fakellm import FakeLLM, Reply
from scripted_solver import ScriptedSolver

from agentroute.errors import BudgetExhausted
from agentroute.escalation.memory_evidence import MemoryEvidence
from agentroute.escalation.protocol import Attempt
from agentroute.memory.store import ExperienceMemory
from agentroute.policies import make_policy
from agentroute.router import Router
from agentroute.swe.escalation import COLLECTION, task_view
from agentroute.swe.evaluate import evaluate_patch
from agentroute.swe.task import load_tasks
from agentroute.trace import TraceStore

SUITE = Path(__file__).resolve().parents[1] / "evals" / "swe"
SEMVER = load_tasks(SUITE / "local__semver-1")[0]
# a user's check of the fix, run on a fresh checkout with the agent's patch: exit 0 when rc.10 sorts after rc.2
CHECK = "python -c \"from semver import parse; assert parse('1.0.0-rc.2') < parse('1.0.0-rc.10')\""
MODEL_OF_TIER = {"low": "tiny", "mid": "mid-a", "high": "big"}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def weak_when_cheap(task=SEMVER):
    """The responder: `tiny` submits at once without a fix; the other models solve the task."""
    solver = ScriptedSolver([task])

    def respond(request: dict) -> Reply:
        if request["model"] == "tiny":
            return Reply(content=None, tool_calls=[{"name": "submit", "arguments": {}}], completion_tokens=10)
        return solver(request)

    return respond


def seed_memory(path: Path, *, cost: dict[str, float], success: dict[str, float], tasks: int = 6) -> None:
    """Past tasks like SEMVER in the memory's escalation collection: per tier, its cost and feedback."""
    evidence = MemoryEvidence(ExperienceMemory(path, collection=COLLECTION), run_prefix="seed")
    view = task_view(SEMVER, "swe")
    for index in range(tasks):
        past = view.model_copy(update={"task_id": f"past-{index}"})
        evidence.record(past, [Attempt(model=tier, cost_usd=cost[tier], feedback=success[tier], applies=True)
                               for tier in cost])


def args_for(tmp_path: Path, llm: FakeLLM, *extra: str) -> list[str]:
    pool = tmp_path / "pool.toml"
    pool.write_text(POOL_TOML.format(base_url=llm.base_url))
    return ["run", str(SUITE / SEMVER.instance_id), "--pool", str(pool), "--policy", "always:low",
            "--out", str(tmp_path / "out"), "--memory", str(tmp_path / "memory"), *extra]


def trace_records(out: Path) -> list[dict]:
    return [r for r in read_jsonl(out / "traces" / f"{SEMVER.instance_id}.jsonl") if r["kind"] == "model"]


def test_an_unverified_attempt_is_followed_by_one_at_a_stronger_floor_under_one_budget(tmp_path: Path, llm: FakeLLM) -> None:
    # past tasks say the cheap tier usually does it, so the policy opens with the cheapest floor
    seed_memory(tmp_path / "memory", cost={"low": 0.001, "mid": 0.01, "high": 0.05}, success={"low": 1.0, "mid": 1.0, "high": 1.0})
    llm.responder = weak_when_cheap()
    out, home = tmp_path / "out", tmp_path / "home"
    result = run_cli(*args_for(tmp_path, llm, "--budget", "0.5", "--attempts", "3", "--verify", CHECK),
                     env={"AGENTROUTE_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert "attempts (floor)" in result.stdout and "low✗" in result.stdout

    [row] = read_jsonl(out / "results.jsonl")
    first, second = row["attempts"]
    assert (first["tier_floor"], first["verdict"], first["outcome"]) == ("low", "unverified", "unresolved")
    assert first["reason"] == "empty patch"  # nothing to check: the check is not run on the base
    assert second["tier_floor"] in ("mid", "high") and second["verdict"] == "verified"  # the floor rose, then it stopped
    assert row["outcome"] == "resolved" and row["run_id"] == second["run_id"] != first["run_id"]
    assert row["stop_reason"] == "verified"

    # each attempt's calls went to its floor's model, never below it; attempt 2 started a fresh transcript
    models = [request["model"] for request in llm.requests]
    assert models == ["tiny"] + [MODEL_OF_TIER[second["tier_floor"]]] * 5
    assert sum(m["role"] == "assistant" for m in llm.requests[1]["messages"]) == 0

    # one budget: attempt 2's cap is what attempt 1 left; the ledger equals the traces, call for call
    store = TraceStore(home / "runs.sqlite")
    assert first["cap_usd"] == 0.5 and second["cap_usd"] == pytest.approx(0.5 - first["spent_usd"], abs=1e-9)
    records = trace_records(out)
    assert {r["run_id"] for r in records} == {first["run_id"], second["run_id"]}
    for attempt in (first, second):
        nanos = store.spent_nanos(attempt["run_id"])
        assert nanos == sum(r["cost_nanos"] for r in records if r["run_id"] == attempt["run_id"]) > 0
        assert attempt["spent_usd"] == nanos / 1e9 and store.run(attempt["run_id"]).task["tier_floor"] == attempt["tier_floor"]
    assert row["spent_usd"] == pytest.approx(first["spent_usd"] + second["spent_usd"], abs=1e-12)
    assert row["spent_usd"] <= 0.5
    assert row["steps"] == 6 and row["calls"] == 6

    # the prediction is the verified attempt's patch; the evidence now holds this task's two attempts
    [prediction] = read_jsonl(out / "predictions.jsonl")
    assert evaluate_patch(SEMVER, prediction["model_patch"]).resolved
    remembered = [e for e in ExperienceMemory(tmp_path / "memory", collection=COLLECTION).experiences()
                  if e.run_id.endswith(f":{SEMVER.instance_id}")]
    assert sorted((e.model, e.success) for e in remembered) == sorted([("low", 0.0), (second["tier_floor"], 1.0)])


def test_the_run_stops_when_no_stronger_attempt_is_affordable(tmp_path: Path, llm: FakeLLM) -> None:
    """Past tasks say the stronger tiers cost more than the whole budget: after the cheap attempt
    fails its check (here the task's own tests: no --verify), the policy stops with attempts to spare."""
    seed_memory(tmp_path / "memory", cost={"low": 0.001, "mid": 0.9, "high": 2.0}, success={"low": 1.0, "mid": 1.0, "high": 1.0})
    llm.responder = weak_when_cheap()
    result = run_cli(*args_for(tmp_path, llm, "--budget", "0.5", "--attempts", "3"), env={"AGENTROUTE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    [row] = read_jsonl(tmp_path / "out" / "results.jsonl")
    [only] = row["attempts"]
    assert (only["tier_floor"], only["verdict"], only["reason"]) == ("low", "unverified", "empty patch")
    assert row["stop_reason"].startswith("policy: no stronger tier's expected cost fits the $0.4")
    assert "mid: chance" in row["stop_reason"] and "high: chance" in row["stop_reason"]
    assert row["outcome"] == "unresolved" and [request["model"] for request in llm.requests] == ["tiny"]
    assert row["spent_usd"] == only["spent_usd"] > 0


def test_a_missing_check_command_leaves_each_attempt_unverified_with_its_spend(tmp_path: Path, llm: FakeLLM) -> None:
    seed_memory(tmp_path / "memory", cost={"low": 0.001, "mid": 0.01, "high": 0.05}, success={"low": 1.0, "mid": 1.0, "high": 1.0})
    llm.responder = ScriptedSolver([SEMVER])  # every tier solves it; only the check fails
    home = tmp_path / "home"
    result = run_cli(*args_for(tmp_path, llm, "--budget", "0.5", "--attempts", "2", "--verify", "no-such-check --all"),
                     env={"AGENTROUTE_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    [row] = read_jsonl(out / "results.jsonl")
    assert [a["verdict"] for a in row["attempts"]] == ["unverified", "unverified"]
    assert all(a["reason"].startswith("--verify exited 127") and "not found" in a["reason"] for a in row["attempts"])
    assert row["attempts"][0]["tier_floor"] == "low" and row["attempts"][1]["tier_floor"] in ("mid", "high")
    assert row["outcome"] == "resolved"  # the benchmark's verdict is apart from the check's
    assert row["run_id"] == row["attempts"][-1]["run_id"]  # nothing verified: the last attempt's patch is kept
    assert row["stop_reason"] == "out of attempts"
    assert row["spent_usd"] > 0
    assert row["spent_usd"] == pytest.approx(sum(r["cost_nanos"] for r in trace_records(out)) / 1e9, abs=1e-12)



def test_a_check_that_hangs_is_killed_and_the_attempt_is_unverified(tmp_path: Path, llm: FakeLLM) -> None:
    llm.responder = ScriptedSolver([SEMVER])
    args = args_for(tmp_path, llm, "--budget", "0.5", "--verify", "sleep 60", "--verify-timeout", "1", "--no-memory")
    result = run_cli(*args, env={"AGENTROUTE_HOME": str(tmp_path / "home")}, timeout=120)
    assert result.returncode == 0, result.stderr
    [row] = read_jsonl(tmp_path / "out" / "results.jsonl")
    [only] = row["attempts"]
    assert only["verdict"] == "unverified" and only["reason"] == "--verify timed out after 1s and was killed"
    assert row["stop_reason"] is None  # one attempt: nothing was decided
    assert row["outcome"] == "resolved" and row["spent_usd"] == only["spent_usd"] > 0 and len(llm.requests) == 5


def test_bad_attempts_and_verify_options_are_one_line_errors(tmp_path: Path, llm: FakeLLM) -> None:
    assert_one_line_error(run_cli(*args_for(tmp_path, llm, "--attempts", "0")), "--attempts must be 1 or more, got 0")
    assert_one_line_error(run_cli(*args_for(tmp_path, llm, "--verify", " ")), "--verify needs a command")
    dataset = tmp_path / "verified.jsonl"
    dataset.write_text("{}\n")
    result = run_cli("run", str(dataset), "--checkout", str(tmp_path), "--attempts", "2")
    assert_one_line_error(result, "needs --verify CMD")
    assert not llm.requests and not (tmp_path / "out").exists()


def test_a_run_killed_during_its_second_attempt_resumes_it_and_keeps_the_first(tmp_path: Path, llm: FakeLLM) -> None:
    seed_memory(tmp_path / "memory", cost={"low": 0.001, "mid": 0.01, "high": 0.05}, success={"low": 1.0, "mid": 1.0, "high": 1.0})
    respond = weak_when_cheap()
    reached, release = threading.Event(), threading.Event()

    def held(request: dict) -> Reply:
        if request["model"] != "tiny" and sum(m["role"] == "assistant" for m in request["messages"]) == 2 and not release.is_set():
            reached.set()
            release.wait(60)
        return respond(request)

    llm.responder = held
    home, out = tmp_path / "home", tmp_path / "out"
    args = args_for(tmp_path, llm, "--budget", "0.5", "--attempts", "3", "--verify", CHECK)
    first = start_cli(*args, env={"AGENTROUTE_HOME": str(home)})
    assert reached.wait(120)
    first.kill()
    first.wait()
    release.set()
    assert not (out / "results.jsonl").exists()
    calls_before = len(llm.requests)  # tiny once, then three calls of attempt 2

    again = run_cli(*args, env={"AGENTROUTE_HOME": str(home)})
    assert again.returncode == 0, again.stderr
    [row] = read_jsonl(out / "results.jsonl")
    assert [(a["attempt"], a["verdict"]) for a in row["attempts"]] == [(1, "unverified"), (2, "verified")]
    resumed = llm.requests[calls_before:]
    assert "tiny" not in [request["model"] for request in resumed]  # attempt 1 was not run again
    assert sum(m["role"] == "assistant" for m in resumed[0]["messages"]) == 2  # attempt 2 continued its transcript
    store = TraceStore(home / "runs.sqlite")
    total = sum(store.spent_nanos(a["run_id"]) for a in row["attempts"])
    assert row["spent_usd"] == pytest.approx(total / 1e9, abs=1e-12) and row["spent_usd"] <= 0.5


def test_the_router_never_routes_below_its_tier_floor_even_when_the_budget_is_short(llm: FakeLLM) -> None:
    pool = make_pool(llm.base_url)
    messages = [{"role": "user", "content": "hello"}]
    floored = Router(pool, make_policy("always:low", pool), budget_usd=0.5, run_id="floored", settings=FAST, tier_floor=1)
    floored.complete(messages)
    assert llm.requests[-1]["model"] == "mid-a" and floored.records[-1].reason.endswith("; floor mid")

    # a budget that fits a low call but no mid call: without a floor the router drops to low, with one it stops
    probe = Router(pool, make_policy("always:mid", pool), budget_usd=0.5, run_id="probe", settings=FAST)
    counted = probe.count_prompt_tokens(pool.tiers[0].primary, messages, None)
    low_reserve = probe.reserve_nanos(pool.tiers[0].primary, counted, FAST.max_tokens)
    mid_least = probe.reserve_nanos(pool.tiers[1].primary, counted, FAST.min_max_tokens)
    assert low_reserve < mid_least
    budget = low_reserve / 1e9
    free = Router(pool, make_policy("always:mid", pool), budget_usd=budget, run_id="free", settings=FAST)
    free.complete(messages)
    assert llm.requests[-1]["model"] == "tiny"
    capped = Router(pool, make_policy("always:mid", pool), budget_usd=budget, run_id="capped", settings=FAST, tier_floor=1)
    with pytest.raises(BudgetExhausted):
        capped.complete(messages)
    assert capped.ledger.spent_nanos == 0 and llm.requests[-1]["model"] == "tiny"


# The fake's prompts are about 100 times shorter than a real agent's, so this pool prices each tier
# at 100 times the test pool's prices: an attempt then costs what a real one does (high ≈ $0.4).
PRICED_LIKE_REAL_ATTEMPTS = priced_pool_toml(100)
BUDGET = 10  # room for a high attempt's worst-case reservation at these prices


def gives_up(request: dict) -> Reply:
    """Every tier submits at once without a change: no tier solves the task."""
    return Reply(content=None, tool_calls=[{"name": "submit", "arguments": {}}], completion_tokens=10)


def test_the_policy_stops_on_its_own_once_the_evidence_says_no_tier_rescues_such_failures(tmp_path: Path, llm: FakeLLM) -> None:
    """Cold, a failed attempt is followed by stronger ones. Once the memory holds past tasks like
    this one that no tier rescued (the cold run's own, and others), the policy stops after the
    first failure, by its own expected-value decision, with tiers and money to spare."""
    llm.responder = gives_up
    pool = tmp_path / "pool.toml"
    pool.write_text(PRICED_LIKE_REAL_ATTEMPTS.format(base_url=llm.base_url))
    memory, env = tmp_path / "memory", {"AGENTROUTE_HOME": str(tmp_path / "home")}

    printed: list[str] = []

    def run(out: str) -> dict:
        result = run_cli("run", str(SUITE / SEMVER.instance_id), "--pool", str(pool), "--policy", "always:low",
                         "--budget", str(BUDGET), "--attempts", "3", "--verify", CHECK, "--out", str(tmp_path / out),
                         "--memory", str(memory), env=env)
        assert result.returncode == 0, result.stderr
        printed.append(result.stdout)
        [row] = read_jsonl(tmp_path / out / "results.jsonl")
        return row

    cold = run("cold")
    floors = [attempt["tier_floor"] for attempt in cold["attempts"]]
    assert len(floors) >= 2 and floors == sorted(floors, key=["low", "mid", "high"].index) and len(set(floors)) == len(floors)
    assert all(attempt["verdict"] == "unverified" for attempt in cold["attempts"])
    assert not cold["stop_reason"].startswith("policy:")  # it stopped only when no tier or attempt was left
    calls_cold = len(llm.requests)

    seed_memory(memory, cost={"low": 0.02, "mid": 0.09, "high": 0.43}, success={"low": 0.0, "mid": 0.0, "high": 0.0}, tasks=5)
    warm = run("warm")
    warm_output = printed[-1]  # the summary says why the attempts stopped
    [only] = warm["attempts"]
    assert only["verdict"] == "unverified" and only["reason"] == "empty patch" and only["tier_floor"] != "high"
    assert warm["stop_reason"].startswith("policy: no further attempt has positive expected value (")
    assert "attempts stopped: policy: no further attempt has positive expected value" in " ".join(warm_output.split())
    assert "high: chance" in warm["stop_reason"]  # the estimates it decided on, for each stronger tier
    assert len(llm.requests) == calls_cold + 1
    assert 0 < warm["spent_usd"] < cold["spent_usd"] <= BUDGET and warm["spent_usd"] < BUDGET - 0.43  # money was left for high

    # the stop is in the evidence too: the warm run's attempt was recorded for the next run
    remembered = [e for e in ExperienceMemory(memory, collection=COLLECTION).experiences() if e.run_id.endswith(f":{SEMVER.instance_id}")]
    assert len(remembered) == len(floors) + 1
