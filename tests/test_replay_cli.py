"""`agentroute bench replay` end to end: the table, the JSON other tools read, the plot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli import run_cli


def agentroute(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"COLUMNS": "220"}, cwd=cwd, timeout=600)


def test_replay_writes_results_json_and_plot(tmp_path: Path) -> None:
    out, plot = tmp_path / "replay.json", tmp_path / "replay.png"
    result = agentroute("bench", "replay", "--suite", "swe", "--mode", "resolved", "--orders", "2", "--json", str(out),
                        "--plot", str(plot), "--memory", str(tmp_path / "memory"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "acrouter-released" in result.stdout and "agentroute" in result.stdout
    payload = json.loads(out.read_text())
    assert payload["settings"]["orders"] == 2 and payload["settings"]["budget_usd"] == 2.5
    rows = {(row["policy"], row["mode"]): row for row in payload["results"]}
    for key in ("policy", "tasks", "score_pct", "total_usd", "regret", "escalations", "mean_score_pct", "range_regret",
                "mean_unsolvable_usd"):
        assert key in rows[("agentroute", "resolved")]
    # The table shows full names (two released-cascade rows told apart), the $ lost column and a legend.
    assert "acrouter-released (no budget)" in result.stdout and "$ lost" in result.stdout and "[min–max]" in result.stdout
    released = rows[("acrouter-released (no budget)", "resolved")]
    assert (round(released["score_pct"], 2), round(released["total_usd"], 2)) == (66.96, 63.43)
    assert rows[("agentroute", "resolved")]["tasks"] == 112
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The memory policy wrote its experiences to real Chroma stores under --memory.
    assert any((tmp_path / "memory").iterdir())


def test_replay_is_deterministic_across_runs(tmp_path: Path) -> None:
    def run(name: str) -> list[dict]:
        out = tmp_path / f"{name}.json"
        result = agentroute("bench", "replay", "--suite", "swe", "--mode", "resolved", "--orders", "1", "--seed", "3",
                            "--json", str(out), "--memory", str(tmp_path / name), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return json.loads(out.read_text())["results"]

    first, second = run("first"), run("second")
    assert [row["policy"] for row in first][:2] == ["agentroute", "agentroute (Chroma kNN)"]
    assert first == second


def test_split_scores_each_held_repository_against_the_best_single_model_of_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "split.json"
    result = agentroute("bench", "replay", "--suite", "swe", "--mode", "resolved", "--orders", "1", "--split",
                        "--json", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {(row["group"], row["policy"]): row for row in json.loads(out.read_text())["results"]}
    assert {group for group, _ in rows} == {"django", "astropy"}
    # Fitting on astropy's 15 tasks picks gpt-5.4; fitting on django's 97 picks claude-opus-4-6.
    assert rows[("django", "agentroute")]["reference_model"] == "gpt-5.4"
    assert rows[("astropy", "agentroute")]["reference_model"] == "claude-opus-4-6"
    assert rows[("django", "agentroute")]["tasks"] == 97 and len(rows[("django", "agentroute")]["regrets"]) == 1
    assert "best single on the rest" in result.stdout


def test_replay_bad_arguments_and_data_are_one_line(tmp_path: Path) -> None:
    for args, text in (
        (("--suite", "nope"), "--suite must be swe, id or all"),
        (("--budget", "-1"), "budget must be greater than 0"),
        (("--split", "--plot", str(tmp_path / "p.png")), "leave it out with --split"),
        (("--data", str(tmp_path / "missing")), "does not exist"),
    ):
        result = agentroute("bench", "replay", *args, cwd=tmp_path)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and text in lines[0], result.stderr


def test_the_table_wraps_instead_of_cutting_numbers_at_80_columns(tmp_path: Path) -> None:
    result = run_cli("bench", "replay", "--suite", "swe", "--mode", "resolved", "--orders", "2", env={"COLUMNS": "80"},
                     cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout and max(map(len, result.stdout.splitlines())) <= 80
    assert "cascade-k1" in result.stdout and "[72.32–72.32]" in result.stdout  # a range wrapped under its mean
