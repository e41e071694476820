"""A scripted coding model for the fake server: it solves SWE-style tasks the way an agent would.

For the task named in the conversation (found by its issue text) it lists the repository, reads
the file the fix touches, writes the fix with the `edit` tool (one call per hunk of the reference
patch), looks at its change (`git diff`; `run_tests=True`: runs the task's tests instead), and
submits. Each reply is chosen from the request alone, so any number of tasks can run at once.
By default it reviews rather than tests: the task's pytest costs ~0.6 s of CPU in the sandbox, and
each task's evaluation runs the tests anyway.
"""

from __future__ import annotations

from typing import Any

from fakellm import Reply

from agentroute.swe.task import SweTask
from agentroute.swe.workspace import patched_files


def edits_from_patch(patch: str) -> list[dict[str, str]]:
    """The reference fix as `edit` tool arguments: per hunk, its old lines → its new lines."""
    edits: list[dict[str, str]] = []
    path = ""
    old: list[str] = []
    new: list[str] = []

    def flush() -> None:
        if old or new:
            edits.append({"path": path, "old_text": "".join(old), "new_text": "".join(new)})
        old.clear()
        new.clear()

    for line in patch.splitlines(keepends=True):
        if line.startswith("+++ b/"):
            flush()
            path = line[6:].strip()
        elif line.startswith(("@@", "diff --git", "--- ", "index ")):
            flush()
        elif line.startswith((" ", "-")):
            old.append(line[1:])
            new.extend([line[1:]] if line.startswith(" ") else [])
        elif line.startswith("+"):
            new.append(line[1:])
    flush()
    return edits


def solution_script(task: SweTask, run_tests: bool = False) -> list[dict[str, Any]]:
    """The tool calls that solve `task`, in order: look, read, edit (one call per hunk), check, submit."""
    return [
        {"name": "bash", "arguments": {"command": "ls -R"}},
        {"name": "bash", "arguments": {"command": f"cat {patched_files(task.patch)[0]}"}},
        *({"name": "edit", "arguments": edit} for edit in edits_from_patch(task.patch)),
        {"name": "bash", "arguments": {"command": "python -m pytest -q -p no:cacheprovider" if run_tests else "git diff"}},
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
