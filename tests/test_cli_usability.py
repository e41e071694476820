"""Inspecting runs and using the CLI as a newcomer: trace at 80 columns, the reason legend, the run
summary and exit codes on re-runs, --version/-h/completion, and environment defaults."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from cli import run_cli
from conftest import FAST, POOL_TOML
from fakellm import FakeLLM, Reply
from gitrepo import checkout_of
from typer.testing import CliRunner

from agentroute.cli.app import app
from agentroute.policies import make_policy
from agentroute.pool import Pool, load_pool
from agentroute.reasons import REASON_CODES, unexplained
from agentroute.router import Router
from agentroute.swe.task import load_tasks
from agentroute.trace import RunInfo, TraceStore

ROOT = Path(__file__).resolve().parents[1]
SEMVER = load_tasks(ROOT / "evals" / "swe" / "local__semver-1")[0]
HELLO = [{"role": "user", "content": "hello"}]


def invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(app, list(args), env={"AGENTROUTE_BUDGET": None, "AGENTROUTE_POOL": None,
                                                    "AGENTROUTE_POLICY": None, **(env or {})}, prog_name="agentroute")


def routed_run(store: TraceStore, pool: Pool, policy: str, run_id: str, calls: int, *, budget: float = 0.5,
               mock: str | None = "hi") -> Router:
    """`calls` routed calls (litellm's mock reply unless mock is None: then the pool's server answers)."""
    store.start_run(RunInfo(run_id=run_id, created=0, cap_usd=budget, pool=pool.source, policy=policy))
    routed = Router(pool, make_policy(policy, pool), budget_usd=budget, run_id=run_id, store=store, settings=FAST)
    for _ in range(calls):
        routed.complete(HELLO, node="agent", **({"mock_response": mock} if mock else {}))
    return routed


def test_trace_fits_80_columns_without_cutting_a_cost(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "runs.sqlite")
    routed = routed_run(store, load_pool(), "learned", "r1", 3)
    routed.note("reroute", "payment tool failed, took the backup; path crm ⇒ crm_replica", outcome="rerouted",
                error="[card_processor: down]")
    routed.finish("resolved")
    records = store.records("r1")
    narrow = run_cli("trace", "r1", "--store", str(store.path), env={"COLUMNS": "80"})
    assert narrow.returncode == 0, narrow.stderr
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    assert "…" not in narrow.stdout
    for record in records:
        assert f"{record.cost_usd:.6f}" in narrow.stdout
    assert "[card_processor: down]" in narrow.stdout and "learned n=" in narrow.stdout
    assert f"{sum(r.cost_nanos for r in records) / 1e9:.6f}" in narrow.stdout
    assert "agentroute trace --legend" in narrow.stdout
    wide = run_cli("trace", "r1", "--store", str(store.path), env={"COLUMNS": "200"})
    assert "cached" in wide.stdout and "cached" not in narrow.stdout  # the wide layout shows every column


def test_every_reason_a_routed_run_writes_is_in_the_legend(tmp_path: Path, llm: FakeLLM, pool: Pool) -> None:
    store = TraceStore(tmp_path / "runs.sqlite")
    for budget in ("0.5", "0.002"):  # the tiny budget makes the router move tiers down
        assert invoke("demo", "--budget", budget, "--store", str(store.path)).exit_code == 0
    llm.responder = lambda request: Reply(fault="500") if request["model"] == "tiny" else Reply(content="ok")
    routed_run(store, pool, "always:low", "failing-low", 1, mock=None)  # low fails: the router tries mid
    routed_run(store, pool, "always:high", "tight", 1, budget=0.0001)  # high does not fit, low with fewer tokens does
    reasons = {record.reason for info in store.runs() for record in store.records(info.run_id) if record.kind == "model"}
    assert any("failed, try" in reason for reason in reasons) and any("max_tokens" in reason for reason in reasons)
    for policy in ("learned", "budget-aware", "cascade", "random", "always:"):
        assert any(info.policy.startswith(policy) for info in store.runs()), policy
    assert {reason: unexplained(reason) for reason in reasons if unexplained(reason)} == {}


def test_the_legend_and_docs_explain_every_code() -> None:
    legend = invoke("trace", "--legend")
    assert legend.exit_code == 0
    doc = (ROOT / "docs" / "reasons.md").read_text()
    for code in REASON_CODES:
        for part in code.code.split(" / "):
            assert part in legend.output and f"`{part}`" in doc, part
    assert unexplained("learned n=12, ghost_feature+; p=0.50 τ=0.80 ρ=0.10") == ["ghost_feature+"]


def test_a_rerun_of_a_suite_whose_task_errored_exits_1_and_says_why(tmp_path: Path, llm: FakeLLM) -> None:
    checkout = tmp_path / "checkouts" / "local__semver"
    checkout_of(SEMVER.repo_dir, checkout)
    row = {**SEMVER.model_dump(mode="json", exclude={"repo_dir", "test_cmd"}), "base_commit": "0" * 40,
           "FAIL_TO_PASS": json.dumps(SEMVER.FAIL_TO_PASS), "PASS_TO_PASS": json.dumps(SEMVER.PASS_TO_PASS)}
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text(json.dumps(row) + "\n")
    pool = tmp_path / "pool.toml"
    pool.write_text(POOL_TOML.format(base_url=llm.base_url))
    args = ["run", str(dataset), "--checkout", str(checkout.parent), "--pool", str(pool), "--no-memory", "--out", str(tmp_path / "out")]
    env = {"AGENTROUTE_HOME": str(tmp_path / "home"), "COLUMNS": "80"}
    first = run_cli(*args, env=env)
    [result] = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert first.returncode == 1 and result["outcome"] == "error" and not llm.requests
    again = run_cli(*args, env=env)
    assert again.returncode == 1 and "already have results" in again.stdout
    for output in (first.stdout, again.stdout):
        assert result["run_id"] in output and "git checkout failed" in output


def test_version_short_help_and_completion() -> None:
    assert invoke("--version").output.strip() == f"agentroute {version('agentroute')}"
    for command in ([], ["run"], ["pool", "show"], ["bench", "replay"], ["memory", "import"]):
        shown = invoke(*command, "-h")
        assert shown.exit_code == 0 and "Usage" in shown.output, command
    pool_help = " ".join(invoke("pool", "show", "-h").output.split())  # help wraps at the terminal's width
    assert "--pool" in pool_help and "--config" not in pool_help and "AGENTROUTE_POOL" in pool_help
    installed = Path(sys.executable).parent / "agentroute"  # the installed command, in a fresh process
    completion = subprocess.run([str(installed), "--show-completion", "bash"], capture_output=True, text=True, timeout=120)
    assert completion.returncode == 0 and "_AGENTROUTE_COMPLETE" in completion.stdout, completion.stderr
    run_help = " ".join(invoke("run", "-h").output.split())
    for name in ("learned", "budget-aware", "cascade", "random", "always:<tier>", "AGENTROUTE_BUDGET", "AGENTROUTE_POLICY"):
        assert name in run_help, name


def test_environment_defaults_and_the_flag_that_overrides_them(tmp_path: Path, llm: FakeLLM) -> None:
    store = tmp_path / "runs.sqlite"
    assert invoke("demo", "--store", str(store), env={"AGENTROUTE_BUDGET": "0.002"}).exit_code == 0
    assert {info.cap_usd for info in TraceStore(store).runs()} == {0.002}
    assert invoke("demo", "--store", str(store), "--budget", "0.5", env={"AGENTROUTE_BUDGET": "0.002"}).exit_code == 0
    assert {info.cap_usd for info in TraceStore(store).runs()} == {0.002, 0.5}
    pool = tmp_path / "pool.toml"
    pool.write_text(POOL_TOML.format(base_url=llm.base_url))
    for shown in (invoke("pool", "show", env={"AGENTROUTE_POOL": str(pool)}),
                  invoke("pool", "show", "--config", str(pool))):  # the old name of --pool still works
        assert shown.exit_code == 0 and "12.5" in shown.output and "mid_high" not in shown.output  # the test pool, not the built-in


@pytest.mark.parametrize("name", ["always:low", "fixed:low"])
def test_fixed_is_an_alias_of_always_and_the_reason_uses_the_policy_name(name: str) -> None:
    pool = load_pool()
    decision = make_policy(name, pool).decide(None)  # type: ignore[arg-type] - a fixed tier reads no context
    assert decision.tier == 0 and decision.reason == "always:low" and re.fullmatch(r"always:\S+", decision.reason)
