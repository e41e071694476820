"""Run every replay policy over the suites and feedback modes, several task orders each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from functools import lru_cache
from multiprocessing import get_context
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from pydantic import BaseModel

from agentroute.replay.baselines import AlwaysModel, ComplexityPeer, LinUCB, Oracle, ReleasedACRouter
from agentroute.replay.data import ReplayDataset, Suite, load_prices, load_suite
from agentroute.escalation.evidence import EvidenceSource, GroupEvidence
from agentroute.escalation.memory_evidence import memory_factory
from agentroute.replay.harness import PolicyResult, StreamResult, order_seeds, run_stream, summarise
from agentroute.replay.split import HeldOutResult, groups_of, run_held_out
from agentroute.escalation.policy import EscalationPolicy
from agentroute.escalation.protocol import FeedbackMode, TaskPolicy

PolicyFactory = Callable[[int], TaskPolicy]
Progress = Callable[[int], Callable[[int], None]]
SPLIT_POLICIES = ("agentroute", "agentroute (Chroma kNN)")
EvidenceFactory = Callable[[Suite, FeedbackMode, int], EvidenceSource]


class ReplaySettings(BaseModel):
    """What to run, and how."""

    suites: list[Suite] = ["swe", "id"]
    modes: list[FeedbackMode] = ["resolved", "apply-only"]
    budget_usd: float = 2.50
    seed: int = 0
    orders: int = 5
    data_dir: Path | None = None
    memory_dir: Path | None = None
    workers: int = 1
    policies: list[str] | None = None  # only these policies (None: every one)


class Job(BaseModel):
    """One policy on one suite, mode and task order: the unit a worker process runs."""

    suite: Suite
    mode: FeedbackMode
    policy: str
    budgeted: bool
    seed: int
    settings: ReplaySettings


def policy_factories(dataset: ReplayDataset, prices: dict[str, float], mode: FeedbackMode,
                     memory: EvidenceFactory) -> dict[str, tuple[PolicyFactory, bool]]:
    """Each policy's factory (called with the order seed) and whether the per-task budget binds it."""
    suite = dataset.suite
    factories: dict[str, tuple[PolicyFactory, bool]] = {}
    factories["agentroute"] = (lambda seed: EscalationPolicy(
        dataset.models, prices, GroupEvidence(), seed=seed, name="agentroute", feedback=mode), True)
    if suite == "swe":  # ID tasks carry no text: kNN over "dimension source" is the group statistics again
        factories["agentroute (Chroma kNN)"] = (lambda seed: EscalationPolicy(
            dataset.models, prices, memory(suite, mode, seed), seed=seed, name="agentroute (Chroma kNN)", feedback=mode), True)
    factories["acrouter-released"] = (lambda seed: ReleasedACRouter(), True)
    factories["acrouter-released (no budget)"] = (lambda seed: ReleasedACRouter(name="acrouter-released (no budget)"), False)
    for k in (1, 2, 3):
        factories[f"cascade-k{k}"] = (lambda seed, k=k: ReleasedACRouter(k, immediate=True), True)
    factories["linucb"] = (lambda seed: LinUCB(dataset.models), True)
    factories["litellm-complexity"] = (lambda seed: ComplexityPeer(prices), True)
    for model in dataset.models:
        factories[f"always-{model}"] = (lambda seed, model=model: AlwaysModel(model), True)
    factories["oracle"] = (lambda seed: Oracle(dataset), True)
    return factories


def modes_for(suite: Suite, modes: list[FeedbackMode]) -> list[FeedbackMode]:
    """ID tasks have no patch, so apply-only mode is the same as resolved there: run it once."""
    return modes if suite == "swe" else ["resolved"]


@lru_cache(maxsize=4)
def _prices(data_dir: Path | None) -> dict[str, float]:
    return load_prices(data_dir)


@lru_cache(maxsize=4)
def _dataset(suite: Suite, data_dir: Path | None) -> ReplayDataset:
    return load_suite(suite, data_dir)


def run_job(job: Job) -> StreamResult:
    """Run one job (in this process or a worker): a fresh policy over one task order."""
    settings = job.settings
    dataset = _dataset(job.suite, settings.data_dir)
    factories = policy_factories(dataset, _prices(settings.data_dir), job.mode, memory_factory(settings.memory_dir))
    factory, _ = factories[job.policy]
    return run_stream(factory(job.seed), dataset, mode=job.mode,
                      budget_usd=settings.budget_usd if job.budgeted else float("inf"), order_seed=job.seed,
                      on_task=_count_task)


