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


def _tasks_where(table_row: dict, count: int, prefix: str = "django") -> dict:
    return {f"old112::{prefix}__{prefix}-{index}": table_row for index in range(count)}


def test_policy_stops_when_failures_say_the_next_attempt_does_not_pay(tmp_path: Path) -> None:
    # a solves half the tasks; when a fails, b and c always fail too, and c is dear: after a few
    # tasks the policy learns P(c | a failed) ≈ 0 and stops after a's failure instead of paying for c.
    easy = {"a": (1, 1, 0.01), "b": (1, 1, 0.05), "c": (1, 1, 2.0)}
    hard = {"a": (0, 1, 0.01), "b": (0, 1, 0.05), "c": (0, 1, 2.0)}
    table = {**_tasks_where(easy, 20, "easy"), **_tasks_where(hard, 20, "hard")}
    dataset = load_suite("swe", write_suite(tmp_path / "crb", table))
    policy = EscalationPolicy(dataset.models, load_prices(tmp_path / "crb"), GroupEvidence(), seed=1)
    result = run_stream(policy, dataset, mode="resolved", budget_usd=10, order_seed=1)
    assert result.score_pct == 50.0
    # Exploration pays for c on a few hard tasks, never on most of them.
    assert result.unsolvable_usd < 0.5 * 20 * 2.0, result
    assert result.attempts_per_task < 2.0


def test_apply_only_feedback_does_not_pull_the_policy_to_the_cheapest_model(tmp_path: Path) -> None:
    # Every patch applies (no information); only the dear model resolves. Treating "applies" as a
    # success would settle on a; the policy must keep using c for most tasks.
    row = {"a": (0, 1, 0.01), "b": (0, 1, 0.05), "c": (1, 1, 0.5)}
    dataset = load_suite("swe", write_suite(tmp_path / "crb", _tasks_where(row, 40)))
    policy = EscalationPolicy(dataset.models, load_prices(tmp_path / "crb"), GroupEvidence(), seed=0, feedback="apply-only")
    applies_only = run_stream(policy, dataset, mode="apply-only", budget_usd=10, order_seed=0)
    cheapest = run_stream(AlwaysModel("a"), dataset, mode="apply-only", budget_usd=10, order_seed=0)
    assert applies_only.score_pct >= 75.0 and applies_only.regret < cheapest.regret / 2


def test_split_fits_on_the_other_repositories_and_scores_the_held_one(tmp_path: Path) -> None:
    from agentroute.replay.split import best_single_model, groups_of, run_held_out

    table = {**_tasks_where({"a": (1, 1, 0.1), "b": (0, 1, 0.2), "c": (1, 1, 1.0)}, 6, "django"),
             **_tasks_where({"a": (0, 1, 0.1), "b": (1, 1, 0.2), "c": (1, 1, 1.0)}, 3, "astropy")}
    dataset = load_suite("swe", write_suite(tmp_path / "crb", table))
    assert groups_of(dataset) == ["django", "astropy"]
    prices = load_prices(tmp_path / "crb")
    held = run_held_out(lambda seed: EscalationPolicy(dataset.models, prices, GroupEvidence(), seed=seed, name="agentroute"),
                        dataset, "astropy", mode="resolved", budget_usd=10, seeds=[0, 1, 2])
    # The best single model on django (the fitting part) is a; on astropy it never resolves:
    # regret 3 × (best r 0.98 − (−0.01)).
    assert best_single_model([t for t in dataset.tasks if "django" in t.task_id], dataset.models) == "a"
    assert (held.tasks, held.reference_model, round(held.reference_regret, 2), len(held.regrets)) == (3, "a", 2.97, 3)
    assert held.mean_regret < held.reference_regret


def test_replay_numbers_repeat_exactly_on_worker_processes(tmp_path: Path) -> None:
    from agentroute.replay.bench import ReplaySettings, run_replay

    source = Path(__file__).resolve().parents[1] / "agentroute" / "data" / "coderouterbench"
    folder = tmp_path / "crb"
    folder.mkdir()
    tasks = (source / "id_test_tasks.jsonl").read_text().splitlines()[:60]
    (folder / "id_test_tasks.jsonl").write_text("\n".join(tasks) + "\n")
    keep = {json.loads(line)["task_id"] for line in tasks}
    lines = (source / "id_test_results_long.csv").read_text().splitlines()
    (folder / "id_test_results_long.csv").write_text("\n".join([lines[0]] + [l for l in lines[1:] if l.split(",", 1)[0] in keep]) + "\n")
    (folder / "models.json").write_text((source / "models.json").read_text())
    settings = ReplaySettings(suites=["id"], orders=2, workers=2, data_dir=folder,
                              policies=["agentroute", "linucb", "acrouter-released"])
    first, second = run_replay(settings), run_replay(settings)
    assert [row.policy for row in first] == ["agentroute", "acrouter-released", "linucb"]
    assert first == second


