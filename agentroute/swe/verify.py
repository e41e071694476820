"""An attempt's verdict: did the check the run trusts pass on what the agent submitted?

The check is the user's `--verify` command, run in the agent's workspace after it submits, in the
same sandbox as the agent's own commands (the command and the workspace are as hostile as the
model: the check cannot reach outside the sandbox, but the model may have shaped what it sees).
Without a command, the task's own tests decide: the evaluation on a fresh checkout
(agentroute/swe/evaluate.py). An attempt that did not submit, or whose check could not run to
the end (a missing command, a timeout), is `unverified`, with the reason.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agentroute.config_files import error_line
from agentroute.swe.evaluate import Evaluation
from agentroute.swe.workspace import Workspace

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


def run_check(workspace: Workspace, command: str, timeout: float) -> Verdict:
    """Run `command` in the workspace's sandbox: verified iff it exits 0 within `timeout` seconds."""
    try:
        result = workspace.run(command, timeout=timeout, output_limit=CHECK_OUTPUT_CHARS)
    except Exception as error:  # the sandbox itself failed to start the command
        return Verdict(verdict="unverified", reason=f"--verify could not run: {error_line(error)}")
    if result.timed_out:
        return Verdict(verdict="unverified", reason=f"--verify timed out after {timeout:g}s and was killed")
    if result.exit_code == 0:
        return Verdict(verdict="verified", reason="--verify exited 0")
    last_line = next((line.strip() for line in reversed(result.output.splitlines()) if line.strip()), "")
    return Verdict(verdict="unverified", reason=f"--verify exited {result.exit_code}" + (f": {last_line[:200]}" if last_line else ""))


def tests_verdict(evaluation: Evaluation) -> Verdict:
    """The task's own tests as the check."""
    if evaluation.resolved:
        return Verdict(verdict="verified", reason="the task's tests pass")
    failing = [test for test, status in {**evaluation.fail_to_pass, **evaluation.pass_to_pass}.items() if status != "PASSED"]
    why = evaluation.error or f"{len(failing)} of the task's tests do not pass"
    return Verdict(verdict="unverified", reason=why)


def not_submitted(outcome: str) -> Verdict:
    """The attempt ended without a submit: nothing to check."""
    return Verdict(verdict="unverified", reason=f"not submitted ({outcome})")
