"""SWE-style tasks: SWE-bench's fields, read from a local task directory or a dataset file.

A local task is a directory holding `task.json`, a `repo/` snapshot, and optionally
`test.patch` (SWE-bench's test_patch) and `gold.patch` (SWE-bench's patch). A SWE-bench dataset
file (JSON list or JSONL rows, e.g. SWE-bench Verified) names the same fields inline; its
repositories come from a checkout directory the user supplies. Both become the same `SweTask`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agentroute.config_files import one_line, parse_text, read_text
from agentroute.errors import ConfigError

DEFAULT_TEST_CMD = "python -m pytest -rA -q -p no:cacheprovider"
TASK_FILE = "task.json"


class SweTask(BaseModel):
    """One task: where its repository is, what the issue says, which tests decide it."""

    model_config = ConfigDict(extra="ignore")

    instance_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # it names output files
    repo: str = ""
    base_commit: str | None = None
    problem_statement: str = Field(min_length=1)
    FAIL_TO_PASS: list[str] = Field(min_length=1)
    PASS_TO_PASS: list[str] = Field(default_factory=list)
    patch: str = ""
    test_patch: str = ""
    test_cmd: str = DEFAULT_TEST_CMD
    repo_dir: Path

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS", mode="before")
    @classmethod
    def _json_encoded_lists(cls, value: Any) -> Any:
        """SWE-bench's published rows hold these lists as JSON strings."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value

    @model_validator(mode="after")
    def _base_commit_needs_git(self) -> SweTask:
        if self.base_commit and not (self.repo_dir / ".git").exists():
            raise ValueError(f"base_commit {self.base_commit} needs a git checkout, and {self.repo_dir} is not one")
        return self

    @property
    def tests(self) -> list[str]:
        """Every test that decides the task: FAIL_TO_PASS then PASS_TO_PASS."""
        return [*self.FAIL_TO_PASS, *self.PASS_TO_PASS]


def _check_unicode(value: Any, source: str, where: str = "") -> None:
    """Text that cannot be written as UTF-8 (a lone surrogate such as "\\ud800") is a ConfigError."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ConfigError(f"{source}: {where or '(top level)'}: not valid Unicode text "
                              f"(a lone surrogate {value[error.start]!r} at character {error.start})") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_unicode(key, source, where)
            _check_unicode(item, source, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_unicode(item, source, f"{where}[{index}]")


def _validated(raw: dict[str, Any], source: str) -> SweTask:
    _check_unicode(raw, source)
    try:
        return SweTask.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(one_line(source, error)) from None


def _optional_text(path: Path) -> str:
    return read_text(path, "patch file") if path.exists() else ""


def load_task_dir(directory: Path) -> SweTask:
    """A local task directory (task.json, repo/, test.patch, gold.patch) as a SweTask."""
    task_file = directory / TASK_FILE
    raw = parse_text(read_text(task_file, "task file"), str(task_file), "json", expected="a task object")
    repo_dir = directory / "repo"
    if not repo_dir.is_dir():
        raise ConfigError(f"{task_file}: the repository snapshot {repo_dir} does not exist")
    raw = {**raw, "repo_dir": repo_dir.resolve()}
    raw.setdefault("test_patch", _optional_text(directory / "test.patch"))
    raw.setdefault("patch", _optional_text(directory / "gold.patch"))
    return _validated(raw, str(task_file))


def load_tasks(path: Path) -> list[SweTask]:
    """One task directory, or every task directory directly under `path`, sorted by name."""
    if not path.exists():
        raise ConfigError(f"no task or suite at {path}: it does not exist")
    if path.is_file():
        raise ConfigError(f"{path} is a file: give a task directory, a suite directory, or a dataset with --checkout")
    if (path / TASK_FILE).exists():
        return [load_task_dir(path)]
    task_dirs = sorted(child for child in path.iterdir() if (child / TASK_FILE).is_file())
    if not task_dirs:
        raise ConfigError(f"no tasks under {path}: expected {TASK_FILE} in it or in its subdirectories")
    tasks = [load_task_dir(child) for child in task_dirs]
    _check_unique(tasks, str(path))
    return tasks


def _dataset_rows(path: Path) -> list[tuple[str, Any]]:
    text = read_text(path, "dataset file")
    if path.suffix.lower() == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append((f"{path}:{number}", json.loads(line)))
                except json.JSONDecodeError as error:
                    raise ConfigError(f"{path}:{number}: not valid JSON: {error.msg}") from None
        return rows
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a list of SWE-bench instances")
    return [(f"{path}[{index}]", row) for index, row in enumerate(data)]


def _checkout_for(row: dict[str, Any], checkout: Path, source: str) -> Path:
    """The repository of one instance: CHECKOUT/<instance_id>, CHECKOUT/<owner>__<name>, or CHECKOUT."""
    names = [str(row.get("instance_id") or ""), str(row.get("repo") or "").replace("/", "__")]
    for name in names:
        if name and (checkout / name).is_dir():
            return (checkout / name).resolve()
    if (checkout / ".git").exists():
        return checkout.resolve()
    expected = ", ".join(f"{name}/" for name in names if name)
    raise ConfigError(f"{source}: no checkout for {row.get('instance_id')!r} under {checkout} "
                      f"(expected {expected or 'a directory per instance'} or a git checkout)")


def load_dataset(path: Path, checkout: Path, instances: list[str] | None = None) -> list[SweTask]:
    """SWE-bench instances from a JSON/JSONL dataset file (only `instances`, when given), with
    repositories under `checkout`."""
    if not checkout.is_dir():
        raise ConfigError(f"checkout directory {checkout} does not exist")
    tasks = []
    for source, row in _dataset_rows(path):
        if not isinstance(row, dict):
            raise ConfigError(f"{source}: expected an instance object")
        if instances and row.get("instance_id") not in instances:
            continue
        tasks.append(_validated({**row, "repo_dir": _checkout_for(row, checkout, source)}, source))
    if not tasks:
        raise ConfigError(f"{path}: no instances" + (f" named {', '.join(instances)}" if instances else ""))
    _check_unique(tasks, str(path))
    return tasks


def _check_unique(tasks: list[SweTask], source: str) -> None:
    seen: set[str] = set()
    for task in tasks:
        if task.instance_id in seen:
            raise ConfigError(f"{source}: instance_id {task.instance_id!r} appears twice")
        seen.add(task.instance_id)


def select_tasks(path: Path, *, checkout: Path | None = None, instances: list[str] | None = None) -> list[SweTask]:
    """Tasks from a task directory, a suite directory, or a dataset file (with `checkout`),
    narrowed to `instances` when given (an unknown instance id is an error)."""
    if path.is_file() and path.suffix.lower() in (".json", ".jsonl"):
        if checkout is None:
            raise ConfigError(f"{path} is a dataset file: pass --checkout DIR with the repositories it names")
        tasks = load_dataset(path, checkout, instances)
    else:
        tasks = load_tasks(path)
    if not instances:
        return tasks
    by_id = {task.instance_id: task for task in tasks}
    unknown = [instance for instance in instances if instance not in by_id]
    if unknown:
        raise ConfigError(f"no instance {', '.join(unknown)} in {path}")
    return [by_id[instance] for instance in instances]
