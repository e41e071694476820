"""`agentroute bench twin` end to end in a process of its own, metrics read back from --json."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli import run_cli

BANK = Path(__file__).parent / "data" / "twin_bank.jsonl"

# The predictions below, worked by hand in micro-dollars (tests/test_twin_scoring.py has the derivation).
PREDICTIONS = {"swebench_demo__a_step_1": 3, "swebench_demo__a_step_2": 3, "swebench_demo__a_step_3": 2,
               "swebench_demo__a_step_4": 2, "swebench_demo__a_step_5": 0, "swebench_demo__b_step_1": 0,
               "swebench_demo__b_step_2": 3, "bfcl_1": 1, "mtrag_7_turn_1": 0, "mtrag_7_turn_2": 0,
               "mtrag_7_turn_3": 0, "qmsum_3": 3}  # bfcl_2 left out: scored as an error
SWE = 100 * ((3117 - (487.5 + 500.5 + 145.8331 + 76.49988 + 41.26)) + (600 - (9.74 + 412.5))) / 3717
BFCL = 100 * (12587.5 - 1004.2) / 12587.5
MTRAG = 100 * -(10.76 + 12.3 + 20.38) / 1300.5
COSTSAVE = 7 / 13 * SWE + 2 / 13 * BFCL + 3 / 13 * MTRAG + 1 / 13 * 0.0


def run(*args: str) -> subprocess.CompletedProcess:
    return run_cli("bench", "twin", *args, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("twin")
    predictions = folder / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"id": key, "tier_id": tier}) + "\n" for key, tier in PREDICTIONS.items()))
    out, plot = folder / "metrics.json", folder / "plot.png"
    done = run("--data", str(BANK), "--predictions", str(predictions), "--json", str(out), "--plot", str(plot))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), done.stdout, plot


def test_metrics_json_has_every_router(report):
    metrics, _, _ = report
    assert metrics["rows"] == 13 and metrics["trajectories"] == 6
    assert metrics["benchmarks"] == {"swebench": 7, "bfcl": 2, "mtrag": 3, "qmsum": 1}
    assert [result["router"] for result in metrics["results"]] == [
        "predictions:predictions.jsonl", "learned", "always-low", "always-high", "random", "budget-aware",
        "litellm-complexity", "1-NN (upper bound)"]


def test_saved_predictions_score_with_the_hand_arithmetic(report):
    result = report[0]["results"][0]
    assert result["errors"] == 1 and "bfcl_2" in result["first_error"]
    assert result["rowpass"] == pytest.approx(100 * 11 / 13)
    assert result["rowexact"] == pytest.approx(100 * 8 / 13)
    assert result["trajpass"] == pytest.approx(100 * 9 / 13)
    assert result["costsave"] == pytest.approx(COSTSAVE, rel=1e-9)
    assert result["by_benchmark"]["swebench"]["costsave"] == pytest.approx(SWE, rel=1e-9)
    assert result["by_benchmark"]["bfcl"]["costsave"] == pytest.approx(BFCL, rel=1e-9)
    assert result["by_benchmark"]["mtrag"]["costsave"] == pytest.approx(MTRAG, rel=1e-9)
    assert result["combined"] == pytest.approx((100 * 11 / 13 + 100 * 8 / 13 + 100 * 9 / 13 + COSTSAVE) / 4, rel=1e-9)


def test_always_high_is_the_zero_of_costsave(report):
    always_high = next(result for result in report[0]["results"] if result["router"] == "always-high")
    assert always_high["costsave"] == 0.0 and always_high["rowpass"] == 100.0 and always_high["errors"] == 0
    assert always_high["always_high_usd"] == pytest.approx((3717 + 25212.5 + 1300.5 + 12656.25) / 1e6)


def test_table_and_plot_are_written(report):
    _, stdout, plot = report
    assert "COSTSAVE per benchmark" in stdout and "1-NN (upper bound)" in stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_data_it_says_where_the_bank_is():
    done = run()
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: no --data given")
    assert "https://huggingface.co/datasets/Amorph/TwinRouterBench" in lines[0] and "--data" in lines[0]


def test_a_malformed_bank_is_one_error_line(tmp_path):
    bad = tmp_path / "bank.jsonl"
    rows = BANK.read_text().splitlines()
    rows[3] = rows[3].replace('"target_tier_id": 0', '"target_tier_id": 2')
    bad.write_text("\n".join(rows) + "\n")
    done = run("--data", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: {bad} line 4: row 'swebench_demo__a_step_4': target_tier 'low' does not "
                                   f"match target_tier_id 2 (mid_high)")


QUIRKS = Path(__file__).parent / "data" / "twin_quirks.jsonl"


@pytest.fixture(scope="module")
def quirks_report(tmp_path_factory):
    """The quirks fixture through the CLI, with predictions under the benchmark's own key names."""
    folder = tmp_path_factory.mktemp("quirks")
    predictions = folder / "preds.jsonl"
    lines = [
        {"id": "swebench_demo__q_step_1", "pred_tier_id": 3, "gold_tier_id": 3, "match": True},  # an eval record
        {"id": "swebench_demo__q_step_2", "predicted_tier_id": 3},
        {"id": "swebench_demo__q_step_4", "tier_id": 2, "pred_tier_id": 2},  # two keys that agree
        {"id": "swebench_demo__r_step_1", "pred_tier_id": 0},
        {"id": "swebench_demo__r_step_5", "error": "timeout"},  # the benchmark's failed-row record
        {"id": "mtrag_9_turn_3", "tier_id": 0},
    ]  # pinch_1 left out: no prediction, an error too
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = folder / "metrics.json"
    done = run("--data", str(QUIRKS), "--predictions", str(predictions), "--json", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), done.stdout


