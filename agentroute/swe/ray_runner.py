"""Run a suite's tasks on a Ray cluster: one Ray task per SWE task, results merged as they finish.

Ray does the scheduling and the retries: a task whose worker dies is run again on another worker
(`max_retries`), under the same run id, so it resumes from its checkpoint with its spend restored
from the trace store — exactly as a re-run of `agentroute run` does. The workspace is created on
the worker; the worker reads the trace store, checkpoints and experience memory from the places
the driver names (absolute paths, so a local cluster shares them; on many machines, a shared
disk, or the central store and a Chroma server — see docs/deployment.md). The driver alone writes
the output directory: each finished task's record and its decision trace, as the task finishes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agentroute.errors import ConfigError
from agentroute.home import checkpoint_path
from agentroute.pool import Pool
from agentroute.swe.outputs import OutputDir, TaskResult
from agentroute.swe.runner import Progress, RunSettings, StepUpdate, run_task
from agentroute.swe.task import SweTask
from agentroute.trace import TraceRecord, TraceStore

LOCAL = "local"
# no usage report (offline), no metrics agent, and no notice about GPU variables on CPU-only tasks
QUIET_RAY = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_enable_metrics_collection": "0", "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0"}


class WorkerPlaces(BaseModel):
    """Where a worker keeps what outlives its process: traces and budget ledgers, checkpoints, the
    experience memory. `db` (the central store) holds the first two for every machine at once."""

    store: str
    db: str | None = None
    checkpoints: Path | None = None
    memory_path: Path | None = None
    memory_url: str | None = None
    use_memory: bool = True

    @classmethod
    def of(cls, store: TraceStore, *, db: str | None, memory_path: Path | None, memory_url: str | None,
           use_memory: bool) -> WorkerPlaces:
        """The driver's own places, as absolute paths (or the central store's URL)."""
        return cls(store=db or str(Path(store.path).resolve()), db=db,
                   checkpoints=None if db else checkpoint_path().resolve(),
                   memory_path=memory_path, memory_url=memory_url, use_memory=use_memory)


class RayTaskOutcome(BaseModel):
    """What a worker sends back: the task's result and its decision trace."""

    result: TaskResult
    trace: list[TraceRecord]


def run_on_worker(task: SweTask, pool: Pool, settings: RunSettings, places: WorkerPlaces, batch: str) -> RayTaskOutcome:
    """The body of one Ray task: run the SWE task here, under its run id (so a retry resumes it)."""
    from agentroute.store.checkpoints import open_checkpointer, sqlite_checkpointer

    memory = None
    if places.use_memory:
        from agentroute.memory.store import ExperienceMemory

        memory = ExperienceMemory(places.memory_path, url=places.memory_url)
    store = TraceStore(places.store)
    try:
        result = run_task(task, pool, settings, store=store, memory=memory,
                          checkpointer=open_checkpointer(places.db) if places.db else sqlite_checkpointer(places.checkpoints),
                          batch=batch)
        return RayTaskOutcome(result=result, trace=store.records_of(result.run_ids()))
    finally:
        store.close()


def connect(address: str) -> Any:
    """Join the Ray cluster at `address` (`local` starts one on this machine); Ray's module."""
    for name, value in QUIET_RAY.items():
        os.environ.setdefault(name, value)
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'agentroute[ray]'") from None
    try:
        ray.init(address=None if address == LOCAL else address, ignore_reinit_error=True,
                 include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as error:
        raise ConfigError(f"cannot join the Ray cluster at {address}: {str(error).splitlines()[0]}") from None
    return ray


def run_tasks_on_ray(tasks: list[SweTask], pool: Pool, settings: RunSettings, out: OutputDir, *, address: str,
                     places: WorkerPlaces, retries: int = 3, progress: Progress | None = None) -> list[TaskResult]:
    """Submit every task to the cluster; write each result and trace to `out` as it finishes."""
    ray = connect(address)
    remote = ray.remote(max_retries=retries, num_cpus=1)(run_on_worker)
    pending = {remote.remote(task, pool, settings, places, out.batch): task for task in tasks}
    results = []
    try:
        while pending:
            [finished], _ = ray.wait(list(pending), num_returns=1)
            task = pending.pop(finished)
            outcome: RayTaskOutcome = ray.get(finished)
            out.write(outcome.result, outcome.trace)
            results.append(outcome.result)
            if progress is not None:
                progress(StepUpdate(instance_id=task.instance_id, step=outcome.result.steps, tier=None,
                                    spent_usd=outcome.result.spent_usd, done=True, outcome=outcome.result.outcome))
    except BaseException:  # Ctrl-C or a task Ray gave up on: stop the rest, keep what was written
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    return sorted(results, key=lambda result: result.instance_id)
