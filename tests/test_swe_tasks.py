"""The task format: the shipped suite is sound, and bad task input is one clear error."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cli import assert_one_line_error, run_cli
from gitrepo import checkout_of, commit_all

from agentroute.errors import ConfigError
from agentroute.swe.evaluate import evaluate_patch, parse_statuses, validate_task
from agentroute.swe.task import load_tasks, select_tasks

SUITE = Path(__file__).resolve().parents[1] / "evals" / "swe"
SUITE_TASKS = load_tasks(SUITE)


def test_the_suite_has_at_least_ten_tasks_with_distinct_code_bases() -> None:
    assert len(SUITE_TASKS) >= 10
    assert len({task.repo for task in SUITE_TASKS}) == len(SUITE_TASKS)
    for task in SUITE_TASKS:
        assert task.test_patch and task.patch and task.PASS_TO_PASS


@pytest.mark.parametrize("task", SUITE_TASKS, ids=[task.instance_id for task in SUITE_TASKS])
def test_each_suite_task_fails_before_and_passes_after_its_reference_fix(task) -> None:
    check = validate_task(task)
    assert check.ok, check.problems
    assert all(check.before[test] != "PASSED" for test in task.FAIL_TO_PASS)
    assert all(check.before[test] == "PASSED" for test in task.PASS_TO_PASS)
    assert set(check.after.values()) == {"PASSED"}


def test_validator_catches_a_task_whose_test_already_passes(tmp_path: Path) -> None:
    task = SUITE_TASKS[0]
    broken = task.model_copy(update={"FAIL_TO_PASS": task.PASS_TO_PASS[:1]})
    check = validate_task(broken)
    assert not check.ok and "passes before the fix" in check.problems[0]


def test_evaluation_resolves_the_reference_fix_and_not_an_empty_or_broken_patch() -> None:
    task = SUITE_TASKS[1]
    assert evaluate_patch(task, task.patch).resolved
    empty = evaluate_patch(task, "")
    assert not empty.resolved and empty.error == "empty patch"
    broken = evaluate_patch(task, task.patch.replace("\n-", "\n-#nothing-like-this ", 1))
    assert not broken.resolved and "does not apply" in (broken.error or "")


def test_a_patch_that_empties_the_test_file_cannot_fake_a_pass() -> None:
    task, target = next((task, path) for task in SUITE_TASKS for line in task.test_patch.splitlines()
                        if line.startswith("+++ b/") and (task.repo_dir / (path := line[6:])).is_file())
    lines = (task.repo_dir / target).read_text().splitlines()
    cheat = (f"diff --git a/{target} b/{target}\n--- a/{target}\n+++ b/{target}\n@@ -1,{len(lines)} +0,0 @@\n"
             + "".join(f"-{line}\n" for line in lines))
    verdict = evaluate_patch(task, cheat)
    assert verdict.patch_applied and not verdict.resolved
    assert all(status != "PASSED" for status in verdict.fail_to_pass.values())


def write_task(root: Path, **overrides) -> Path:
    task_dir = root / "task"
    (task_dir / "repo").mkdir(parents=True, exist_ok=True)
    fields = {"instance_id": "t-1", "problem_statement": "x is wrong", "FAIL_TO_PASS": ["tests/test_x.py::test_x"]}
    fields.update(overrides)
    (task_dir / "task.json").write_text(json.dumps(fields))
    return task_dir


def test_statuses_come_from_the_summary_and_a_teardown_error_is_not_a_pass() -> None:
    output = """PASSED tests/test_t.py::test_a