def test_the_quirks_bank_runs_and_says_how_many_trajectories_are_incomplete(quirks_report):
    metrics, stdout = quirks_report
    assert (metrics["rows"], metrics["trajectories"], metrics["incomplete_trajectories"]) == (7, 4, 3)
    assert "4 trajectories (3 incomplete)" in stdout
    assert "3 of 4 trajectories are incomplete" in " ".join(stdout.split())
    assert metrics["tokenizers"]["mid_high"] == "cl100k (tiktoken)"
    # every baseline routes every quirky row (developer role, tool messages by name, content null)
    assert [(result["router"], result["errors"]) for result in metrics["results"][1:]] == [
        (name, 0) for name in ("learned", "always-low", "always-high", "random", "budget-aware", "litellm-complexity",
                               "1-NN (upper bound)")]


def test_prediction_aliases_and_saved_errors_are_scored(quirks_report):
    result = quirks_report[0]["results"][0]
    assert result["router"] == "predictions:preds.jsonl"
    assert result["errors"] == 2  # r5's saved error and pinch_1's missing line
    assert result["tier_counts"] == {"low": 2, "mid": 0, "mid_high": 1, "high": 2}
    assert result["rowpass"] == pytest.approx(100 * 5 / 7)
    assert result["rowexact"] == pytest.approx(100 * 4 / 7)  # q1, q4, r1, m3
    assert result["trajpass"] == pytest.approx(100 * 4 / 7)  # demo__q (3 rows) and conv_9
    assert "saved error: timeout" in result["first_error"] or "no prediction" in result["first_error"]


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "line 3: not valid JSON: Expecting property name enclosed in double quotes at column 2"),
        ('{"id": "x", "benchmark": "swebench", "messages": [{"role": "user", "content": "hi"}], "target_tier": "huge"}',
         "line 3: row 'x': target_tier: Input should be 'low', 'mid', 'mid_high' or 'high'"),
        ('{"id": "x", "benchmark": "swebench", "target_tier_id": 0}', "line 3: row 'x': messages: Field required"),
        ('{"id": "pinch_1", "benchmark": "pinchbench", "messages": [{"role": "user", "content": "hi"}], "target_tier_id": 0}',
         "line 6: duplicate id 'pinch_1' (first on line 3)"),  # the later row is the duplicate
    ],
)
def test_a_truly_malformed_row_is_one_error_line_with_its_number(tmp_path, line, expected):
    rows = QUIRKS.read_text().splitlines()
    rows.insert(2, line)
    bad = tmp_path / "bank.jsonl"
    bad.write_text("\n".join(rows) + "\n")
    message = one_error_line(run("--data", str(bad)))
    assert message.startswith(f"error: {bad} {expected}"), message


def test_predictions_naming_a_row_the_bank_lacks_is_one_error_line(tmp_path):
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text(json.dumps({"id": "pinch_1", "pred_tier_id": 1}) + "\n"
                           + json.dumps({"id": "swebench_demo__q_step_3", "pred_tier_id": 1}) + "\n")
    message = one_error_line(run("--data", str(QUIRKS), "--predictions", str(predictions)))
    assert message == f"error: {predictions} line 2: id 'swebench_demo__q_step_3' is not a row of {QUIRKS}"


def test_predictions_whose_keys_disagree_are_one_error_line(tmp_path):
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text(json.dumps({"id": "pinch_1", "tier_id": 1, "pred_tier_id": 3}) + "\n")
    message = one_error_line(run("--data", str(QUIRKS), "--predictions", str(predictions)))
    assert message.startswith(f"error: {predictions} line 1: line: the tier keys disagree: tier_id 1, pred_tier_id 3")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ({"id": "pinch_1"}, "line 1: tier_id: Field required (expected"),
        ({"pred_tier_id": 1}, "line 1: id: Field required"),
        ({"id": "pinch_1", "pred_tier_id": 4}, "line 1: tier_id: Input should be less than or equal to 3"),
        ({"id": "pinch_1", "predicted_tier_id": True}, "line 1: tier_id: Input should be a valid integer"),
        ({"id": "pinch_1", "pred_tier_id": 1, "predicted_tier_id": 2}, "the tier keys disagree: pred_tier_id 1, predicted_tier_id 2"),
    ],
)
def test_prediction_lines_that_are_refused(tmp_path, line, expected):
    from agentroute.twin.predictions import PredictionsError, load_predictions
    from agentroute.twin.records import load_bank

    path = tmp_path / "preds.jsonl"
    path.write_text(json.dumps(line) + "\n")
    with pytest.raises(PredictionsError) as raised:
        load_predictions(path, load_bank(QUIRKS))
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_each_alias_replays_the_same_tier(tmp_path):
    from agentroute.twin.predictions import load_predictions
    from agentroute.twin.records import load_bank

    bank = load_bank(QUIRKS)
    pinch = next(row for row in bank.rows if row.id == "pinch_1")
    for key in ("tier_id", "pred_tier_id", "predicted_tier_id"):
        path = tmp_path / f"{key}.jsonl"
        path.write_text(json.dumps({"id": "pinch_1", key: 2, "error": None}) + "\n")
        assert load_predictions(path, bank).route(pinch) == 2, key
    path = tmp_path / "error.jsonl"
    path.write_text(json.dumps({"id": "pinch_1", "pred_tier_id": 2, "error": "rate limited"}) + "\n")
    with pytest.raises(Exception, match="saved error: rate limited"):  # error wins, as in the benchmark's scorer
        load_predictions(path, bank).route(pinch)
