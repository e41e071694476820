"""Run SWE-style tasks through the routed agent: one budget, router and trace per task, N at a time.

Everything a run produces lands in its output directory as each task ends (appended and flushed,
so a crash loses no finished task): `predictions.jsonl` in SWE-bench's format, `results.jsonl`
(outcome, spend, steps, tier mix, evaluation), and `traces/<instance_id>.jsonl` (the decision
trace; also in the trace store under the run id). Re-running into the same directory skips the
tasks already in `results.jsonl` and continues an interrupted task from its SQLite checkpoint
under the same run id, so its spend (restored from the trace store) stays under one budget.
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from agentroute.app import AgentRoute
from agentroute.config_files import error_line
from agentroute.errors import AgentRouteError, ConfigError
from agentroute.policies import DEFAULT_POLICY
from agentroute.pool import Pool
from agentroute.router import RouterSettings
from agentroute.swe.agent import AgentSettings, TaskInterrupted, build_agent
from agentroute.swe.task import SweTask
from agentroute.swe.workspace import Workspace
from agentroute.trace import TraceRecord, TraceStore

Outcome = Literal["resolved", "unresolved", "budget_exhausted", "step_limit", "error"]


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


class TaskResult(BaseModel):
    """How one task ended and what it cost."""

    instance_id: str
    run_id: str
    outcome: Outcome
    spent_usd: float
    cap_usd: float
    steps: int
    tier_calls: dict[str, int]
    seconds: float
    patch: str = ""
    error: str | None = None
    evaluation: dict[str, Any] | None = None
    workspace: str | None = None  # kept only with AgentSettings.keep_workspace (--keep-workspaces)

    @computed_field
    @property
    def calls(self) -> int:
        """Billed model calls (all tiers)."""
        return sum(self.tier_calls.values())


class StepUpdate(BaseModel):
    """Progress of one task, reported after each agent step."""

    instance_id: str
    step: int
    tier: str | None
    spent_usd: float
    done: bool = False
    outcome: Outcome | None = None


Progress = Callable[[StepUpdate], None]


class RunIdentity(BaseModel):
    """What a re-run into the same output directory must repeat to continue its runs."""

    batch: str
    budget_usd: float
    policy: str
    pool: str
    max_steps: int


class OutputDir:
    """The run's output files, appended one finished task at a time (thread-safe).

    One process at a time: it holds an exclusive lock on the directory until `close`. Its
    `run.json` fixes the batch id (run ids are swe-<batch>-<instance_id>) and the options a
    re-run must repeat, so a continued task keeps one budget."""

    def __init__(self, path: Path, settings: RunSettings, pool: Pool) -> None:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"output directory {path} is a file")
        self.path = path
        self.traces = path / "traces"
        self.predictions = path / "predictions.jsonl"
        self.results = path / "results.jsonl"
        self._lock = threading.Lock()
        try:
            self.traces.mkdir(parents=True, exist_ok=True)
            self._held = (path / "lock").open("w")
        except OSError as error:
            raise ConfigError(f"cannot write to output directory {path}: {error.strerror}") from None
        try:
            fcntl.flock(self._held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._held.close()
            raise ConfigError(f"another agentroute run is writing to {path}; wait for it or use another --out") from None
        self.identity = self._identity(settings, pool)
        self.batch = self.identity.batch

    def _identity(self, settings: RunSettings, pool: Pool) -> RunIdentity:
        wanted = RunIdentity(batch=uuid.uuid4().hex[:8], budget_usd=settings.budget_usd, policy=settings.policy,
                             pool=pool.source, max_steps=settings.agent.max_steps)
        saved_file = self.path / "run.json"
        if not saved_file.exists():
            saved_file.write_text(wanted.model_dump_json(indent=2))
            return wanted
        try:
            saved = RunIdentity.model_validate_json(saved_file.read_text())
        except ValueError:
            raise ConfigError(f"{saved_file} is not an agentroute run file; use another --out") from None
        differ = [name for name in ("budget_usd", "policy", "pool", "max_steps") if getattr(saved, name) != getattr(wanted, name)]
        if differ:
            was = ", ".join(f"{name}={getattr(saved, name)}" for name in differ)
            raise ConfigError(f"{self.path} continues a run started with {was}; repeat those options or use another --out")
        return saved

    def close(self) -> None:
        """Release the directory."""
        self._held.close()

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finished(self) -> dict[str, TaskResult]:
        """Results already written (a corrupt line is an error: the file is never rewritten here)."""
        if not self.results.exists():
            return {}
        done = {}
        for number, line in enumerate(self.results.read_text().splitlines(), start=1):
            if line.strip():
                try:
                    result = TaskResult.model_validate_json(line)
                except ValueError:
                    raise AgentRouteError(f"{self.results}:{number}: not a task result; use another --out") from None
                done[result.instance_id] = result
        return done

    def write(self, result: TaskResult, model_name: str, store: TraceStore) -> None:
        """Append the task's prediction and result, and export its decision trace."""
        prediction = {"instance_id": result.instance_id, "model_name_or_path": model_name, "model_patch": result.patch}
        with self._lock:
            store.export_jsonl(result.run_id, self.traces / f"{result.instance_id}.jsonl")
            for path, line in ((self.predictions, json.dumps(prediction)), (self.results, result.model_dump_json())):
                with path.open("a") as handle:
                    handle.write(line + "\n")
                    handle.flush()


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
              memory: Any = None, checkpointer: Any = None, progress: Progress | None = None) -> list[TaskResult]:
    """Run every task not already in the output directory, `settings.workers` at a time."""
    stop = threading.Event()

    def one(task: SweTask) -> TaskResult:
        result = run_task(task, pool, settings, store=store, memory=memory, checkpointer=checkpointer,
                          batch=out.batch, progress=progress, stop=stop)
        out.write(result, settings.model_name, store)
        return result

    with ThreadPoolExecutor(max_workers=settings.workers) as executor:
        futures = [executor.submit(one, task) for task in tasks]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C: queued tasks are dropped, running ones stop before their next call
            stop.set()
            for future in futures:
                future.cancel()
            raise
