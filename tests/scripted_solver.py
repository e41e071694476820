"""A scripted coding model for the fake server: it solves SWE-style tasks the way an agent would.

For the task named in the conversation (found by its issue text) it lists the repository, reads
the file the fix touches, writes the fix with `git apply` in the workspace shell, runs the tests,
and submits. Each reply is chosen from the request alone, so any number of tasks can run at once.
"""

from __future__ import annotations

from typing import Any

from fakellm import Reply

from agentroute.swe.task import SweTask
from agentroute.swe.workspace import patched_files


def solution_script(task: SweTask) -> list[dict[str, Any]]:
    """The tool calls that solve `task`, in order (the last one submits)."""
    fix = task.patch if task.patch.endswith("\n") else task.patch + "\n"
    return [
        {"name": "bash", "arguments": {"command": "ls -R"}},
        {"name": "bash", "arguments": {"command": f"cat {patched_files(task.patch)[0]}"}},
        {"name": "bash", "arguments": {"command": f"git apply <<'AGENTROUTE_FIX'\n{fix}AGENTROUTE_FIX"}},
        {"name": "bash", "arguments": {"command": "python -m pytest -q -p no:cacheprovider"}},
        {"name": "submit", "arguments": {}},
    ]


class ScriptedSolver:
    """A fake-server responder that plays each task's solution script, one call per request."""

    def __init__(self, tasks: list[SweTask], *, script: Any = solution_script) -> None:
        self.scripts = {task.problem_statement: script(task) for task in tasks}

    def __call__(self, request: dict[str, Any]) -> Reply:
        messages = request["messages"]
        issue = next(m["content"] for m in messages if m["role"] == "user")
        script = next(steps for statement, steps in self.scripts.items() if statement in issue)
        step = sum(1 for m in messages if m["role"] == "assistant")
        call = script[min(step, len(script) - 1)]
        return Reply(content=None, tool_calls=[call], completion_tokens=40)
