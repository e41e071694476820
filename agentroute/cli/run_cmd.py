"""`agentroute run TASK_OR_DIR --budget USD`: the routed coding agent on SWE-style tasks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from agentroute.cli.options import BudgetOption, PolicyOption, PoolOption
from agentroute.cli.output import console, errors, fail

if TYPE_CHECKING:
    from agentroute.memory.store import ExperienceMemory
    from agentroute.pool import Pool
    from agentroute.swe.escalation import Escalation
    from agentroute.swe.outputs import TaskResult

TaskArgument = Annotated[Path, typer.Argument(
    help="A task directory, a suite directory of tasks, or a SWE-bench dataset file (.json/.jsonl, with --checkout).")]
CheckoutOption = Annotated[Optional[Path], typer.Option(
    "--checkout", help="For a dataset file: the repositories (DIR/<instance_id>, DIR/<owner>__<name>, or one checkout).")]
InstanceOption = Annotated[Optional[list[str]], typer.Option("--instance", help="Only this instance id (repeatable).")]
AttemptsOption = Annotated[int, typer.Option(
    "--attempts", help="Attempts per task, each on a fresh workspace, all under the one --budget. After an attempt that "
                       "is not verified, the escalation policy picks a stronger tier floor for the next one's steps, or stops.")]
VerifyOption = Annotated[Optional[str], typer.Option(
    "--verify", help="Check command run after the agent submits, on a fresh checkout with its patch less its changes "
                     "to tests and test-runner files, in the sandbox; exit 0 = verified. Without it, a local suite "
                     "task's own tests are the check; a SWE-bench dataset needs --verify for --attempts > 1.")]
VerifyTimeoutOption = Annotated[float, typer.Option(
    "--verify-timeout", min=1, help="Seconds the --verify command may run; past it the attempt is unverified.")]


def _tier_mix(tier_calls: dict[str, int], order: list[str]) -> str:
    return " ".join(f"{name}×{tier_calls[name]}" for name in order if tier_calls.get(name))


def _attempts(result: TaskResult) -> str:
    """Each attempt's tier floor and verdict, e.g. `low✗ mid✓`."""
    return " ".join(f"{attempt.tier_floor}{'✓' if attempt.verdict == 'verified' else '✗'}" for attempt in result.attempts)


def _why(result: TaskResult) -> str:
    """Why a task did not resolve (and, with --attempts, why no further attempt ran), in a few
    words; the full text is in results.jsonl."""
    import textwrap

    evaluation = result.evaluation or {}
    if result.error:
        why = result.error
    elif result.outcome == "unresolved":
        why = evaluation.get("error") or ("the patch did not apply" if not evaluation.get("patch_applied", True) else
                                          f"{sum(s != 'PASSED' for s in evaluation.get('fail_to_pass', {}).values())} "
                                          f"FAIL_TO_PASS and {sum(s != 'PASSED' for s in evaluation.get('pass_to_pass', {}).values())} "
                                          "PASS_TO_PASS tests failing")
    elif result.outcome == "step_limit":
        why = f"stopped after {result.steps} steps (--max-steps)"
    else:
        why = ""
    if result.stop_reason and result.stop_reason != "verified":
        why = f"{why}; attempts stopped: {result.stop_reason}" if why else f"attempts stopped: {result.stop_reason}"
    return textwrap.shorten(why, 200, placeholder=" …")


