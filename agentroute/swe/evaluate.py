"""Deciding a task the way SWE-bench does: fresh base, model patch, test patch, named tests.

The evaluation never reuses the agent's workspace: it takes a fresh checkout of the base in a
private directory, applies the model patch without its changes to tests and to the files that
can replace or configure the test runner (agentroute/swe/patch_filter.py), applies the task's
test patch, and runs the named tests with pytest isolated from the repository root (`python -I`,
pytest imported before the root is put on `sys.path`), in the task sandbox, which shows a command
only its checkout and read-only system files (agentroute/swe/sandbox.py). The test patch goes to
git on stdin; no reference file is written anywhere.

Also the validator that proves a task is sound: its FAIL_TO_PASS tests fail before the
reference fix and pass after it, while its PASS_TO_PASS tests pass throughout.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from agentroute.swe.patch_filter import FilteredPatch, filter_patch, touched_paths
from agentroute.swe.task import SweTask
from agentroute.swe.workspace import SandboxSettings, Workspace

# the summary that decides a task is at the end of pytest's output: the tail must hold it whole
EVALUATION_SANDBOX = SandboxSettings(timeout=900, output_limit=16_000_000)
_RESULT_LINE = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+(.+?)(?:\s+-\s.*)?$", re.MULTILINE)
_SUMMARY = re.compile(r"^=+ short test summary info =+$", re.MULTILINE)
MISSING = "MISSING"
PLAIN_PYTEST = "python -m pytest"
# `python -m pytest` would import a `pytest.py` of the repository root; here pytest comes from the
# interpreter's site-packages and the root goes on sys.path only after it is imported
ISOLATED_PYTEST = "python -I -c 'import os, sys, pytest; sys.path.insert(0, os.getcwd()); sys.exit(pytest.main())'"


def parse_statuses(output: str) -> dict[str, str]:
    """Test id → status from pytest's `-rA` short summary (what tests print before it is ignored).
    A test reported twice (passed, then errored in teardown) keeps the status that is not PASSED."""
    summaries = list(_SUMMARY.finditer(output))
    statuses: dict[str, str] = {}
    if summaries:
        for status, test in _RESULT_LINE.findall(output[summaries[-1].end():]):
            if statuses.get(test.strip(), "PASSED") == "PASSED":
                statuses[test.strip()] = status
    return statuses


class TestsRun(BaseModel):
    """What one run of a task's tests reported."""

    __test__ = False  # not a pytest test class
    statuses: dict[str, str]
    exit_code: int | None

    @property
    def passed(self) -> bool:
        """Every test passed, and pytest's exit code agrees (a forged summary does not set it)."""
        return self.exit_code == 0 and all(status == "PASSED" for status in self.statuses.values())


def test_command(task: SweTask) -> str:
    """The task's test command with pytest isolated from the repository root, and its tests."""
    command = task.test_cmd
    if command == PLAIN_PYTEST or command.startswith(PLAIN_PYTEST + " "):
        command = ISOLATED_PYTEST + command[len(PLAIN_PYTEST):]
    return f"{command} {' '.join(shlex.quote(test) for test in task.tests)}"


def run_tests(workspace: Workspace, task: SweTask) -> TestsRun:
    """Run the task's tests in the workspace's sandbox: test id → PASSED, FAILED, ERROR, … or MISSING."""
    result = workspace.run(test_command(task), timeout=EVALUATION_SANDBOX.timeout, output_limit=EVALUATION_SANDBOX.output_limit)
    reported = parse_statuses(result.output)
    return TestsRun(statuses={test: reported.get(test, MISSING) for test in task.tests}, exit_code=result.exit_code)


class Evaluation(BaseModel):
    """The verdict on one patch, with the model-patch paths the evaluator dropped."""

    instance_id: str
    resolved: bool
    patch_applied: bool
    error: str | None = None
    dropped: list[str] = []
    fail_to_pass: dict[str, str] = {}
    pass_to_pass: dict[str, str] = {}


