"""`agentroute bench replay`: policies streamed over CodeRouterBench's recorded outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.output import console


def replay(
    suite: Annotated[str, typer.Option(help="swe (112 SWE-bench tasks), id (2,919 tasks) or all.")] = "all",
    mode: Annotated[str, typer.Option(help="Feedback the policies see: resolved, apply-only or both.")] = "both",
    budget: Annotated[float, typer.Option("--budget", help="Per-task budget in USD.")] = 2.50,
    seed: Annotated[int, typer.Option(help="First task order (0 = file order); orders are seed, seed+1, …")] = 0,
    orders: Annotated[int, typer.Option(help="How many task orders to average.")] = 5,
    data: Annotated[Optional[Path], typer.Option("--data", help="A CodeRouterBench folder (default: the shipped copy).")] = None,
    memory: Annotated[Optional[Path], typer.Option("--memory", help="Keep the run's experience memories (Chroma stores) in this folder (default: in process only).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (default: the machine's cores).")] = 0,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write per-policy results here.")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Write the cost–quality plot (PNG) here.")] = None,
    split: Annotated[bool, typer.Option("--split", help="Out of sample: leave one group out (ID: dimension, SWE: repository), fit on the rest, score the held group.")] = False,
) -> None:
    """Replay recorded model outcomes through every policy: score, $, regret, escalations."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from agentroute.budget import validate_cap
    from agentroute.replay.bench import ReplaySettings, modes_for, run_replay, run_split
    from agentroute.replay.report import LEGEND, SPLIT_LEGEND, results_table, split_table, write_json, write_plot
    from agentroute.cli.output import fail
    from agentroute.extras import require_extra

    if suite not in ("swe", "id", "all"):
        fail(f"--suite must be swe, id or all, not {suite!r}")
    if mode not in ("resolved", "apply-only", "both"):
        fail(f"--mode must be resolved, apply-only or both, not {mode!r}")
    if orders < 1:
        fail("--orders must be at least 1")
    if workers < 0:
        fail("--workers must be 0 (one per core) or more")
    validate_cap(budget)
    settings = ReplaySettings(
        suites=["swe", "id"] if suite == "all" else [suite],
        modes=["resolved", "apply-only"] if mode == "both" else [mode],
        budget_usd=budget, seed=seed, orders=orders, data_dir=data, memory_dir=memory,
        workers=workers or os.cpu_count() or 1,
    )
    if split and plot is not None:
        fail("--plot draws the full replay; leave it out with --split")
    if plot is not None:
        require_extra("matplotlib")  # a missing extra is one error line now, not after the replay
    with Progress(TextColumn("replay · tasks played"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("eta"), TimeRemainingColumn(), console=console, transient=True) as progress:
        def start(total: int):  # noqa: ANN202 - returns the progress callback
            task = progress.add_task("replay", total=total)
            return lambda done: progress.update(task, completed=done)

        results = (run_split if split else run_replay)(settings, progress=start)
    for one_suite in settings.suites:
        for one_mode in modes_for(one_suite, settings.modes):
            console.print(split_table(results, one_suite, one_mode) if split else results_table(results, one_suite, one_mode))
    console.print(SPLIT_LEGEND if split else LEGEND, markup=False)
    if json_out is not None:
        write_json(results, json_out, settings.model_dump(mode="json"))
        console.print(f"wrote {json_out}")
    if plot is not None:
        write_plot(results, plot)
        console.print(f"wrote {plot}")
