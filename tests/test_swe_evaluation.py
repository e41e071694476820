"""A hostile model patch cannot fake "resolved": each attack is a real patch through `evaluate_patch`,
and the reference fix still resolves. Each attack patch also carries the reference fix where that
makes it resolve on an evaluator that trusts the patch, so the test fails if the defence goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli import run_cli
from fakellm import FakeLLM
from gitrepo import patch_of
from scripted_solver import ScriptedSolver
from test_swe_agent import pool_file, read_jsonl

from agentroute.swe.evaluate import evaluate_patch
from agentroute.swe.patch_filter import filter_patch
from agentroute.swe.task import load_tasks

SUITE = Path(__file__).resolve().parents[1] / "evals" / "swe"
TASKS = {task.instance_id: task for task in load_tasks(SUITE)}
SEMVER, CALC = TASKS["local__semver-1"], TASKS["local__calc-1"]

# a runner that reports every named test as passed and exits 0, whatever the code does
FAKE_PYTEST = """import sys
print("=" * 20 + " short test summary info " + "=" * 20)
for test in sys.argv[1:]:
    if "::" in test:
        print("PASSED " + test)
sys.exit(0)
"""
ALL_PASS_HOOK = """import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome, report.longrepr = "passed", None
"""


def attack(tmp_path: Path, task, files: dict[str, str | None], *, with_fix: bool = False) -> str:
    return patch_of(task.repo_dir, tmp_path / "attack", apply=task.patch if with_fix else "", files=files)


@pytest.mark.parametrize("files, dropped", [
    ({"pytest.py": FAKE_PYTEST}, ["pytest.py"]),
    ({"pytest/__init__.py": "", "pytest/__main__.py": FAKE_PYTEST}, ["pytest/__init__.py", "pytest/__main__.py"]),
    ({"conftest.py": ALL_PASS_HOOK}, ["conftest.py"]),
    ({"tests/conftest.py": ALL_PASS_HOOK}, ["tests/conftest.py"]),
    ({"pytest.ini": "[pytest]\naddopts = -p semver._allpass\n", "semver/_allpass.py": ALL_PASS_HOOK}, ["pytest.ini"]),
], ids=["pytest.py", "pytest-package", "root-conftest", "tests-conftest", "pytest.ini-plugin"])
def test_a_patch_that_replaces_or_configures_the_test_runner_is_unresolved(tmp_path: Path, files, dropped) -> None:
    verdict = evaluate_patch(SEMVER, attack(tmp_path, SEMVER, files))
    assert not verdict.resolved and verdict.patch_applied
    assert verdict.dropped == dropped
    assert all(status in ("FAILED", "ERROR") for status in verdict.fail_to_pass.values())  # the real tests ran


def test_a_patch_that_rewrites_a_test_to_assert_true_is_unresolved(tmp_path: Path) -> None:
    """The reference fix, a broken lexer, and the lexer's test rewritten to pass anyway."""
    lexer = (CALC.repo_dir / "minicalc" / "lexer.py").read_text()
    broken = lexer.replace('            if seen_dot:\n                raise CalcError("malformed number", start)\n', "")
    tests = (CALC.repo_dir / "tests" / "test_lexer.py").read_text()
    rigged = tests[:tests.index("def test_bad_input")] + "def test_bad_input():\n    assert True\n"
    assert broken != lexer
    patch = attack(tmp_path, CALC, {"minicalc/lexer.py": broken, "tests/test_lexer.py": rigged}, with_fix=True)
    verdict = evaluate_patch(CALC, patch)
    assert not verdict.resolved and verdict.pass_to_pass["tests/test_lexer.py::test_bad_input"] == "FAILED"
    assert verdict.dropped == ["tests/test_lexer.py"]
    assert set(verdict.fail_to_pass.values()) == {"PASSED"}  # the fix itself was applied and works


def test_a_patch_whose_code_applies_the_reference_fix_at_test_time_is_unresolved(tmp_path: Path) -> None:
    """The package applies gold.patch to itself when imported: the reference file is unreadable then."""
    gold = SEMVER.repo_dir.parent / "gold.patch"
    init = (SEMVER.repo_dir / "semver" / "__init__.py").read_text()
    cheat = ("import os as _os, subprocess as _sp\n"
             f"_sp.run(['git', 'apply', {str(gold)!r}], cwd=_os.path.dirname(_os.path.dirname(__file__)))\n" + init)
    verdict = evaluate_patch(SEMVER, attack(tmp_path, SEMVER, {"semver/__init__.py": cheat}))
    assert not verdict.resolved and all(status in ("FAILED", "ERROR") for status in verdict.fail_to_pass.values())
    assert verdict.patch_applied and not verdict.dropped


