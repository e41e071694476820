"""Run SWE-style tasks through the routed agent: one budget per task, N tasks at a time.

A task is one or more attempts (`RunSettings.attempts`, agentroute/swe/escalation.py), each a
run of its own (router, trace, checkpoint thread, fresh workspace) whose cap is what the earlier
attempts left of the task's budget, so all of them together never spend more than it.

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

from agentroute.app import RUN_KEY, AgentRoute
from agentroute.budget import validate_cap
from agentroute.config_files import error_line
from agentroute.escalation.protocol import Attempt
from agentroute.money import usd
from agentroute.policies import DEFAULT_POLICY
from agentroute.pool import Pool
from agentroute.router_settings import RouterSettings
from agentroute.swe.agent import AgentSettings, TaskInterrupted, build_agent
from agentroute.swe.escalation import Escalation, as_attempt, task_view
from agentroute.swe.outputs import AttemptResult, Outcome, OutputDir, RunIdentity, TaskResult
from agentroute.swe.task import SweTask
from agentroute.swe.verify import Verdict, not_submitted
from agentroute.swe.workspace import Workspace
from agentroute.trace import TraceRecord, TraceStore


class RunSettings(BaseModel):
    """How a batch of tasks is run."""

    budget_usd: float = Field(gt=0)
    policy: str = DEFAULT_POLICY
    workers: int = Field(default=1, ge=1)
    use_seed: bool = True
    attempts: int = Field(default=1, ge=1)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    router: RouterSettings = Field(default_factory=RouterSettings)

    @property
    def model_name(self) -> str:
        """SWE-bench's model_name_or_path for these predictions."""
        return f"agentroute-{self.policy.replace(':', '-')}"

    def identity(self, pool: Pool) -> RunIdentity:
        """What a re-run into the same output directory must repeat (with a fresh batch id)."""
        return RunIdentity(batch=uuid.uuid4().hex[:8], budget_usd=self.budget_usd, policy=self.policy,
                           pool=pool.source, max_steps=self.agent.max_steps, attempts=self.attempts,
                           verify=self.agent.verify)


class StepUpdate(BaseModel):
    """Progress of one task, reported after each agent step."""

    instance_id: str
    attempt: int = 1
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


def run_attempt(task: SweTask, pool: Pool, settings: RunSettings, *, run_id: str, number: int, cap_usd: float,
                tier_floor: str, store: TraceStore, memory: Any = None, checkpointer: Any = None,
                progress: Progress | None = None, stop: threading.Event | None = None,
                spent_before_nanos: int = 0) -> tuple[TaskResult, int]:
    """One attempt at the task: the agent on a fresh workspace under `cap_usd`, its steps routed
    never below `tier_floor`. Returns its result (with its one AttemptResult) and its spend in
    nano-USD. Never raises for the task's own failure; raises TaskInterrupted (leaving the
    workspace for a resume) once `stop` is set. A run that already exists in the trace store keeps
    its cap and spend, and continues from its checkpoint."""
    route = AgentRoute(pool=pool, policy=settings.policy, budget_usd=cap_usd, store=store,
                       settings=settings.router, memory=memory, run_id=run_id, use_seed=settings.use_seed,
                       tier_floor=tier_floor,
                       task={"instance_id": task.instance_id, "repo": task.repo, "max_steps": settings.agent.max_steps,
                             **({"attempt": number, "tier_floor": tier_floor} if settings.attempts > 1 else {})})
    router = route.router(run_id)  # an interrupted run gets its spend back from the trace store
    graph = build_agent(route, settings.agent, checkpointer=checkpointer)
    config: dict[str, Any] = {"configurable": {"thread_id": run_id, RUN_KEY: run_id, "stop": stop}}
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
                progress(StepUpdate(instance_id=task.instance_id, attempt=number, step=state.get("steps", 0), tier=last,
                                    spent_usd=usd(spent_before_nanos + router.ledger.spent_nanos)))
    except TaskInterrupted:
        raise
    except Exception as failure:  # a crash of the agent itself (bad repo, git failure…) ends this task only
        error = error_line(failure)
        router.finish("error")
        if state.get("workspace") and not settings.agent.keep_workspace:
            Workspace(Path(state["workspace"])).remove()
    budget = router.ledger.snapshot()
    outcome = state.get("outcome") or "error"
    verdict = Verdict.model_validate(state["verdict"]) if state.get("verdict") else not_submitted(outcome)
    result = TaskResult(
        instance_id=task.instance_id, run_id=run_id, outcome=outcome, spent_usd=budget.spent_usd,
        cap_usd=budget.cap_usd, steps=state.get("steps", 0), tier_calls=_tier_calls(router.records),
        seconds=round(time.perf_counter() - started, 3), patch=state.get("patch", ""),
        error=error or state.get("error"), evaluation=state.get("evaluation"),
        workspace=state.get("workspace") if settings.agent.keep_workspace else None,
        attempts=[AttemptResult(attempt=number, run_id=run_id, tier_floor=tier_floor, outcome=outcome,
                                verdict=verdict.verdict, reason=error or verdict.reason, spent_usd=budget.spent_usd,
                                cap_usd=budget.cap_usd, steps=state.get("steps", 0))],
    )
    return result, router.ledger.spent_nanos


