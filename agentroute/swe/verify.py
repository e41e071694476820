"""An attempt's verdict: did the check the run trusts pass on what the agent submitted?

The check is the user's `--verify` command. It never runs where the agent worked: the model may
have shaped everything there (its tests, a conftest.py, pytest's config, files in its HOME,
processes it started). As SWE-bench evaluates, it runs on a fresh checkout of the task's base with
the submitted patch applied less its changes to tests and test-runner files
(agentroute/swe/patch_filter.py), in the same sandbox as the agent's commands, with a clean
environment. A patch that is empty or changes nothing but those files is `unverified` without
running the command: a check that passes on the base says nothing of the patch.
Without a command, the task's own tests decide: the evaluation (agentroute/swe/evaluate.py).
An attempt that did not submit, or whose check could not run to the end (a missing command, a
timeout), is `unverified`, with the reason.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agentroute.config_files import error_line
from agentroute.swe.evaluate import Evaluation, patched_checkout, unusable_patch
from agentroute.swe.task import SweTask

VerdictName = Literal["verified", "unverified"]
CHECK_OUTPUT_CHARS = 4_000


class Verdict(BaseModel):
    """Whether the attempt is verified, and why (or why not)."""

    verdict: VerdictName
    reason: str

    @property
    def verified(self) -> bool:
        """The check passed."""
        return self.verdict == "verified"


def unverified(reason: str) -> Verdict:
    """An unverified verdict, for `reason`."""
    return Verdict(verdict="unverified", reason=reason)


def run_check(task: SweTask, patch: str, command: str, timeout: float) -> Verdict:
    """Run `command` on a fresh checkout with the submitted `patch` (tests and test-runner files
    dropped), sandboxed: verified iff it exits 0 within `timeout` seconds."""
    if (problem := unusable_patch(patch)) is not None:
        return unverified(problem)
    try:
        with patched_checkout(task, patch) as (workspace, model, problem):
            if problem is not None:
                return unverified(f"patch does not apply: {problem}")
            if not model.kept.strip():
                return unverified(f"the patch only changes tests or test-runner files ({', '.join(model.dropped[:5])})")
            result = workspace.run(command, timeout=timeout, output_limit=CHECK_OUTPUT_CHARS)
    except Exception as error:  # the checkout or the sandbox failed to start the command
        return unverified(f"--verify could not run: {error_line(error)}")
    if result.timed_out:
        return unverified(f"--verify timed out after {timeout:g}s and was killed")
    if result.exit_code == 0:
        return Verdict(verdict="verified", reason="--verify exited 0")
    last_line = next((line.strip() for line in reversed(result.output.splitlines()) if line.strip()), "")
    return unverified(f"--verify exited {result.exit_code}" + (f": {last_line[:200]}" if last_line else ""))


def tests_verdict(evaluation: Evaluation) -> Verdict:
    """The task's own tests as the check."""
    if evaluation.resolved:
        return Verdict(verdict="verified", reason="the task's tests pass")
    failing = [test for test, status in {**evaluation.fail_to_pass, **evaluation.pass_to_pass}.items() if status != "PASSED"]
    why = evaluation.error or f"{len(failing)} of the task's tests do not pass"
    return unverified(why)


def not_submitted(outcome: str) -> Verdict:
    """The attempt ended without a submit: nothing to check."""
    return unverified(f"not submitted ({outcome})")
