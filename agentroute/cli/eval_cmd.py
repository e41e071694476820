"""`agentroute eval` (score predictions) and `agentroute validate` (prove tasks sound)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.output import console, fail
from agentroute.cli.run_cmd import CheckoutOption, InstanceOption, TaskArgument

DEFAULT_DATASET = "princeton-nlp/SWE-bench_Verified"


def _read_predictions(path: Path) -> dict[str, str]:
    from agentroute.config_files import read_text
    from agentroute.errors import ConfigError

    patches: dict[str, str] = {}
    for number, line in enumerate(read_text(path, "predictions file").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            patches[str(row["instance_id"])] = str(row.get("model_patch") or "")
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ConfigError(f"{path}:{number}: not a SWE-bench prediction (instance_id, model_patch)") from None
    if not patches:
        raise ConfigError(f"{path}: no predictions in it")
    return patches


def evaluate(
    predictions: Annotated[Path, typer.Argument(help="predictions.jsonl (instance_id, model_name_or_path, model_patch).")],
    tasks: Annotated[Optional[Path], typer.Option(
        "--tasks", help="Evaluate here, without Docker, against these tasks (task/suite directory or dataset file).")] = None,
    checkout: CheckoutOption = None,
    dataset: Annotated[str, typer.Option("--dataset", help="SWE-bench dataset name for the official harness.")] = DEFAULT_DATASET,
    run_id: Annotated[str, typer.Option("--run-id", help="Run id for the official harness's reports.")] = "agentroute",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Parallel evaluations (official harness).")] = 1,
) -> None:
    """Score predictions: locally against --tasks, else with the official SWE-bench harness (Docker)."""
    from agentroute.swe import harness

    if tasks is None:
        if not predictions.is_file():
            fail(f"predictions file {predictions} does not exist")
        problem = harness.harness_problem()
        if problem is not None:
            fail(f"cannot run the SWE-bench harness here: {problem}; to score local tasks without Docker use --tasks DIR")
        raise typer.Exit(harness.run_harness(predictions, dataset=dataset, run_id=run_id, workers=workers))

    from rich.markup import escape
    from rich.table import Table

    from agentroute.swe.evaluate import evaluate_patch
    from agentroute.swe.task import select_tasks

    patches = _read_predictions(predictions)
    selected = select_tasks(tasks, checkout=checkout, instances=sorted(patches))
    table = Table(title=f"evaluation of {predictions}")
    for column in ("task", "resolved", "FAIL_TO_PASS passing", "PASS_TO_PASS passing", "note"):
        table.add_column(column)
    resolved = 0
    for task in selected:
        verdict = evaluate_patch(task, patches[task.instance_id])
        resolved += verdict.resolved
        notes = [verdict.error] if verdict.error else []
        notes += [f"dropped {', '.join(verdict.dropped)}"] if verdict.dropped else []
        table.add_row(task.instance_id, "yes" if verdict.resolved else "no",
                      f"{sum(s == 'PASSED' for s in verdict.fail_to_pass.values())}/{len(task.FAIL_TO_PASS)}",
                      f"{sum(s == 'PASSED' for s in verdict.pass_to_pass.values())}/{len(task.PASS_TO_PASS)}",
                      escape("; ".join(notes)))
    console.print(table)
    console.print(f"resolved {resolved} of {len(selected)}")


def validate(task_or_dir: TaskArgument, checkout: CheckoutOption = None, instance: InstanceOption = None) -> None:
    """Prove each task: FAIL_TO_PASS fails before the reference fix, everything passes after it."""
    from rich.markup import escape
    from rich.table import Table

    from agentroute.swe.evaluate import validate_task
    from agentroute.swe.task import select_tasks

    table = Table(title=f"task validation · {task_or_dir}")
    for column in ("task", "FAIL_TO_PASS", "PASS_TO_PASS", "verdict"):
        table.add_column(column)
    unsound = 0
    for task in select_tasks(task_or_dir, checkout=checkout, instances=instance):
        check = validate_task(task)
        unsound += not check.ok
        table.add_row(task.instance_id, str(len(task.FAIL_TO_PASS)), str(len(task.PASS_TO_PASS)),
                      "fails before, passes after" if check.ok else escape("; ".join(check.problems)))
    console.print(table)
    if unsound:
        fail(f"{unsound} task{'s' if unsound > 1 else ''} not sound", code=1)
