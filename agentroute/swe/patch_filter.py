"""What the evaluator keeps of a model patch: source changes, never the test harness.

A model patch may not decide its own verdict. Before it is applied for evaluation, every file
diff that touches one of these is dropped (and recorded):
- tests: a path under a `tests`, `test` or `testing` directory, a `test_*.py` / `*_test.py` file,
  any `conftest.py`, and any file the task's test patch touches;
- files that can replace or configure the test runner: `pytest.py`, `pytest/`, `_pytest/`,
  `py.py`, `sitecustomize.py`, `usercustomize.py`, any `*.pth`, and pytest's config files
  (`pytest.ini`, `.pytest.ini`, `tox.ini`, `setup.cfg`, `pyproject.toml`) at any depth, whole:
  pytest's section of them cannot be told apart from the rest reliably;
- a new top-level module or package named like one the evaluator's interpreter can import
  (the standard library or an installed distribution): the repository root is on `sys.path`.

Which paths a file diff touches is asked of `git apply --numstat` itself, so a diff hidden
inside another one (a traditional `---`/`+++` diff after a git hunk) is judged by the paths git
would really write.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from fnmatch import fnmatch
from functools import cache
from importlib.machinery import all_suffixes
from importlib.metadata import packages_distributions
from pathlib import PurePosixPath

from pydantic import BaseModel

_FILE_DIFF = re.compile(r"^diff --git ", re.MULTILINE)
_TEST_DIRS = {"tests", "test", "testing"}
_TEST_FILES = ("test_*.py", "*_test.py", "conftest.py")
_RUNNER_FILES = {"pytest.py", "py.py", "sitecustomize.py", "usercustomize.py",
                 "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"}
_RUNNER_DIRS = {"pytest", "_pytest"}


class FilteredPatch(BaseModel):
    """The part of a model patch the evaluator applies, and the paths it dropped."""

    kept: str
    dropped: list[str] = []


@cache
def importable_names() -> frozenset[str]:
    """Top-level module names this interpreter can import without the repository."""
    return frozenset({*sys.stdlib_module_names, *sys.builtin_module_names, *packages_distributions()})


def protected(path: str, *, test_files: frozenset[str] = frozenset(), base_has_top: bool = True) -> bool:
    """Whether a model patch may not change `path` (see the module docstring).
    `base_has_top`: the base already has the path's top-level module or package."""
    parts = PurePosixPath(path).parts
    if not parts:
        return True
    name = parts[-1]
    if path in test_files or _TEST_DIRS.intersection(parts[:-1]) or any(fnmatch(name, glob) for glob in _TEST_FILES):
        return True
    if name in _RUNNER_FILES or name.endswith(".pth") or _RUNNER_DIRS.intersection(parts[:-1]):
        return True
    top = module_name(path)
    return top is not None and not base_has_top and top in importable_names()


def module_name(path: str) -> str | None:
    """The top-level module a file at the repository root defines (`json.py`, `json/__init__.py`)."""
    parts = PurePosixPath(path).parts
    if len(parts) == 1 or (len(parts) == 2 and parts[1].split(".")[0] == "__init__"):
        if parts[-1].endswith(tuple(all_suffixes())):
            return parts[0].split(".")[0]
    return None


def touched_paths(file_diff: str) -> list[str] | None:
    """Every path `git apply` would create, change, delete or rename for this diff; None when git
    finds no patch it can read in it (plain text, which applying ignores, or a broken diff, which
    makes applying the whole patch fail: the same parser reads it then)."""
    with tempfile.TemporaryDirectory(prefix="agentroute-numstat-") as empty:  # no repository, no config to read
        result = subprocess.run(["git", "apply", "--numstat", "-z", "-"], input=file_diff.encode(), cwd=empty,
                                capture_output=True, env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": empty,
                                                          "GIT_CONFIG_NOSYSTEM": "1"})
    if result.returncode != 0:
        return None
    paths: list[str] = []
    fields = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    index = 0
    while index < len(fields) and fields[index]:
        counts = fields[index].split("\t")
        if len(counts) == 3 and counts[2]:
            paths.append(counts[2])
            index += 1
        else:  # a rename or copy: "added\tdeleted\t" then the source and destination paths
            paths.extend(fields[index + 1:index + 3])
            index += 3
    return paths


def file_diffs(patch: str) -> list[str]:
    """The patch cut before each `diff --git` line (text before the first one is a piece too)."""
    starts = [match.start() for match in _FILE_DIFF.finditer(patch)]
    bounds = [0, *starts, len(patch)] if not starts or starts[0] else [*starts, len(patch)]
    return [patch[start:end] for start, end in zip(bounds, bounds[1:]) if patch[start:end].strip()]


def filter_patch(patch: str, *, test_files: list[str], base_tops: set[str]) -> FilteredPatch:
    """Drop every file diff of `patch` that touches a protected path, and list every path it touches.
    `test_files`: the paths the task's test patch touches; `base_tops`: the top-level modules of the base."""
    kept: list[str] = []
    dropped: list[str] = []
    tests = frozenset(test_files)
    for piece in file_diffs(patch):
        paths = touched_paths(piece)
        if any(protected(path, test_files=tests, base_has_top=module_name(path) in base_tops) for path in paths or ()):
            dropped.extend(path for path in paths or () if path not in dropped)  # the whole piece, not only the hit
        else:
            kept.append(piece)
    return FilteredPatch(kept="".join(kept), dropped=dropped)