@contextmanager
def fresh_checkout(task: SweTask) -> Iterator[Workspace]:
    """The task's base in a new private directory (not the agent's workspace), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="agentroute-eval-") as parent:
        workspace = Workspace.create(task.repo_dir, base_commit=task.base_commit, settings=EVALUATION_SANDBOX,
                                     parent=Path(parent))
        try:
            yield workspace
        finally:
            workspace.remove()


def unusable_patch(patch: str) -> str | None:
    """Why a submitted patch cannot be judged at all (empty, or not valid Unicode), else None."""
    if not patch.strip():
        return "empty patch"
    if patch.encode("utf-8", "replace").decode() != patch:
        return "patch is not valid Unicode text (it holds a lone surrogate)"
    return None


@contextmanager
def patched_checkout(task: SweTask, patch: str) -> Iterator[tuple[Workspace, FilteredPatch, str | None]]:
    """A fresh checkout of the task's base with `patch` applied less its changes to tests and
    test-runner files: the checkout, what was kept and dropped, and the error line if it did not apply."""
    with fresh_checkout(task) as workspace:
        base_tops = {entry.name.split(".")[0] for entry in workspace.repo.iterdir()}
        model = filter_patch(patch, test_files=touched_paths(task.test_patch) or [], base_tops=base_tops)
        yield workspace, model, workspace.apply(model.kept)


def evaluate_patch(task: SweTask, patch: str) -> Evaluation:
    """Resolved when, after `patch` (tests and test-runner files dropped) and the task's test patch,
    every FAIL_TO_PASS and PASS_TO_PASS test passes."""
    if (problem := unusable_patch(patch)) is not None:
        return Evaluation(instance_id=task.instance_id, resolved=False, patch_applied=False, error=problem)
    with patched_checkout(task, patch) as (workspace, model, problem):
        verdict = Evaluation(instance_id=task.instance_id, resolved=False, patch_applied=False, dropped=model.dropped)
        if problem is not None:
            return verdict.model_copy(update={"error": f"patch does not apply: {problem}"})
        if (problem := workspace.apply(task.test_patch)) is not None:
            return verdict.model_copy(update={"patch_applied": True,
                                              "error": f"test patch does not apply after the model patch: {problem}"})
        run = run_tests(workspace, task)
    forged = not run.passed and all(status == "PASSED" for status in run.statuses.values())
    return verdict.model_copy(update={
        "resolved": run.passed, "patch_applied": True,
        "error": f"every test reported passing, but pytest exited with {run.exit_code}" if forged else None,
        "fail_to_pass": {test: run.statuses[test] for test in task.FAIL_TO_PASS},
        "pass_to_pass": {test: run.statuses[test] for test in task.PASS_TO_PASS}})


class Validation(BaseModel):
    """Whether a task is sound, with each test's status before and after the reference fix."""

    instance_id: str
    problems: list[str]
    before: dict[str, str] = {}
    after: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def validate_task(task: SweTask) -> Validation:
    """Prove FAIL_TO_PASS fails before the reference fix and everything passes after it."""
    if not task.patch.strip():
        return Validation(instance_id=task.instance_id, problems=["no reference fix (gold.patch / patch)"])
    with fresh_checkout(task) as workspace:
        if (problem := workspace.apply(task.test_patch)) is not None:
            return Validation(instance_id=task.instance_id, problems=[f"test patch does not apply: {problem}"])
        before = run_tests(workspace, task).statuses
        if (problem := workspace.apply(task.patch)) is not None:
            return Validation(instance_id=task.instance_id, problems=[f"reference fix does not apply: {problem}"],
                              before=before)
        after = run_tests(workspace, task)
    problems = [f"{test} passes before the fix" for test in task.FAIL_TO_PASS if before[test] == "PASSED"]
    problems += [f"{test} is {before[test]} before the fix" for test in task.PASS_TO_PASS if before[test] != "PASSED"]
    problems += [f"{test} is {status} after the fix" for test, status in after.statuses.items() if status != "PASSED"]
    if not problems and not after.passed:
        problems.append(f"pytest exited with {after.exit_code} after the fix")
    return Validation(instance_id=task.instance_id, problems=problems, before=before, after=after.statuses)
