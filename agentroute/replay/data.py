"""CodeRouterBench loading: tasks with every model's recorded outcome, validated.

Two suites: `swe` (112 SWE-bench Verified tasks: resolved, patch applies, cost; the issue text is
the prompt) and `id` (2,919 coding tasks: a score in [0, 1] and cost; no prompt text, the task id
names the source benchmark). A directory holding the published file names can replace the copy
shipped with the package (`--data DIR`).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from agentroute.errors import AgentRouteError

Suite = Literal["swe", "id"]
SUITE_FILES: dict[str, tuple[str, str]] = {
    "swe": ("ood112_tasks.jsonl", "ood112_results_long.csv"),
    "id": ("id_test_tasks.jsonl", "id_test_results_long.csv"),
}


class DataError(AgentRouteError):
    """A benchmark file is missing, truncated or malformed."""


class Outcome(BaseModel):
    """One model's recorded attempt at one task."""

    score: float
    applies: bool
    cost_usd: float


class ReplayTask(BaseModel):
    """A task as the harness holds it: what a router may see, and every model's outcome."""

    task_id: str
    dimension: str
    source: str
    text: str
    outcomes: dict[str, Outcome]

    @property
    def group(self) -> str:
        """The coarse group used for shrinkage: dimension/source benchmark."""
        return f"{self.dimension}/{self.source}"


class ReplayDataset(BaseModel):
    """One suite: its tasks in file order and the models every task was run with."""

    suite: Suite
    models: list[str]
    tasks: list[ReplayTask]


def default_data_dir() -> Path:
    """The CodeRouterBench copy shipped inside the package (MIT, see its LICENSE.md)."""
    return Path(str(resources.files("agentroute").joinpath("data/coderouterbench")))


def _source(task_id: str) -> str:
    """`dim1_mbpp_631` → `mbpp`; `old112::astropy__astropy-13033` → `swebench`."""
    if task_id.startswith("old112::"):
        return "swebench"
    parts = task_id.split("_", 2)
    return parts[1] if len(parts) >= 3 else "unknown"


def _read_tasks(path: Path) -> dict[str, dict]:
    tasks: dict[str, dict] = {}
    with _open(path) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                task = json.loads(line)
                task_id, dimension = task["task_id"], task["dimension"]
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise DataError(f"{path} line {number}: not a task record ({type(error).__name__}: {error})") from None
            if task_id in tasks:
                raise DataError(f"{path} line {number}: task {task_id!r} appears twice")
            tasks[task_id] = {"dimension": dimension, "text": task.get("prompt") or ""}
    if not tasks:
        raise DataError(f"{path}: no tasks")
    return tasks


def _open(path: Path):  # noqa: ANN202 - a text file handle
    if not path.is_file():
        raise DataError(f"{path} does not exist")
    try:
        return path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error}") from None


def _read_outcomes(path: Path, suite: Suite) -> dict[str, dict[str, Outcome]]:
    outcomes: dict[str, dict[str, Outcome]] = defaultdict(dict)
    required = {"swe": ("task_id", "model", "resolved", "apply_ok", "cost_usd"), "id": ("task_id", "model", "score", "cost_usd")}[suite]
    with _open(path) as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
        for number, row in enumerate(reader, start=2):
            try:
                if suite == "swe":
                    outcome = Outcome(score=float(row["resolved"]), applies=row["apply_ok"] == "1", cost_usd=float(row["cost_usd"]))
                else:
                    outcome = Outcome(score=float(row["score"]), applies=True, cost_usd=float(row["cost_usd"]))
            except (TypeError, ValueError, ValidationError) as error:
                raise DataError(f"{path} line {number}: bad value ({str(error).splitlines()[0]})") from None
            if not 0.0 <= outcome.score <= 1.0 or outcome.cost_usd < 0:
                raise DataError(f"{path} line {number}: score must be in [0, 1] and cost ≥ 0")
            if row["model"] in outcomes[row["task_id"]]:
                raise DataError(f"{path} line {number}: {row['task_id']} × {row['model']} appears twice")
            outcomes[row["task_id"]][row["model"]] = outcome
    return outcomes


def load_suite(suite: Suite, data_dir: Path | None = None) -> ReplayDataset:
    """Load and cross-check one suite: every task has an outcome for every model, and back."""
    directory = data_dir or default_data_dir()
    task_file, result_file = (directory / name for name in SUITE_FILES[suite])
    tasks = _read_tasks(task_file)
    outcomes = _read_outcomes(result_file, suite)
    models = sorted({model for by_model in outcomes.values() for model in by_model})
    unknown = sorted(set(outcomes) - set(tasks))
    if unknown:
        raise DataError(f"{result_file}: results for {len(unknown)} task(s) not in {task_file.name}, e.g. {unknown[0]}")
    replay_tasks = []
    for task_id, task in tasks.items():
        by_model = outcomes.get(task_id, {})
        if sorted(by_model) != models:
            absent = sorted(set(models) - set(by_model))
            raise DataError(f"{result_file}: task {task_id} lacks results for {', '.join(absent) or 'every model'} (truncated file?)")
        replay_tasks.append(ReplayTask(task_id=task_id, dimension=task["dimension"], source=_source(task_id),
                                       text=task["text"], outcomes=by_model))
    return ReplayDataset(suite=suite, models=models, tasks=replay_tasks)


def load_prices(data_dir: Path | None = None) -> dict[str, float]:
    """Each model's listed price (input + output USD per 1M tokens) from models.json."""
    path = (data_dir or default_data_dir()) / "models.json"
    try:
        entries = json.loads(path.read_text())["models"]
        return {entry["model"]: float(entry["input_per_1m"]) + float(entry["output_per_1m"]) for entry in entries}
    except FileNotFoundError:
        raise DataError(f"{path} does not exist") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise DataError(f"{path}: not a models list ({type(error).__name__}: {error})") from None