def _summary(results: list[TaskResult], tier_order: list[str], budget: float, *, attempts: bool) -> None:
    """The per-task table, then each task's run id (for `agentroute trace`) and why it did not resolve."""
    from collections import Counter

    from rich.markup import escape

    from agentroute.cli.output import fitted_table

    columns = {"task": "text", "outcome": "text", **({"attempts (floor)": "text"} if attempts else {}),
               "$ spent": "number", "steps": "number", "tier mix (calls)": "text", "seconds": "number"}
    table = fitted_table(f"agentroute run · budget ${budget:g} per task", columns)
    for result in results:
        table.add_row(escape(result.instance_id), result.outcome, *((_attempts(result),) if attempts else ()),
                      f"{result.spent_usd:.4f}", str(result.steps), _tier_mix(result.tier_calls, tier_order),
                      f"{result.seconds:.1f}")
    total_tiers: Counter[str] = Counter()
    for result in results:
        total_tiers.update(result.tier_calls)
    resolved = sum(result.outcome == "resolved" for result in results)
    table.add_section()
    table.add_row(f"{len(results)} tasks", f"{resolved} resolved",
                  *((f"{sum(len(r.attempts) for r in results)} attempts",) if attempts else ()),
                  f"{sum(r.spent_usd for r in results):.4f}",
                  str(sum(r.steps for r in results)), _tier_mix(dict(total_tiers), tier_order),
                  f"{sum(r.seconds for r in results):.1f}")
    console.print(table)
    console.print("run ids (agentroute trace RUN_ID):", highlight=False)
    for result in results:
        why = _why(result)
        console.print(f"  {escape(result.instance_id)}: {escape(result.run_id)}" + (f"\n    [red]{escape(why)}[/]" if why else ""),
                      highlight=False)


def _escalation(pool: Pool, memory: ExperienceMemory | None, *, suite: str, batch: str) -> Escalation:
    """The task-level policy's driver: evidence from the memory's escalation collection when there
    is one, else in-process group statistics."""
    from agentroute.swe.escalation import Escalation

    if memory is None:
        return Escalation(pool, suite=suite)
    return Escalation.from_memory(pool, memory, suite=suite, run_prefix=f"swe-{batch}")