def test_failure_stats_learn_that_failures_are_correlated() -> None:
    from agentroute.escalation.failures import FailureStats
    from agentroute.escalation.protocol import Attempt

    stats = FailureStats()
    for hard in [True] * 6 + [False] * 6:  # c fails exactly where a failed; a solves the easy half
        attempts = [Attempt(model="a", cost_usd=0.01, feedback=0.0 if hard else 1.0, applies=True),
                    Attempt(model="c", cost_usd=2.0 if hard else 1.0, feedback=0.0 if hard else 1.0, applies=True)]
        stats.record("g", attempts, [a.feedback for a in attempts], [a.feedback < 0.99 for a in attempts])
    p_any, cost_any, _ = stats.rate("g", "c", (), (0.5, 1.0))
    p_after, cost_after, trials = stats.rate("g", "c", ("a",), (0.5, 1.0))
    assert trials == 6 and p_after < 0.25 < p_any and cost_after > cost_any
    # A group never seen backs off to the global counts, not to the prior alone.
    assert stats.rate("other", "c", ("a",), (0.5, 1.0))[0] < 0.4


def test_failure_discount_is_adjusted_for_which_model_was_tried() -> None:
    # A weak model solves 1 in 5 tasks whether or not a strong one failed first: the failure says
    # nothing about it, so the discount stays near 1 (a pooled "after a failure / overall" rate
    # would read the weak model's own low rate as a discount of ~0.3).
    from agentroute.escalation.failures import FailureStats
    from agentroute.escalation.protocol import Attempt

    def attempt(model: str, solved: bool) -> Attempt:
        return Attempt(model=model, cost_usd=0.1, feedback=1.0 if solved else 0.0, applies=True)

    stats = FailureStats()
    for index in range(40):
        weak_solves = index % 5 == 0
        for attempts in ([attempt("weak", weak_solves)], [attempt("strong", False), attempt("weak", weak_solves)],
                         [attempt("strong", True)]):
            stats.record("g", attempts, [a.feedback for a in attempts], [a.feedback < 0.99 for a in attempts])
    assert stats.discount(1) > 0.75
    # Where the strong model's failures do predict the weak one's, the discount shows it.
    correlated = FailureStats()
    for index in range(40):
        for attempts in ([attempt("weak", index % 2 == 0)], [attempt("strong", False), attempt("weak", False)]):
            correlated.record("g", attempts, [a.feedback for a in attempts], [a.feedback < 0.99 for a in attempts])
    assert correlated.discount(1) < 0.3


def test_escalation_is_decided_on_the_estimates_not_on_a_draw(tmp_path: Path) -> None:
    # After a fails, b (cheaper, below the 0.60 escalation threshold on little evidence) and c
    # (clearly above it) are left. Thompson draws of b would clear the threshold in some seeds and
    # not in others; escalations use the posterior means, so every seed escalates to the same model.
    from agentroute.escalation.protocol import Attempt, TaskView

    evidence = GroupEvidence()
    task = TaskView(task_id="t", suite="swe", dimension="bug_fixing", source="swebench", group="g", text="")
    for index in range(10):
        evidence.record(task, [Attempt(model="a", cost_usd=0.01, feedback=float(index % 2), applies=True)])
        evidence.record(task, [Attempt(model="c", cost_usd=1.0, feedback=float(index % 5 != 0), applies=True)])
    for index in range(2):
        evidence.record(task, [Attempt(model="b", cost_usd=0.3, feedback=float(index), applies=True)])
    prices = {"a": 0.2, "b": 2.0, "c": 10.0}
    failed = [Attempt(model="a", cost_usd=0.01, feedback=0.0, applies=True)]
    openers, escalations = set(), set()
    for seed in range(20):
        policy = EscalationPolicy(["a", "b", "c"], prices, evidence, seed=seed)
        openers.add(round(policy.base_estimates(task)["b"][0], 3))
        escalations.add(EscalationPolicy(["a", "b", "c"], prices, evidence, seed=seed).next_model(task, failed, 5.0))
    assert len(openers) > 1  # the first attempt still explores
    assert escalations == {"c"}
