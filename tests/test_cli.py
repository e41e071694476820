"""The command line as a user runs it: real processes, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cli import assert_one_line_error, run_cli

from agentroute.pool import load_pool
from agentroute.router import Router
from agentroute.policies import make_policy
from agentroute.trace import RunInfo, TraceStore


def agentroute(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"AGENTROUTE_HOME": str(home)})


def test_cli_import_does_not_load_heavy_libraries() -> None:
    code = "import sys, agentroute.cli.app; print(sorted(m for m in ('litellm', 'langgraph', 'chromadb', 'langchain') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_pool_show_prints_tiers_models_and_prices(tmp_path: Path) -> None:
    result = agentroute("pool", "show", home=tmp_path)
    assert result.returncode == 0, result.stderr
    for text in ("low", "high", "gpt-4o-mini", "claude-sonnet-4-5", "(fallback)", "0.15", "litellm"):
        assert text in result.stdout


@pytest.mark.parametrize("columns", ["60", "200"])
def test_pool_show_never_cuts_a_model_id_on_a_narrow_terminal(tmp_path: Path, columns: str) -> None:
    result = run_cli("pool", "show", env={"AGENTROUTE_HOME": str(tmp_path), "COLUMNS": columns})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "pool builtin:default (USD per 1M tokens)" and lines[1].split()[:3] == ["tier", "name", "model"]
    for tier in load_pool().tiers:
        for model in tier.models:
            assert any(model.id in line.split() for line in lines), model.id  # whole, on one line
    assert "…" not in result.stdout


def test_pool_show_bad_config_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "pool.toml"
    bad.write_text('[[tiers]]\nname = "x"\nmodels = ["openai/unknown-model-id"]\n')
    assert_one_line_error(agentroute("pool", "show", "--config", str(bad), home=tmp_path), "is unknown to litellm")
    bad.write_text('[[tiers]]\nname = "x"\nmodels = ["gpt-4o-mini"]\nweight = 3\n')
    assert_one_line_error(agentroute("pool", "show", "--config", str(bad), home=tmp_path), "unknown key")


def test_trace_prints_records_and_totals_and_exports_jsonl(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = TraceStore(home / "runs.sqlite")
    pool = load_pool()
    store.start_run(RunInfo(run_id="r1", created=0, cap_usd=0.5, pool=pool.source, policy="always:low"))
    router = Router(pool, make_policy("always:low", pool), budget_usd=0.5, run_id="r1", store=store)
    for _ in range(2):
        router.complete([{"role": "user", "content": "hello"}], node="agent", mock_response="hi")
    router.note("reroute", "payment tool failed, took the backup", outcome="rerouted", error="[card_processor: down]")
    router.finish("resolved")
    spent = router.ledger.snapshot().spent_usd
    out_file = tmp_path / "trace.jsonl"
    result = agentroute("trace", "r1", "--jsonl", str(out_file), home=home)
    assert result.returncode == 0, result.stderr
    assert "gpt-4o-mini" in result.stdout and "resolved" in result.stdout and "total" in result.stdout
    assert f"{spent:.6f}" in result.stdout
    assert "[card_processor: down]" in result.stdout and "reroute" in result.stdout  # markup-like text kept
    lines = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 1, 1] and lines[0]["node"] == "agent"
    assert [line["kind"] for line in lines] == ["model", "model", "reroute"]
    runs = agentroute("runs", home=home)
    assert "r1" in runs.stdout and "resolved" in runs.stdout


def test_trace_errors_are_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert_one_line_error(agentroute("trace", "nope", home=home), "no trace store")
    TraceStore(home / "runs.sqlite").close()
    assert_one_line_error(agentroute("trace", "nope", home=home), "no run 'nope'")
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 100)
    assert_one_line_error(agentroute("trace", "x", "--store", str(corrupt), home=home), "not readable")
    assert corrupt.read_bytes() == b"this is not a database" * 100  # nothing overwritten


def test_existing_trace_survives_a_failing_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = TraceStore(home / "runs.sqlite")
    store.start_run(RunInfo(run_id="keep", created=0, cap_usd=1, pool="p", policy="x"))
    store.close()
    before = sqlite3.connect(home / "runs.sqlite").execute("SELECT COUNT(*) FROM runs").fetchone()
    assert_one_line_error(agentroute("demo", "--budget", "-1", home=home), "budget must be greater than 0")
    after = sqlite3.connect(home / "runs.sqlite").execute("SELECT COUNT(*) FROM runs").fetchone()
    assert before == after == (1,)


@pytest.mark.parametrize("budget", ["0", "-0.5"])
def test_demo_rejects_non_positive_budgets(tmp_path: Path, budget: str) -> None:
    assert_one_line_error(agentroute("demo", "--budget", budget, home=tmp_path), "budget must be greater than 0")


def test_demo_routes_the_scripted_episode_with_every_policy(tmp_path: Path) -> None:
    result = agentroute("demo", "--budget", "0.5", home=tmp_path)
    assert result.returncode == 0, result.stderr
    store = TraceStore(tmp_path / "runs.sqlite")
    runs = {info.policy: info for info in store.runs()}
    assert set(runs) == {"always:high", "always:low", "cascade", "random", "budget-aware", "learned"}
    spent = {policy: store.spent_nanos(info.run_id) for policy, info in runs.items()}
    assert spent["always:low"] < spent["budget-aware"] < spent["always:high"]
    assert spent["always:low"] < spent["learned"] <= spent["always:high"]
    assert all(info.outcome == "submitted" for info in runs.values())


def test_demo_stops_at_a_tiny_budget_without_overspending(tmp_path: Path) -> None:
    result = agentroute("demo", "--budget", "0.002", home=tmp_path)
    assert result.returncode == 0, result.stderr
    store = TraceStore(tmp_path / "runs.sqlite")
    high = next(info for info in store.runs() if info.policy == "always:high")
    assert high.outcome == "budget_exhausted"
    assert store.spent_nanos(high.run_id) <= 2_000_000
