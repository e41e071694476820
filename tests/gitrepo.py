"""A git checkout of a directory, as a SWE-bench user's checkout would be: for dataset-row tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def checkout_of(source: Path, destination: Path) -> str:
    """Copy `source` to `destination` as a git repository with one commit; that commit's sha."""
    shutil.copytree(source, destination)
    subprocess.run([*GIT, "init", "-q"], cwd=destination, check=True)
    commit_all(destination, "base")
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=destination, capture_output=True, text=True, check=True).stdout.strip()


def commit_all(repo: Path, message: str) -> None:
    """Commit every change in `repo`."""
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)
