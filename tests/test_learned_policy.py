"""The learned step policy: features a live router has, the fitted model, the shipped seed, learning
from labeled imports and from runs, and out-of-sample scoring by trajectory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli import assert_one_line_error, run_cli
from conftest import make_pool

from agentroute.app import AgentRoute
from agentroute.memory.store import ExperienceMemory
from agentroute.policies import make_policy
from agentroute.policies.features import FEATURE_NAMES, step_features
from agentroute.policies.learned import shipped_model, steps_from_experiences, train_step_model
from agentroute.policies.seed import SEED_FILE, bank_steps, seed_steps
from agentroute.policies.shipped_fit import FIT_FILE, StoredFit, stored_model, write_fit
from agentroute.policies.sufficiency import LEVELS, LabeledStep, SufficiencyModel, examples_from_label, level_of
from agentroute.router import Router
from agentroute.twin.crossval import cross_validated, sub_bank, trajectory_folds
from agentroute.twin.locked import twin_pool
from agentroute.twin.records import load_bank
from agentroute.twin.tokens import count_bank

TWIN_BANK = Path(__file__).parent / "data" / "twin_bank.jsonl"

CODING_PREFIX = [
    {"role": "system", "content": "You are a helpful assistant that can interact with a computer shell to solve programming tasks."},
    {"role": "user", "content": "<pr_description>fix the bug in parser.py; the unit tests fail</pr_description>"},
    {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{\"command\": \"grep -n parse src/parser.py\"}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "<returncode>1</returncode>\n<output>Traceback (most recent call last):\nValueError: bad</output>"},
]
QUESTION_PREFIX = [
    {"role": "system", "content": "Answer the user's question from the meeting transcript below. Be concise."},
    {"role": "user", "content": "## Meeting transcript\nAnna: we agreed on the red colour.\n\n## Query\nWhich colour was chosen?"},
]


def test_features_read_only_the_prefix_and_tell_a_coding_agent_from_a_question() -> None:
    coding, question = step_features(CODING_PREFIX), step_features(QUESTION_PREFIX)
    assert set(coding) == set(FEATURE_NAMES)
    assert coding["coding_agent"] == 1.0 and question["coding_agent"] == 0.0
    assert coding["last_is_tool"] == 1.0 and coding["last_tool_failed"] == 1.0 and coding["shell_outputs"] > 0
    assert question["first_call"] == 1.0 and coding["first_call"] == 0.0
    # a bash tool schema alone marks a coding agent from its first call
    assert step_features(QUESTION_PREFIX, [{"type": "function", "function": {"name": "bash"}}])["coding_agent"] == 1.0


def test_levels_map_any_pool_onto_the_four_level_scale() -> None:
    assert [level_of(tier, 4) for tier in range(4)] == [0, 1, 2, 3]
    assert [level_of(tier, 3) for tier in range(3)] == [0, 2, 3]
    assert [level_of(tier, 2) for tier in range(2)] == [0, 3]
    assert level_of(0, 1) == LEVELS - 1


def test_the_model_is_monotone_in_the_tier_and_needs_both_outcomes() -> None:
    easy, hard = step_features(QUESTION_PREFIX), step_features(CODING_PREFIX)
    steps = [*examples_from_label(easy, 0)] * 5 + [*examples_from_label(hard, 3)] * 5
    model = SufficiencyModel.fit(steps)
    assert model is not None and model.examples == 30
    for features in (easy, hard):
        probabilities = model.probabilities(features)
        assert probabilities == sorted(probabilities) and probabilities[-1] == 1.0
    assert model.probabilities(easy)[0] > 0.8 > model.probabilities(hard)[2]
    assert SufficiencyModel.fit([LabeledStep(features=easy, level=1, sufficient=True)]) is None


def test_the_shipped_seed_routes_a_shell_agent_high_and_a_question_low() -> None:
    steps = seed_steps()
    assert len(steps) == 125 * (LEVELS - 1)  # dev125: one example per level below the top
    pool = twin_pool()
    policy = make_policy("learned", pool)
    router = Router(pool, policy, budget_usd=3.0, run_id="seeded")
    coding = policy.decide(router.context(CODING_PREFIX))
    question = policy.decide(router.context(QUESTION_PREFIX))
    assert (coding.tier, question.tier) == (3, 0)
    assert question.reason.startswith(f"learned n={shipped_model().examples}") and "τ=0.80" in question.reason
    # cold: no seed and no memory means nothing learned, so the hand-set table decides and says so
    assert make_policy("learned", pool, step_model=None).decide(router.context(QUESTION_PREFIX)).reason.startswith("untrained")


def test_the_stored_fit_of_the_seed_is_current_and_is_the_fit_of_the_seed() -> None:
    stored = stored_model()
    assert stored is not None, "regenerate it: python -m agentroute.policies.shipped_fit"
    from_rows = bank_steps()
    assert seed_steps() == from_rows and len(from_rows) == 125 * (LEVELS - 1)
    fitted = SufficiencyModel.fit(from_rows)
    assert fitted is not None and stored.examples == fitted.examples == len(from_rows)
    assert np.allclose(stored.weights, fitted.weights, rtol=1e-9, atol=1e-12)
    assert np.allclose(stored.intercepts, fitted.intercepts, rtol=1e-9, atol=1e-12)


def test_a_stale_or_damaged_stored_fit_is_never_used(tmp_path: Path) -> None:
    fit = StoredFit.model_validate_json(FIT_FILE.read_bytes())
    stale = tmp_path / "stale.json"
    stale.write_text(fit.model_copy(update={"sources_sha256": "0" * 64}).model_dump_json())
    damaged = tmp_path / "damaged.json"
    damaged.write_text(FIT_FILE.read_text()[:200])
    assert stored_model(stale) is None and stored_model(damaged) is None and stored_model(tmp_path / "missing.json") is None
    same = tmp_path / "same.json"
    same.write_text(fit.model_dump_json())
    assert stored_model(same) is not None
    regenerated = tmp_path / "regenerated.json"  # what `python -m agentroute.policies.shipped_fit` writes
    write_fit(bank_steps(), regenerated)
    assert StoredFit.model_validate_json(regenerated.read_bytes()) == fit


def test_a_fresh_process_routes_with_the_shipped_model_without_importing_scikit_learn() -> None:
    probe = ("import sys; from agentroute.policies.learned import shipped_model; model = shipped_model(); "
             "print(model.examples, 'sklearn' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(seed_steps())), "False"]


def test_memory_import_of_labeled_rows_teaches_a_cold_policy(tmp_path: Path) -> None:
    memory = tmp_path / "memory"
    env = {"AGENTROUTE_MEMORY": str(memory), "AGENTROUTE_HOME": str(tmp_path / "home")}
    result = run_cli("memory", "import", str(TWIN_BANK), env=env)
    assert result.returncode == 0, result.stderr
    rows = sum(1 for line in TWIN_BANK.read_text().splitlines() if line.strip())
    assert f"imported {rows * LEVELS} labeled experiences" in result.stdout
    store = ExperienceMemory(memory)
    experiences = store.experiences()
    assert {e.task_outcome for e in experiences} == {"labeled"}
    # tier t was sufficient iff t ≥ the row's label
    gold = {json.loads(line)["id"]: json.loads(line) for line in TWIN_BANK.read_text().splitlines() if line.strip()}
    for experience in experiences:
        row_id, _, level = experience.id.rpartition("@")
        row = gold[row_id]
        label = row.get("target_tier_id")
        label = label if label is not None else ("low", "mid", "mid_high", "high").index(row["target_tier"])
        assert experience.task_success == (1.0 if int(level) >= label else 0.0)
    cold = train_step_model(use_seed=False, memory=store)
    assert cold is not None and cold.examples == rows * (LEVELS - 1)
    warm = AgentRoute(pool=make_pool("http://127.0.0.1:9/v1"), memory=store, store=tmp_path / "runs.sqlite")
    assert warm.step_model is not None and warm.step_model.examples == len(seed_steps()) + rows * (LEVELS - 1)


def test_a_malformed_labeled_file_imports_nothing_and_keeps_the_memory(tmp_path: Path) -> None:
    memory = tmp_path / "memory"
    env = {"AGENTROUTE_MEMORY": str(memory), "AGENTROUTE_HOME": str(tmp_path / "home")}
    assert run_cli("memory", "import", str(TWIN_BANK), env=env).returncode == 0
    before = ExperienceMemory(memory).count()
    bad = tmp_path / "bad.jsonl"
    lines = TWIN_BANK.read_text().splitlines()
    bad.write_text("\n".join([lines[0].replace(lines[0], json.dumps({**json.loads(lines[0]), "id": "fresh"})),
                              json.dumps({**json.loads(lines[1]), "id": "fresh2", "target_tier": "ultra"})]) + "\n")
    result = run_cli("memory", "import", str(bad), env=env)
    assert_one_line_error(result, "line 2", code=result.returncode)
    assert result.returncode != 0
    assert ExperienceMemory(memory).count() == before


def test_cross_validation_never_fits_on_a_trajectory_it_scores() -> None:
    bank = load_bank(SEED_FILE)
    folds = trajectory_folds(bank, 5, seed=0)
    assert sorted(position for fold in folds for position in fold) == list(range(len(bank.trajectories)))
    assert trajectory_folds(bank, 5, seed=0) == folds and trajectory_folds(bank, 5, seed=1) != folds

    seen: list[tuple[set[str], set[str]]] = []
    pool = twin_pool()

    def recording_fit(fitting, pool_):
        seen.append(({row.trajectory for row in fitting.rows}, set()))
        model = SufficiencyModel.fit([step for row in fitting.rows for step in examples_from_label(step_features(row.chat), row.gold)])
        return lambda: make_policy("learned", pool_, step_model=model)

    part, _ = sub_bank(bank, folds[0] + folds[1])
    tokens = count_bank(part)
    routed = cross_validated(part, tokens, pool, folds=2, seed=0, budget_usd=3.0, name="cv", fit=recording_fit)
    assert all(pick is not None for pick in routed.picks)
    scored_per_fold = [{part.rows[i].trajectory for position in fold for i in part.trajectories[position]}
                       for fold in trajectory_folds(part, 2, seed=0)]
    assert [fitted for fitted, _ in seen] == [scored_per_fold[1], scored_per_fold[0]]


def test_bench_twin_scores_the_seed_rows_out_of_sample_with_intervals(tmp_path: Path) -> None:
    out = tmp_path / "twin.json"
    rows = [json.loads(line) for line in SEED_FILE.read_text().splitlines()]
    small = tmp_path / "seed_part.jsonl"
    keep = sorted({row["instance_id"] for row in rows})[:12]
    small.write_text("".join(json.dumps(row) + "\n" for row in rows if row["instance_id"] in keep))
    result = run_cli("bench", "twin", "--data", str(small), "--json", str(out), env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["folds"] == 5  # the seed's own rows are never scored by the shipped model
    names = [r["router"] for r in report["results"]]
    assert names[0] == "learned (5-fold CV)" and "learned" not in names[1:]
    for name in names:
        low, high = report["intervals"][name]
        assert low <= high
    assert "90% CI" in result.stdout
    too_many = run_cli("bench", "twin", "--data", str(small), "--cv", "50")
    assert_one_line_error(too_many, "--cv 50 needs at least 50 trajectories", code=too_many.returncode)


def test_steps_from_runs_need_a_credited_outcome() -> None:
    from agentroute.memory.records import Experience

    features = {"x_coding_agent": 1.0, "x_tiers": 3.0}
    credited = Experience(id="a", run_id="r", step=0, created=0.0, text="t", features=features, tier=1, model="m",
                          success=1.0, task_success=0.0, task_outcome="unresolved")
    uncredited = credited.model_copy(update={"id": "b", "task_success": None, "task_outcome": None})
    [step] = steps_from_experiences([credited, uncredited])
    assert step.level == level_of(1, 3) and step.sufficient is False and step.features == {"coding_agent": 1.0}


@pytest.mark.parametrize("name", ["learned", "budget-aware"])
def test_both_step_policies_are_registered(name: str) -> None:
    assert make_policy(name, twin_pool()).name == name
