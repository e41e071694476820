"""The `edit` tool's write, run inside the sandbox: `python -I -S edit_file.py < {"path", "old_text", "new_text"}`.

Run in the repository by the confined launcher (never imported by agentroute's own process), so the
path is resolved and written by a process that cannot write outside the workspace whatever a
concurrent process does to the directories on the way. Prints the reply for the model.
"""

from __future__ import annotations

import json
import os
import sys


def edit(path: str, old_text: str, new_text: str) -> str:
    """Replace the one occurrence of `old_text` in `path` (or create it when `old_text` is empty)."""
    repo = os.path.realpath(".")
    target = os.path.realpath(os.path.join(repo, path))
    if os.path.commonpath([repo, target]) != repo:
        return f"error: {path} is outside the repository; edit files inside it"
    if not old_text:
        if os.path.lexists(target):
            return f"error: {path} exists; give old_text to replace part of it"
        data = new_text.encode()
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(data)
        return f"created {path}"
    if not os.path.isfile(target):
        return f"error: {path} is not a file"
    with open(target, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    count = text.count(old_text)
    if count != 1:
        return (f"error: old_text occurs {count} times in {path}; "
                + ("check the exact text (whitespace too)" if count == 0 else "include more surrounding lines"))
    data = text.replace(old_text, new_text, 1).encode()
    with open(target, "wb") as handle:
        handle.write(data)
    return f"edited {path}"


def main() -> None:
    """Read the edit as JSON on stdin, print the reply (errors too: they go back to the model)."""
    request = json.loads(sys.stdin.buffer.read())
    try:
        reply = edit(request["path"], request["old_text"], request["new_text"])
    except (OSError, ValueError) as error:  # a directory in the way, text that cannot be encoded, …
        lines = str(error).strip().splitlines()
        reply = f"error: {type(error).__name__}" + (f": {lines[0][:300]}" if lines else "")
    sys.stdout.buffer.write(reply.encode("utf-8", "replace"))


if __name__ == "__main__":
    main()
