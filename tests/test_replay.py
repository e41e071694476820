"""The replay harness: scorer arithmetic by hand, the shipped data's published figures, data errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentroute.replay.baselines import AlwaysModel, Oracle, ReleasedACRouter
from agentroute.replay.data import DataError, load_prices, load_suite
from agentroute.escalation.evidence import GroupEvidence
from agentroute.replay.harness import run_stream
from agentroute.escalation.policy import EscalationPolicy

# task → model → (resolved, apply_ok, cost)
TABLE = {
    "old112::t1": {"a": (1, 1, 0.10), "b": (1, 1, 0.50), "c": (1, 1, 2.00)},
    "old112::t2": {"a": (0, 1, 0.20), "b": (1, 1, 0.40), "c": (1, 1, 1.00)},
    "old112::t3": {"a": (0, 0, 0.05), "b": (0, 1, 0.30), "c": (1, 1, 3.00)},
}
HEADER = "task_id,source_split,bench,original_task_id,dimension,model,source_model,resolved,apply_ok,graded,in_tok,out_tok,calls,cost_usd,source_status,cost_source"


def write_suite(folder: Path, table: dict = TABLE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "ood112_tasks.jsonl").open("w") as tasks:
        for task_id in table:
            tasks.write(json.dumps({"task_id": task_id, "dimension": "bug_fixing", "prompt": f"issue {task_id}"}) + "\n")
    lines = [HEADER]
    for task_id, by_model in table.items():
        for model, (resolved, applies, cost) in by_model.items():
            lines.append(f"{task_id},old112,old112,{task_id[8:]},bug_fixing,{model},{model},{resolved},{applies},1,1,1,1,{cost},,x")
    (folder / "ood112_results_long.csv").write_text("\n".join(lines) + "\n")
    (folder / "models.json").write_text(json.dumps({"models": [
        {"model": "a", "input_per_1m": 0.1, "output_per_1m": 0.1},
        {"model": "b", "input_per_1m": 1, "output_per_1m": 1},
        {"model": "c", "input_per_1m": 5, "output_per_1m": 5},
    ]}))
    return folder


@pytest.fixture
def small(tmp_path: Path):
    return load_suite("swe", write_suite(tmp_path / "crb"))


def test_single_model_arithmetic(small) -> None:
    # Best single r per task: t1 a 1−0.01 = 0.99; t2 b 1−0.04 = 0.96; t3 c 1−0.30 = 0.70.
    a = run_stream(AlwaysModel("a"), small, mode="resolved", budget_usd=10, order_seed=0)
    # always-a: scores 1, 0, 0; r = 0.99, −0.02, −0.005 → regret 0 + 0.98 + 0.705.
    assert (round(a.score_pct, 2), round(a.total_usd, 2), round(a.regret, 3)) == (33.33, 0.35, 1.685)
    c = run_stream(AlwaysModel("c"), small, mode="resolved", budget_usd=10, order_seed=0)
    # always-c: r = 0.8, 0.9, 0.7 → regret 0.19 + 0.06 + 0.
    assert (c.score_pct, round(c.total_usd, 2), round(c.regret, 3), c.escalations) == (100.0, 6.0, 0.25, 0)
    oracle = run_stream(Oracle(small), small, mode="resolved", budget_usd=10, order_seed=0)
    assert (oracle.score_pct, round(oracle.total_usd, 2), round(oracle.regret, 9)) == (100.0, 3.5, 0.0)


def test_cascade_pays_for_every_attempt_and_stops_at_the_budget(small) -> None:
    cascade = ReleasedACRouter(0, cheap=("a", "b"), strong="c")  # a → b → c, stop at the first success
    free = run_stream(cascade, small, mode="resolved", budget_usd=10, order_seed=0)
    # t1: a (0.10) ✓; t2: a 0.20 ✗, b 0.40 ✓ → r 0.94; t3: a, b, c → 3.35, r 0.665.
    assert (free.score_pct, round(free.total_usd, 2), round(free.regret, 3)) == (100.0, 4.05, 0.055)
    assert (free.escalations, round(free.attempts_per_task, 3)) == (3, 2.0)
    capped = run_stream(ReleasedACRouter(0, cheap=("a", "b"), strong="c"), small, mode="resolved", budget_usd=2.0, order_seed=0)
    # t3: c's recorded 3.00 does not fit after 0.35: the cascade stops, score 0, r −0.035, regret 0.735.
    assert (round(capped.score_pct, 2), round(capped.total_usd, 2), round(capped.regret, 3)) == (66.67, 1.05, 0.755)


def test_apply_only_feedback_keeps_the_first_applying_patch(small) -> None:
    result = run_stream(ReleasedACRouter(0, cheap=("a", "b"), strong="c"), small, mode="apply-only", budget_usd=10, order_seed=0)
    # t1: a applies and resolves; t2: a applies but does not resolve → 0 at 0.20; t3: a fails to
    # apply, b applies, does not resolve → 0 at 0.35. Regret 0 + 0.98 + 0.735.
    assert (round(result.score_pct, 2), round(result.total_usd, 2), round(result.regret, 3)) == (33.33, 0.65, 1.715)


def test_shipped_data_reproduces_the_published_figures() -> None:
    swe = load_suite("swe")
    assert len(swe.tasks) == 112 and len(swe.models) == 8
    opus = run_stream(AlwaysModel("claude-opus-4-6"), swe, mode="resolved", budget_usd=float("inf"), order_seed=0)
    assert (round(opus.score_pct, 2), round(opus.total_usd, 2), round(opus.regret, 1)) == (66.07, 124.03, 20.8)
    released = run_stream(ReleasedACRouter(), swe, mode="resolved", budget_usd=float("inf"), order_seed=0)
    assert (round(released.score_pct, 2), round(released.total_usd, 2), round(released.regret, 1)) == (66.96, 63.43, 13.7)
    oracle = run_stream(Oracle(swe), swe, mode="resolved", budget_usd=float("inf"), order_seed=0)
    assert (round(oracle.score_pct, 2), round(oracle.total_usd, 2)) == (75.89, 26.20)
    identity = load_suite("id")
    assert len(identity.tasks) == 2919
    id_oracle = run_stream(Oracle(identity), identity, mode="resolved", budget_usd=float("inf"), order_seed=0)
    assert round(id_oracle.score_pct, 2) == 60.02


def test_replay_is_deterministic_for_a_seed(small) -> None:
    swe = load_suite("swe")
    prices = load_prices()

    def run(seed: int):
        return run_stream(EscalationPolicy(swe.models, prices, GroupEvidence(), seed=seed), swe,
                          mode="resolved", budget_usd=2.5, order_seed=seed)

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_learning_policy_beats_the_released_cascade_on_the_swe_stream() -> None:
    swe = load_suite("swe")
    ours = run_stream(EscalationPolicy(swe.models, load_prices(), GroupEvidence(), seed=0), swe,
                      mode="resolved", budget_usd=2.5, order_seed=0)
    assert ours.score_pct >= 66.96 and ours.total_usd < 63.43 and ours.regret <= 13.0


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda folder: (folder / "ood112_results_long.csv").write_text(
            "\n".join((folder / "ood112_results_long.csv").read_text().splitlines()[:-2]) + "\n"), "lacks results for b, c"),
        (lambda folder: (folder / "ood112_tasks.jsonl").write_text('{"task_id": "old112::t1", "dimens'), "line 1: not a task record"),
        (lambda folder: (folder / "ood112_results_long.csv").write_text(HEADER + "\nold112::t1,x,x,x,bug_fixing,a,a,yes,1,1,1,1,1,0.1,,x\n"), "line 2: bad value"),
        (lambda folder: (folder / "ood112_results_long.csv").write_text("task_id,model\n"), "missing column(s) resolved"),
        (lambda folder: (folder / "ood112_tasks.jsonl").unlink(), "does not exist"),
    ],
)
def test_corrupt_or_truncated_data_is_one_clear_error(tmp_path: Path, breakage, message: str) -> None:
    folder = write_suite(tmp_path / "crb")
    breakage(folder)
    with pytest.raises(DataError) as caught:
        load_suite("swe", folder)
    assert message in str(caught.value) and "\n" not in str(caught.value)
