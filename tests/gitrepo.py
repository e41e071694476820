"""A git checkout of a directory, as a SWE-bench user's checkout would be, and real patches made in one."""

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


def patch_of(source: Path, workdir: Path, *, apply: str = "", files: dict[str, str | None] | None = None) -> str:
    """A git diff against `source`: the patch `apply`, then each file of `files` written (None deletes it)."""
    checkout_of(source, workdir)
    if apply:
        subprocess.run([*GIT, "apply", "-"], input=apply, text=True, cwd=workdir, check=True)
    for path, text in (files or {}).items():
        target = workdir / path
        if text is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    subprocess.run([*GIT, "add", "-A"], cwd=workdir, check=True)
    return subprocess.run([*GIT, "diff", "--cached", "HEAD"], cwd=workdir, capture_output=True, text=True, check=True).stdout