def _suite_modes(settings: ReplaySettings) -> Iterator[tuple[Suite, FeedbackMode, ReplayDataset, dict[str, tuple[PolicyFactory, bool]]]]:
    """Every suite × mode to run, with the suite's dataset and the policies there (to plan jobs
    by: no policy is built)."""
    prices = _prices(settings.data_dir)
    for suite in settings.suites:
        dataset = _dataset(suite, settings.data_dir)
        for mode in modes_for(suite, settings.modes):
            yield suite, mode, dataset, policy_factories(dataset, prices, mode, memory_factory(None))


def plan_jobs(settings: ReplaySettings) -> list[Job]:
    """Every policy × suite × mode × order, in report order."""
    return [Job(suite=suite, mode=mode, policy=name, budgeted=budgeted, seed=seed, settings=settings)
            for suite, mode, _, factories in _suite_modes(settings)
            for name, (_, budgeted) in factories.items() if settings.policies is None or name in settings.policies
            for seed in order_seeds(settings.seed, settings.orders)]


class SplitJob(BaseModel):
    """One agentroute variant on one held-out group of one suite and mode, every order."""

    suite: Suite
    mode: FeedbackMode
    policy: str
    group: str
    settings: ReplaySettings


def run_split_job(job: SplitJob) -> HeldOutResult:
    """Fit on the other groups, score the held one (see split.py)."""
    settings = job.settings
    dataset = _dataset(job.suite, settings.data_dir)
    memory_dir = settings.memory_dir / f"held-{job.group}" if settings.memory_dir else None  # held groups run side by side
    factory, _ = policy_factories(dataset, _prices(settings.data_dir), job.mode, memory_factory(memory_dir))[job.policy]
    return run_held_out(factory, dataset, job.group, mode=job.mode, budget_usd=settings.budget_usd,
                        seeds=list(order_seeds(settings.seed, settings.orders)), on_task=_count_task)


def plan_split(settings: ReplaySettings) -> list[SplitJob]:
    """Every agentroute variant × suite × mode × held-out group."""
    return [SplitJob(suite=suite, mode=mode, policy=name, group=group, settings=settings)
            for suite, mode, dataset, factories in _suite_modes(settings)
            for group in groups_of(dataset)
            for name in SPLIT_POLICIES if name in factories]


def run_split(settings: ReplaySettings, *, progress: Progress | None = None) -> list[HeldOutResult]:
    """Every split job, on `settings.workers` processes; `progress(total tasks)` gets each task played."""
    jobs = plan_split(settings)
    sizes = [len(_dataset(job.suite, settings.data_dir).tasks) * settings.orders for job in jobs]
    return _run_all(jobs, run_split_job, settings.workers, progress, sizes)


_played: Synchronized | None = None  # tasks played by this worker process's jobs, shared with the parent


def _count_task() -> None:
    if _played is not None:
        with _played.get_lock():
            _played.value += 1


def _share_counter(counter: Synchronized) -> None:
    global _played
    _played = counter


def _run_all(jobs: list, run: Callable, workers: int, progress: Progress | None, sizes: list[int]) -> list:
    """Run jobs (the biggest first) here or on a process pool; results in job order. `progress(total)`
    returns a callback given the tasks played so far, counted task by task inside every job."""
    show = progress(sum(sizes)) if progress else (lambda done: None)
    context = get_context("fork")
    counter = context.Value("q", 0)
    results: dict[int, object] = {}
    _share_counter(counter)
    try:
        if workers <= 1:
            for index, job in enumerate(jobs):
                results[index] = run(job)
                show(counter.value)
            return [results[index] for index in range(len(jobs))]
        order = sorted(range(len(jobs)), key=lambda index: (-sizes[index] * _weight(jobs[index]), index))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_share_counter,
                                 initargs=(counter,)) as pool:
            futures = {pool.submit(run, jobs[index]): index for index in order}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.25)
                for future in finished:
                    results[futures[future]] = future.result()
                show(counter.value)
    finally:
        _share_counter(None)
    return [results[index] for index in range(len(jobs))]


def _weight(job: Job | SplitJob) -> int:
    """Learning policies take far longer per task than fixed ones: start them first."""
    return 10 if job.policy.startswith("agentroute") or job.policy == "linucb" else 1


def run_replay(settings: ReplaySettings, *, progress: Progress | None = None) -> list[PolicyResult]:
    """Run every job (on `settings.workers` processes) and summarise each policy over its orders.

    `progress(total tasks)` may return a callback given the tasks played so far."""
    jobs = plan_jobs(settings)
    streams = _run_all(jobs, run_job, settings.workers, progress,
                       [len(_dataset(job.suite, settings.data_dir).tasks) for job in jobs])
    return [summarise(streams[start:start + settings.orders], settings.budget_usd if jobs[start].budgeted else None)
            for start in range(0, len(jobs), settings.orders)]
