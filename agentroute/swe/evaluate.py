"""Deciding a task the way SWE-bench does: fresh base, model patch, test patch, named tests.

Also the validator that proves a task is sound: its FAIL_TO_PASS tests fail before the
reference fix and pass after it, while its PASS_TO_PASS tests pass throughout.
"""

from __future__ import annotations

import re
import shlex

from pydantic import BaseModel

from agentroute.swe.task import SweTask
from agentroute.swe.workspace import SandboxSettings, Workspace, patched_files

# the summary that decides a task is at the end of pytest's output: the tail must hold it whole
EVALUATION_SANDBOX = SandboxSettings(timeout=900, output_limit=16_000_000)
_RESULT_LINE = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+(.+?)(?:\s+-\s.*)?$", re.MULTILINE)
_SUMMARY = re.compile(r"^=+ short test summary info =+$", re.MULTILINE)
MISSING = "MISSING"


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


def run_tests(workspace: Workspace, task: SweTask) -> dict[str, str]:
    """Run the task's tests in the workspace: test id → PASSED, FAILED, ERROR, … or MISSING."""
    command = f"{task.test_cmd} {' '.join(shlex.quote(test) for test in task.tests)}"
    result = workspace.run(command, timeout=EVALUATION_SANDBOX.timeout, output_limit=EVALUATION_SANDBOX.output_limit)
    reported = parse_statuses(result.output)
    return {test: reported.get(test, MISSING) for test in task.tests}


class Evaluation(BaseModel):
    """The verdict on one patch."""

    instance_id: str
    resolved: bool
    patch_applied: bool
    error: str | None = None
    fail_to_pass: dict[str, str] = {}
    pass_to_pass: dict[str, str] = {}


def _prepare(task: SweTask) -> Workspace:
    return Workspace.create(task.repo_dir, base_commit=task.base_commit, settings=EVALUATION_SANDBOX)


def _apply_test_patch(workspace: Workspace, task: SweTask) -> str | None:
    """Put the files the test patch touches back to the base, then apply it (as SWE-bench does)."""
    workspace.restore(patched_files(task.test_patch))
    return workspace.apply(task.test_patch)


def evaluate_patch(task: SweTask, patch: str) -> Evaluation:
    """Resolved when, after `patch` and the task's test patch, every FAIL_TO_PASS and PASS_TO_PASS test passes."""
    if not patch.strip():
        return Evaluation(instance_id=task.instance_id, resolved=False, patch_applied=False, error="empty patch")
    workspace = _prepare(task)
    try:
        if (problem := workspace.apply(patch)) is not None:
            return Evaluation(instance_id=task.instance_id, resolved=False, patch_applied=False,
                              error=f"patch does not apply: {problem}")
        if (problem := _apply_test_patch(workspace, task)) is not None:
            return Evaluation(instance_id=task.instance_id, resolved=False, patch_applied=True,
                              error=f"test patch does not apply after the model patch: {problem}")
        statuses = run_tests(workspace, task)
    finally:
        workspace.remove()
    fail_to_pass = {test: statuses[test] for test in task.FAIL_TO_PASS}
    pass_to_pass = {test: statuses[test] for test in task.PASS_TO_PASS}
    resolved = all(status == "PASSED" for status in statuses.values())
    return Evaluation(instance_id=task.instance_id, resolved=resolved, patch_applied=True,
                      fail_to_pass=fail_to_pass, pass_to_pass=pass_to_pass)


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
    workspace = _prepare(task)
    try:
        if (problem := workspace.apply(task.test_patch)) is not None:
            return Validation(instance_id=task.instance_id, problems=[f"test patch does not apply: {problem}"])
        before = run_tests(workspace, task)
        if (problem := workspace.apply(task.patch)) is not None:
            return Validation(instance_id=task.instance_id, problems=[f"reference fix does not apply: {problem}"],
                              before=before)
        after = run_tests(workspace, task)
    finally:
        workspace.remove()
    problems = [f"{test} passes before the fix" for test in task.FAIL_TO_PASS if before[test] == "PASSED"]
    problems += [f"{test} is {before[test]} before the fix" for test in task.PASS_TO_PASS if before[test] != "PASSED"]
    problems += [f"{test} is {status} after the fix" for test, status in after.items() if status != "PASSED"]
    return Validation(instance_id=task.instance_id, problems=problems, before=before, after=after)
