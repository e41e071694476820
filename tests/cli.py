"""Running the `agentroute` command line as a user does: a real process, its output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = (), cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`agentroute ARGS…` in a subprocess with a wide terminal, `env` added to this environment
    and the `unset` variables removed from it."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    for name in ("AGENTROUTE_MEMORY_URL", *unset):
        full_env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "agentroute.cli.app", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)


def assert_one_line_error(result: subprocess.CompletedProcess[str], text: str, code: int = 2) -> None:
    """The command failed with `code` and said why in one `error:` line containing `text`."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and text in lines[0], result.stderr
