"""`agentroute tools plan|simulate` and `agentroute bench healing`, end to end in a process of their own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli import run_cli

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, timeout=300)


def test_plan_prints_the_cheapest_path() -> None:
    done = cli("tools", "plan", str(TOOLS / "customer_support.yaml"))
    assert done.returncode == 0, done.stderr
    assert "path: request -crm_lookup-> customer -orders_api-> order -refund_api-> refunded -email_gateway-> notified" in done.stdout


def test_simulate_prints_the_path_before_and_after_each_failure() -> None:
    done = cli("tools", "simulate", str(TOOLS / "customer_support.yaml"), "--fail", "crm_lookup,refund_api")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    first = lines.index("✗ crm_lookup fails (request → customer)")
    assert lines[first + 1].strip().startswith("before: request -crm_lookup-> customer")
    assert lines[first + 2].strip().startswith("after:  request -crm_replica-> customer")
    second = lines.index("✗ refund_api fails (order → refunded)")
    assert lines[second + 1].strip() == "before: order -refund_api-> refunded -email_gateway-> notified"
    assert lines[second + 2].strip() == "after:  order -billing_portal-> refunded -email_gateway-> notified"
    assert lines[-1] == "goal notified reached after 2 reroute(s), without an LLM call"


def test_simulate_reports_when_no_path_is_left() -> None:
    done = cli("tools", "simulate", str(TOOLS / "travel.yaml"), "--fail", "card_processor,wallet_processor")
    assert done.returncode == 0, done.stderr
    assert "after:  no path" in done.stdout
    assert "reduced outcomes with a path: held (booking_ready -hold_booking-> held)" in done.stdout


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    done = cli("tools", "simulate", str(TOOLS / "travel.yaml"), "--fail", "teleporter")
    assert done.returncode == 2 and done.stderr.startswith("error: spec 'travel' has no tool 'teleporter'")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstates: [a, b]\nstart: a\ngoal: b\ntools: [{name: t, from: a, to: b, cost_usd: -2}]\n")
    done = cli("tools", "plan", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {bad}: tool 't'.cost_usd: Input should be greater than or equal to 0"


def test_bench_healing_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "healing.json"
    done = cli("bench", "healing", "--json", str(out), "--store", str(tmp_path / "runs.sqlite"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    rows = {row["approach"]: row for row in report["summary"]}
    assert (rows["self-healing"]["correct"], rows["self-healing"]["silent"]) == (19, 0)
    assert rows["self-healing"]["llm_calls"] <= 9 < rows["react"]["llm_calls"]
    assert rows["static"]["silent"] == 3
    assert len(report["scores"]) == 57
    assert "published reference" in done.stdout
    listed = cli("runs", "--store", str(tmp_path / "runs.sqlite"), cwd=tmp_path)
    assert listed.returncode == 0 and "healing-" in listed.stdout