=========================== short test summary info ============================
PASSED tests/test_t.py::test_b
PASSED tests/test_t.py::test_c
ERROR tests/test_t.py::test_c - RuntimeError: teardown
FAILED tests/test_t.py::test_a - assert 1 == 2
PASSED tests/test_t.py::test_p[1.2.3-]
"""
    assert parse_statuses(output) == {"tests/test_t.py::test_a": "FAILED", "tests/test_t.py::test_b": "PASSED",
                                      "tests/test_t.py::test_c": "ERROR", "tests/test_t.py::test_p[1.2.3-]": "PASSED"}
    assert parse_statuses("PASSED tests/test_t.py::test_a\n") == {}  # printed by a test, not a summary


def test_a_test_that_prints_a_pass_line_is_still_a_failure(tmp_path: Path) -> None:
    repo = tmp_path / "task" / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_t.py").write_text(
        "def test_a():\n    print('PASSED tests/test_t.py::test_a')\n    assert False\n\ndef test_b():\n    pass\n")
    task_dir = write_task(tmp_path, FAIL_TO_PASS=["tests/test_t.py::test_a"], PASS_TO_PASS=["tests/test_t.py::test_b"])
    [task] = load_tasks(task_dir)
    verdict = evaluate_patch(task, "diff --git a/x.txt b/x.txt\nnew file mode 100644\n--- /dev/null\n+++ b/x.txt\n@@ -0,0 +1 @@\n+x\n")
    assert verdict.fail_to_pass == {"tests/test_t.py::test_a": "FAILED"} and not verdict.resolved


@pytest.mark.parametrize("problem, expected", [
    ("missing", "does not exist"),
    ("bad instance id", "instance_id"),
    ("base_commit without git", "needs a git checkout"),
    ("empty dir", "no tasks under"),
    ("bad json", "not valid JSON"),
    ("no tests", "FAIL_TO_PASS"),
    ("no repo", "repository snapshot"),
    ("dataset without checkout", "--checkout"),
    ("lone surrogate", "problem_statement: not valid Unicode text"),
    ("lone surrogate in a dataset row", "FAIL_TO_PASS[0]: not valid Unicode text"),
])
def test_bad_task_input_is_one_config_error(tmp_path: Path, problem: str, expected: str) -> None:
    path = tmp_path / "nowhere"
    if problem == "empty dir":
        path = tmp_path
    elif problem == "bad json":
        path = write_task(tmp_path)
        (path / "task.json").write_text('{"instance_id": "t-1",')
    elif problem == "bad instance id":
        path = write_task(tmp_path, instance_id="../../escape")
    elif problem == "base_commit without git":
        path = write_task(tmp_path, base_commit="abc123")
    elif problem == "no tests":
        path = write_task(tmp_path, FAIL_TO_PASS=[])
    elif problem == "no repo":
        path = write_task(tmp_path)
        shutil.rmtree(path / "repo")
    elif problem == "dataset without checkout":
        path = tmp_path / "verified.jsonl"
        path.write_text("{}\n")
    elif problem == "lone surrogate":
        path = write_task(tmp_path)
        (path / "task.json").write_text('{"instance_id": "t-1", "problem_statement": "x \\ud800", "FAIL_TO_PASS": ["t"]}')
    elif problem == "lone surrogate in a dataset row":
        path = tmp_path / "verified.jsonl"
        path.write_text('{"instance_id": "t-1", "problem_statement": "x", "FAIL_TO_PASS": ["t\\udfff"]}\n')
        (tmp_path / "t-1").mkdir()
    with pytest.raises(ConfigError) as error:
        select_tasks(path, checkout=tmp_path if problem.endswith("dataset row") else None)
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_a_lone_surrogate_in_task_json_is_one_error_line_for_each_command(tmp_path: Path) -> None:
    task_dir = write_task(tmp_path)
    (task_dir / "task.json").write_text('{"instance_id": "t-1", "problem_statement": "x", "FAIL_TO_PASS": ["t\\ud800"]}')
    env = {"AGENTROUTE_HOME": str(tmp_path / "home"), "OPENAI_API_KEY": "x", "ANTHROPIC_API_KEY": "x", "GEMINI_API_KEY": "x"}
    for command in (["validate"], ["run", "--budget", "0.1", "--out", str(tmp_path / "out")]):
        result = run_cli(command[0], str(task_dir), *command[1:], env=env)
        assert_one_line_error(result, "FAIL_TO_PASS[0]: not valid Unicode text (a lone surrogate '\\ud800' at character 1)")
    assert not (tmp_path / "out").exists()


def test_swe_bench_dataset_rows_run_from_a_checkout(tmp_path: Path) -> None:
    task = SUITE_TASKS[0]
    checkout = tmp_path / "checkouts"
    shutil.copytree(task.repo_dir, checkout / task.repo.replace("/", "__"))
    row = {"instance_id": task.instance_id, "repo": task.repo, "base_commit": None,
           "problem_statement": task.problem_statement, "patch": task.patch, "test_patch": task.test_patch,
           # SWE-bench publishes these two lists as JSON strings
           "FAIL_TO_PASS": json.dumps(task.FAIL_TO_PASS), "PASS_TO_PASS": json.dumps(task.PASS_TO_PASS),
           "version": "0.1", "environment_setup_commit": "abc"}
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text(json.dumps(row) + "\n" + json.dumps({**row, "instance_id": "other-1"}) + "\n")
    [loaded] = select_tasks(dataset, checkout=checkout, instances=[task.instance_id])
    assert loaded.FAIL_TO_PASS == task.FAIL_TO_PASS and loaded.repo_dir == (checkout / task.repo.replace("/", "__")).resolve()
    assert validate_task(loaded).ok
    with pytest.raises(ConfigError, match="no instances named nope"):
        select_tasks(dataset, checkout=checkout, instances=["nope"])


def test_a_dataset_instance_starts_at_its_base_commit_not_at_the_checkout_head(tmp_path: Path) -> None:
    """A SWE-bench checkout is usually ahead of the instance; the workspace must be at base_commit."""
    task = SUITE_TASKS[3]
    checkout = tmp_path / "checkout"
    base = checkout_of(task.repo_dir, checkout)
    subprocess.run(["git", "apply"], input=task.patch, text=True, cwd=checkout, check=True)
    commit_all(checkout, "the fix, later upstream")
    row = {**task.model_dump(mode="json", exclude={"repo_dir"}), "base_commit": base}
    dataset = tmp_path / "dataset.json"
    dataset.write_text(json.dumps([row]))
    [at_base] = select_tasks(dataset, checkout=checkout)
    assert validate_task(at_base).ok
    at_head = at_base.model_copy(update={"base_commit": None})
    assert not validate_task(at_head).ok  # at HEAD the bug is already fixed: FAIL_TO_PASS passes before


def test_cli_validate_and_missing_task_errors(tmp_path: Path) -> None:
    env = {"AGENTROUTE_HOME": str(tmp_path / "home")}
    result = run_cli("validate", str(SUITE / SUITE_TASKS[0].instance_id), env=env)
    assert result.returncode == 0, result.stderr
    assert "fails before, passes after" in result.stdout
    assert_one_line_error(run_cli("validate", str(tmp_path / "missing"), env=env), "does not exist")
    assert_one_line_error(run_cli("run", str(tmp_path / "missing"), "--budget", "0.1", env=env), "does not exist")
    assert_one_line_error(run_cli("run", str(SUITE), "--budget", "-1", env=env), "budget")