def run(
    task_or_dir: TaskArgument,
    budget: BudgetOption = 0.50,
    pool_file: PoolOption = None,
    policy: PolicyOption = "learned",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Tasks run at the same time.")] = 1,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Model calls per task before it stops.")] = 40,
    command_timeout: Annotated[float, typer.Option("--command-timeout", min=1, help="Seconds a shell command may run.")] = 60.0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Output directory. Default: $AGENTROUTE_HOME/swe/<name>.")] = None,
    checkout: CheckoutOption = None,
    instance: InstanceOption = None,
    memory: Annotated[Optional[Path], typer.Option("--memory", help="Experience memory. Default: $AGENTROUTE_MEMORY or ./memory/chroma.")] = None,
    no_memory: Annotated[bool, typer.Option("--no-memory", help="Route without the experience memory.")] = False,
    no_seed: Annotated[bool, typer.Option("--no-seed", help="Start the learned policy cold: fit it on the memory only, not on the shipped labeled steps.")] = False,
    store: Annotated[Optional[Path], typer.Option("--store", help="Trace store. Default: $AGENTROUTE_HOME/runs.sqlite.")] = None,
    keep_workspaces: Annotated[bool, typer.Option("--keep-workspaces", help="Keep each task's workspace after it ends.")] = False,
    db: Annotated[Optional[str], typer.Option("--db", help="Central store (postgresql:// URL): traces, budget ledgers and checkpoints, instead of --store. Default: $AGENTROUTE_DB.")] = None,
    ray_address: Annotated[Optional[str], typer.Option("--ray", metavar="ADDRESS", help="Run the tasks on a Ray cluster (agentroute[ray]): `local` starts one on this machine, or the cluster's address (auto, ray://HOST:10001).")] = None,
    attempts: AttemptsOption = 1,
    verify: VerifyOption = None,
    verify_timeout: VerifyTimeoutOption = 300.0,
) -> None:
    """Run the routed coding agent on one task or a suite; writes predictions.jsonl (SWE-bench format)."""
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from agentroute.credentials import require_keys
    from agentroute.home import home
    from agentroute.policies import make_policy
    from agentroute.pool import load_pool
    from agentroute.swe.agent import AgentSettings
    from agentroute.swe.outputs import OutputDir
    from agentroute.swe.escalation import COLLECTION as ESCALATION_COLLECTION
    from agentroute.swe.runner import RunSettings, StepUpdate, run_tasks
    from agentroute.swe.task import select_tasks
    from agentroute.swe.sandbox import describe, resolve_layer
    from agentroute.swe.workspace import SandboxSettings
    from agentroute.store import database_url, open_checkpointer
    from agentroute.trace import TraceStore

    db = database_url(db)
    if attempts < 1:
        fail(f"--attempts must be 1 or more, got {attempts}")
    if verify is not None and not verify.strip():
        fail("--verify needs a command, e.g. --verify 'python -m pytest -q'")
    if attempts > 1 and verify is None and task_or_dir.is_file():
        fail("--attempts > 1 on a SWE-bench dataset needs --verify CMD: the instances' tests are the benchmark's "
             "verdict, not a check the run may use")
    pool = load_pool(pool_file)
    make_policy(policy, pool)
    tasks = select_tasks(task_or_dir, checkout=checkout, instances=instance)
    require_keys(pool)
    trace_store = TraceStore(db or store)  # a bad store or memory fails here, before anything is printed
    experience = escalation_memory = None
    path = url = None
    if not no_memory:
        from agentroute.memory.slots import where_memory_lives
        from agentroute.memory.store import ExperienceMemory

        path, url = where_memory_lives(memory, None)
        experience = ExperienceMemory(path, url=url)
        if attempts > 1:
            escalation_memory = ExperienceMemory(path, url=url, collection=ESCALATION_COLLECTION)
    settings = RunSettings(budget_usd=budget, policy=policy, workers=workers, use_seed=not no_seed, attempts=attempts,
                           agent=AgentSettings(max_steps=max_steps, keep_workspace=keep_workspaces, verify=verify,
                                               verify_timeout=verify_timeout, sandbox=SandboxSettings(timeout=command_timeout)))
    output = OutputDir(out or home() / "swe" / task_or_dir.resolve().stem, settings.identity(pool), settings.model_name)
    done = output.finished()
    for note in output.notes:
        console.print(f"[yellow]repaired:[/] {escape(note)}")
    todo = [task for task in tasks if task.instance_id not in done]
    if done:
        console.print(f"{len(tasks) - len(todo)} of {len(tasks)} tasks already have results in {output.path}; running the rest.")
    if resolve_layer() == "bwrap":  # any other layer was logged as a warning when detected
        console.print(describe("bwrap"), highlight=False)
    escalation = _escalation(pool, escalation_memory, suite=task_or_dir.resolve().stem, batch=output.batch)
    columns = (TextColumn("{task.description}"), BarColumn(bar_width=20), TextColumn("{task.fields[status]}"),
               TimeElapsedColumn())
    with output, Progress(*columns, console=console) as progress:
        rows = {task.instance_id: progress.add_task(task.instance_id, total=max_steps, status="queued") for task in todo}

        def show(update: StepUpdate) -> None:
            attempt = f"attempt {update.attempt} · " if attempts > 1 else ""
            status = (f"{update.outcome} · {attempt}${update.spent_usd:.4f}" if update.done
                      else f"{attempt}step {update.step} · {update.tier or '-'} · ${update.spent_usd:.4f}")
            progress.update(rows[update.instance_id], completed=max_steps if update.done else update.step, status=status)

        def stopping() -> None:
            errors.print("Ctrl-C: stopping after the model calls in flight", highlight=False, markup=False)

        try:
            if ray_address:
                from agentroute.swe.ray_runner import WorkerPlaces, run_tasks_on_ray

                places = WorkerPlaces.of(trace_store, db=db, memory_path=path, memory_url=url, use_memory=not no_memory)
                results = run_tasks_on_ray(todo, pool, settings, output, address=ray_address, places=places, progress=show)
            else:
                results = run_tasks(todo, pool, settings, output, store=trace_store, memory=experience,
                                    checkpointer=open_checkpointer(db), progress=show, escalation=escalation,
                                    on_interrupt=stopping)
        except KeyboardInterrupt:
            fail("interrupted: running tasks stopped before their next model call; "
                 "the same command continues them from their checkpoints", code=130)
    every = [*done.values(), *results]  # a re-run reports (and exits on) the results it skipped too
    _summary(every, [tier.name for tier in pool.tiers], budget, attempts=attempts > 1)
    console.print(f"predictions: {output.predictions}\nresults: {output.results}\ntraces: {output.traces}/"
                  f"  (or agentroute trace RUN_ID)", highlight=False)
    failed = [result.instance_id for result in every if result.outcome == "error"]
    if failed:
        fail(f"{len(failed)} task{'s' if len(failed) > 1 else ''} ended in error ({', '.join(failed[:5])}"
             f"{', …' if len(failed) > 5 else ''}); the reasons are in {output.results}", code=1)