def attempt_run_id(first_run_id: str, number: int) -> str:
    """The run id of attempt `number`: the task's run id for the first, `<it>-a<number>` after."""
    return first_run_id if number == 1 else f"{first_run_id}-a{number}"


def combine(attempts: list[TaskResult], spent_nanos: int, cap_usd: float, stop_reason: str | None = None) -> TaskResult:
    """The task's result: the kept attempt (the verified one, else the last) with the totals of all,
    and why no further attempt ran."""
    kept = next((result for result in attempts if result.attempts[0].verdict == "verified"), attempts[-1])
    tiers: Counter[str] = Counter()
    for result in attempts:
        tiers.update(result.tier_calls)
    return kept.model_copy(update={
        "spent_usd": usd(spent_nanos), "cap_usd": cap_usd, "steps": sum(result.steps for result in attempts),
        "tier_calls": dict(tiers), "seconds": round(sum(result.seconds for result in attempts), 3),
        "attempts": [one for result in attempts for one in result.attempts], "stop_reason": stop_reason})


def run_task(task: SweTask, pool: Pool, settings: RunSettings, *, store: TraceStore, memory: Any = None,
             checkpointer: Any = None, batch: str = "", progress: Progress | None = None,
             stop: threading.Event | None = None, escalation: Escalation | None = None) -> TaskResult:
    """Run the agent on one task: up to `settings.attempts` attempts, each on a fresh workspace,
    all under the task's one budget (each attempt's cap is what the earlier ones left). After an
    attempt that was not verified, `escalation` (default: in-process group statistics) chooses
    the next attempt's tier floor, or stops. A resumed task replays its finished attempts from
    their checkpoints and keeps each existing attempt's floor. Never raises for the task's own
    failure; raises TaskInterrupted once `stop` is set."""
    first_run_id = f"swe-{batch or uuid.uuid4().hex[:8]}-{task.instance_id}"
    cap_nanos = validate_cap(settings.budget_usd)
    escalation = escalation or Escalation(pool)
    policy, view = escalation.policy_for(task), task_view(task, escalation.suite)
    results: list[TaskResult] = []
    seen: list[Attempt] = []
    spent_nanos = 0
    stop_reason = "out of attempts"
    for number in range(1, settings.attempts + 1):
        run_id = attempt_run_id(first_run_id, number)
        saved = store.find_run(run_id)
        if settings.attempts == 1:
            floor: str | None = pool.tiers[0].name
        else:
            choice = escalation.next_floor(policy, view, seen, usd(cap_nanos - spent_nanos))
            floor = saved.task.get("tier_floor", choice.floor) if saved is not None else choice.floor
        if floor is None:
            stop_reason = choice.stop_reason
            break
        if saved is None and spent_nanos >= cap_nanos:
            stop_reason = "budget spent"
            break
        cap_usd = settings.budget_usd if not spent_nanos else usd(cap_nanos - spent_nanos)
        result, spent = run_attempt(task, pool, settings, run_id=run_id, number=number, cap_usd=cap_usd,
                                    tier_floor=floor, store=store, memory=memory, checkpointer=checkpointer,
                                    progress=progress, stop=stop, spent_before_nanos=spent_nanos)
        results.append(result)
        spent_nanos += spent
        seen.append(as_attempt(result.attempts[0], result.patch))
        if result.attempts[0].verdict == "verified" or result.outcome == "error":
            stop_reason = "verified" if result.attempts[0].verdict == "verified" else "error"
            break
    if settings.attempts > 1:
        escalation.learn(policy, view, seen)
    task_result = combine(results, spent_nanos, settings.budget_usd, stop_reason if settings.attempts > 1 else None)
    if progress is not None:
        progress(StepUpdate(instance_id=task.instance_id, attempt=len(results), step=task_result.steps, tier=None,
                            spent_usd=task_result.spent_usd, done=True, outcome=task_result.outcome))
    return task_result


def run_tasks(tasks: list[SweTask], pool: Pool, settings: RunSettings, out: OutputDir, *, store: TraceStore,
              memory: Any = None, checkpointer: Any = None, progress: Progress | None = None,
              escalation: Escalation | None = None, on_interrupt: Callable[[], None] | None = None) -> list[TaskResult]:
    """Run every task not already in the output directory, `settings.workers` at a time; with
    `settings.attempts` > 1 one `escalation` (default: in-process group statistics) serves them all.
    `on_interrupt` is called on Ctrl-C once running tasks have been told to stop (their calls in
    flight still finish before the interrupt is re-raised)."""
    stop = threading.Event()
    escalation = escalation or Escalation(pool)

    def one(task: SweTask) -> TaskResult:
        result = run_task(task, pool, settings, store=store, memory=memory, checkpointer=checkpointer,
                          batch=out.batch, progress=progress, stop=stop, escalation=escalation)
        out.write(result, store.records_of(result.run_ids()))
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
