"""Run SWE-style tasks through the routed agent: one budget, router and trace per task, N at a time.

Everything a run produces lands in its output directory as each task ends, one atomic record per
task (agentroute/swe/outputs.py): `predictions.jsonl` in SWE-bench's format, `results.jsonl`
(outcome, spend, steps, tier mix, evaluation), and `traces/<instance_id>.jsonl` (the decision
trace; also in the trace store under the run id). Re-running into the same directory skips the
finished tasks and continues an interrupted task from its SQLite checkpoint under the same run
id, so its spend (restored from the trace store) stays under one budget.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentroute.app import AgentRoute
from agentroute.config_files import error_line
from agentroute.policies import DEFAULT_POLICY
from agentroute.pool import Pool
from agentroute.router_settings import RouterSettings
from agentroute.swe.agent import AgentSettings, TaskInterrupted, build_agent
from agentroute.swe.outputs import Outcome, OutputDir, RunIdentity, TaskResult
from agentroute.swe.task import SweTask
from agentroute.swe.workspace import Workspace
from agentroute.trace import TraceRecord, TraceStore


class RunSettings(BaseModel):
    """How a batch of tasks is run."""

    budget_usd: float = Field(gt=0)
    policy: str = DEFAULT_POLICY
    workers: int = Field(default=1, ge=1)
    use_seed: bool = True
    agent: AgentSettings = Field(default_factory=AgentSettings)
    router: RouterSettings = Field(default_factory=RouterSettings)

    @property
    def model_name(self) -> str:
        """SWE-bench's model_name_or_path for these predictions."""
        return f"agentroute-{self.policy.replace(':', '-')}"

    def identity(self, pool: Pool) -> RunIdentity:
        """What a re-run into the same output directory must repeat (with a fresh batch id)."""
        return RunIdentity(batch=uuid.uuid4().hex[:8], budget_usd=self.budget_usd, policy=self.policy,
                           pool=pool.source, max_steps=self.agent.max_steps)


class StepUpdate(BaseModel):
    """Progress of one task, reported after each agent step."""

    instance_id: str
    step: int
    tier: str | None
    spent_usd: float
    done: bool = False
    outcome: Outcome | None = None


Progress = Callable[[StepUpdate], None]


def _tier_calls(records: list[TraceRecord]) -> dict[str, int]:
    """Billed model calls per tier name."""
    return dict(Counter(record.tier_name or "?" for record in records if record.kind == "model" and record.outcome.startswith("ok")))


def _starting_point(graph: Any, config: dict[str, Any], task: SweTask) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(input to stream, final state) for a run: a fresh start, or the continuation of a run the
    process died in. A run that had ended returns its final state and nothing to stream."""
    fresh = {"task": task.model_dump(mode="json")}
    saved = graph.get_state(config) if graph.checkpointer is not None else None
    if saved is None or not saved.values:
        return fresh, None
    if not saved.next:
        return None, dict(saved.values)  # it had ended; only its outputs were not written
    if Path(saved.values.get("workspace", "")).is_dir():
        return None, None  # continue from the last checkpoint, in the same workspace
    config["configurable"]["thread_id"] += f"-{uuid.uuid4().hex[:6]}"  # workspace gone: new transcript, same run and budget
    return fresh, None


def run_task(task: SweTask, pool: Pool, settings: RunSettings, *, store: TraceStore, memory: Any = None,
             checkpointer: Any = None, batch: str = "", progress: Progress | None = None,
             stop: threading.Event | None = None) -> TaskResult:
    """Run the agent on one task under its own budget; never raises for the task's own failure.
    Raises TaskInterrupted (leaving the workspace for a resume) once `stop` is set."""
    run_id = f"swe-{batch or uuid.uuid4().hex[:8]}-{task.instance_id}"
    route = AgentRoute(pool=pool, policy=settings.policy, budget_usd=settings.budget_usd, store=store,
                       settings=settings.router, memory=memory, run_id=run_id, use_seed=settings.use_seed,
                       task={"instance_id": task.instance_id, "repo": task.repo, "max_steps": settings.agent.max_steps})
    router = route.router(run_id)  # an interrupted run gets its spend back from the trace store
    graph = build_agent(route, settings.agent, checkpointer=checkpointer)
    config: dict[str, Any] = {"configurable": {"thread_id": run_id, "run_id": run_id, "stop": stop}}
    start, ended_state = _starting_point(graph, config, task)
    state: dict[str, Any] = ended_state or {}
    started = time.perf_counter()
    error = None
    try:
        # "sync": each step's checkpoint is on disk before the next starts (LangGraph fails if given without a checkpointer)
        durability = {"durability": "sync"} if checkpointer is not None else {}
        updates = () if ended_state else graph.stream(start, config, stream_mode="values", **durability)
        for update in updates:
            state = update
            if progress is not None:
                last = next((record.tier_name for record in reversed(router.records) if record.kind == "model"), None)
                progress(StepUpdate(instance_id=task.instance_id, step=state.get("steps", 0), tier=last,
                                    spent_usd=router.ledger.snapshot().spent_usd))
    except TaskInterrupted:
        raise
    except Exception as failure:  # a crash of the agent itself (bad repo, git failure…) ends this task only
        error = error_line(failure)
        router.finish("error")
        if state.get("workspace") and not settings.agent.keep_workspace:
            Workspace(Path(state["workspace"])).remove()
    budget = router.ledger.snapshot()
    result = TaskResult(
        instance_id=task.instance_id, run_id=run_id, outcome=state.get("outcome") or "error", spent_usd=budget.spent_usd,
        cap_usd=budget.cap_usd, steps=state.get("steps", 0), tier_calls=_tier_calls(router.records),
        seconds=round(time.perf_counter() - started, 3), patch=state.get("patch", ""),
        error=error or state.get("error"), evaluation=state.get("evaluation"),
        workspace=state.get("workspace") if settings.agent.keep_workspace else None,
    )
    if progress is not None:
        progress(StepUpdate(instance_id=task.instance_id, step=result.steps, tier=None, spent_usd=result.spent_usd,
                            done=True, outcome=result.outcome))
    return result


def run_tasks(tasks: list[SweTask], pool: Pool, settings: RunSettings, out: OutputDir, *, store: TraceStore,
              memory: Any = None, checkpointer: Any = None, progress: Progress | None = None,
              on_interrupt: Callable[[], None] | None = None) -> list[TaskResult]:
    """Run every task not already in the output directory, `settings.workers` at a time.
    `on_interrupt` is called on Ctrl-C once running tasks have been told to stop (their calls in
    flight still finish before the interrupt is re-raised)."""
    stop = threading.Event()

    def one(task: SweTask) -> TaskResult:
        result = run_task(task, pool, settings, store=store, memory=memory, checkpointer=checkpointer,
                          batch=out.batch, progress=progress, stop=stop)
        out.write(result, store)
        return result

    with ThreadPoolExecutor(max_workers=settings.workers) as executor:
        futures = [executor.submit(one, task) for task in tasks]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C: queued tasks are dropped, running ones stop before their next call
            stop.set()
            for future in futures:
                future.cancel()
            if on_interrupt is not None:
                on_interrupt()
            raise
