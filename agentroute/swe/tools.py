"""The coding agent's three tools: `bash`, `edit` and `submit`, run against a task workspace."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from agentroute.swe.workspace import Workspace


def _function(name: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": list(properties)},
    }}


TOOLS: list[dict[str, Any]] = [
    _function("bash", "Run one shell command in the repository root (a fresh shell each time) and see its output "
              "and exit code.", {"command": {"type": "string", "description": "The command, e.g. `grep -rn foo src`."}}),
    _function("edit", "Replace one exact occurrence of old_text with new_text in a file of the repository. "
              "An empty old_text creates a new file holding new_text.", {
                  "path": {"type": "string", "description": "File path relative to the repository root."},
                  "old_text": {"type": "string", "description": "Text that occurs exactly once in the file (or empty)."},
                  "new_text": {"type": "string", "description": "The replacement text."}}),
    _function("submit", "Finish: the repository's changes become the patch. Call it once the fix is done and checked.", {}),
]


class ToolResult(BaseModel):
    """A tool's reply to the model, and whether the agent asked to finish."""

    content: str
    submitted: bool = False


def run_tool(workspace: Workspace, name: str, arguments: str) -> ToolResult:
    """Run one tool call; every problem (bad arguments, unknown tool) is a reply, not an exception."""
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError as error:
        return ToolResult(content=f"error: the arguments are not valid JSON ({error.msg}); send a JSON object")
    if not isinstance(args, dict):
        return ToolResult(content="error: the arguments must be a JSON object")
    if name == "submit":
        return ToolResult(content="submitted", submitted=True)
    if name == "bash":
        if not isinstance(command := args.get("command"), str) or not command.strip():
            return ToolResult(content="error: bash needs a non-empty `command` string")
        return ToolResult(content=workspace.run(command).render())
    if name == "edit":
        values = [args.get(key) for key in ("path", "old_text", "new_text")]
        if not all(isinstance(value, str) for value in values) or not values[0]:
            return ToolResult(content="error: edit needs `path`, `old_text` and `new_text` strings")
        return ToolResult(content=workspace.edit(*values))
    return ToolResult(content=f"error: unknown tool {name!r}; the tools are bash, edit and submit")