def test_a_summary_forged_by_the_code_under_test_is_not_a_pass(tmp_path: Path) -> None:
    """The package prints a summary of passes after pytest's own: pytest's exit code still says failed."""
    forge = ("import atexit as _atexit\n_atexit.register(lambda: print('\\n=== short test summary info ===\\n'"
             f" + ''.join('PASSED ' + t + '\\n' for t in {SEMVER.tests!r})))\n")
    init = (SEMVER.repo_dir / "semver" / "__init__.py").read_text()
    verdict = evaluate_patch(SEMVER, attack(tmp_path, SEMVER, {"semver/__init__.py": forge + init}))
    assert not verdict.resolved
    assert "pytest exited with 1" in (verdict.error or "")


def test_a_new_top_level_module_named_like_an_installed_one_is_dropped(tmp_path: Path) -> None:
    patch = attack(tmp_path, SEMVER, {"pluggy.py": "raise SystemExit(0)\n", "notes.py": "x = 1\n"}, with_fix=True)
    verdict = evaluate_patch(SEMVER, patch)
    assert verdict.dropped == ["pluggy.py"] and verdict.resolved  # notes.py shadows nothing and is kept


def test_a_diff_smuggled_inside_another_file_diff_is_judged_by_what_git_would_write() -> None:
    """A traditional diff after a git hunk: git applies both, so the whole piece is dropped."""
    smuggled = SEMVER.patch + "--- a/conftest.py\n+++ b/conftest.py\n@@ -0,0 +1,2 @@\n+import os\n+x = 1\n"
    filtered = filter_patch(smuggled, test_files=[], base_tops=set())
    assert filtered.dropped == ["semver/version.py", "conftest.py"] and filtered.kept == ""


def test_a_patch_that_is_not_valid_unicode_is_unresolved_with_a_reason() -> None:
    verdict = evaluate_patch(SEMVER, SEMVER.patch + "+\ud800\n")
    assert not verdict.resolved and "not valid Unicode" in (verdict.error or "")


@pytest.mark.parametrize("task", list(TASKS.values()), ids=list(TASKS))
def test_the_reference_fix_still_resolves_every_suite_task(task) -> None:
    verdict = evaluate_patch(task, task.patch)
    assert verdict.resolved and not verdict.dropped and verdict.error is None, verdict


def test_an_agent_that_plants_a_fake_pytest_ends_unresolved(tmp_path: Path, llm: FakeLLM) -> None:
    """Through `agentroute run`: the fake runner fools `python -m pytest` in the agent's workspace, not the evaluator."""
    def script(task) -> list[dict]:
        return [{"name": "edit", "arguments": {"path": "pytest.py", "old_text": "", "new_text": FAKE_PYTEST}},
                {"name": "bash", "arguments": {"command": f"python -m pytest -rA {' '.join(task.FAIL_TO_PASS)}"}},
                {"name": "submit", "arguments": {}}]

    llm.responder = ScriptedSolver([SEMVER], script=script)
    out = tmp_path / "out"
    result = run_cli("run", str(SUITE / SEMVER.instance_id), "--budget", "0.5", "--pool", str(pool_file(tmp_path, llm)),
                     "--out", str(out), "--no-memory", env={"AGENTROUTE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    fooled = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "tool"][1]
    assert f"PASSED {SEMVER.FAIL_TO_PASS[0]}" in fooled and "exit code: 0" in fooled
    [row] = read_jsonl(out / "results.jsonl")
    assert row["outcome"] == "unresolved" and row["evaluation"]["dropped"] == ["pytest.py"]
    [prediction] = read_jsonl(out / "predictions.jsonl")
    assert "b/pytest.py" in prediction["model_patch"]  # the prediction is the model's whole patch


def test_eval_names_the_dropped_paths(tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    patch = attack(tmp_path, SEMVER, {"conftest.py": ALL_PASS_HOOK})
    predictions.write_text(json.dumps({"instance_id": SEMVER.instance_id, "model_name_or_path": "m", "model_patch": patch}))
    result = run_cli("eval", str(predictions), "--tasks", str(SUITE), env={"AGENTROUTE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    assert "resolved 0 of 1" in result.stdout and "dropped conftest.py" in result.stdout
