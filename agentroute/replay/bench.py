"""Run every replay policy over the suites and feedback modes, several task orders each."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

from pydantic import BaseModel

from agentroute.replay.baselines import AlwaysModel, ComplexityPeer, LinUCB, Oracle, ReleasedACRouter
from agentroute.replay.data import ReplayDataset, Suite, load_prices, load_suite
from agentroute.escalation.evidence import EvidenceSource, GroupEvidence
from agentroute.escalation.memory_evidence import memory_factory
from agentroute.replay.harness import PolicyResult, StreamResult, order_seeds, run_stream, summarise
from agentroute.escalation.policy import EscalationPolicy
from agentroute.escalation.protocol import FeedbackMode, TaskPolicy

PolicyFactory = Callable[[int], TaskPolicy]
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
        dataset.models, prices, memory(suite, mode, seed), seed=seed, name="agentroute", feedback=mode), True)
    factories["agentroute (group stats)"] = (lambda seed: EscalationPolicy(
        dataset.models, prices, GroupEvidence(), seed=seed, name="agentroute (group stats)", feedback=mode), True)
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
                      budget_usd=settings.budget_usd if job.budgeted else float("inf"), order_seed=job.seed)


def plan_jobs(settings: ReplaySettings) -> list[Job]:
    """Every policy × suite × mode × order, in report order."""
    prices = _prices(settings.data_dir)
    jobs = []
    for suite in settings.suites:
        dataset = _dataset(suite, settings.data_dir)
        for mode in modes_for(suite, settings.modes):
            for name, (_, budgeted) in policy_factories(dataset, prices, mode, memory_factory(settings.memory_dir)).items():
                jobs.extend(Job(suite=suite, mode=mode, policy=name, budgeted=budgeted, seed=seed, settings=settings)
                            for seed in order_seeds(settings.seed, settings.orders))
    return jobs


def run_replay(settings: ReplaySettings, *, progress: Callable[[int], Callable[[int], None]] | None = None) -> list[PolicyResult]:
    """Run every job (on `settings.workers` processes) and summarise each policy over its orders.

    `progress(total_tasks)` may return a callback that is given the tasks each finished job played."""
    jobs = plan_jobs(settings)
    advance = progress(sum(len(_dataset(job.suite, settings.data_dir).tasks) for job in jobs)) if progress else None
    streams: dict[int, StreamResult] = {}
    if settings.workers <= 1:
        for index, job in enumerate(jobs):
            streams[index] = run_job(job)
            if advance:
                advance(streams[index].tasks)
    else:
        with ProcessPoolExecutor(max_workers=settings.workers, mp_context=get_context("fork")) as pool:
            futures = {pool.submit(run_job, job): index for index, job in enumerate(jobs)}
            for future in as_completed(futures):
                streams[futures[future]] = future.result()
                if advance:
                    advance(streams[futures[future]].tasks)
    results = []
    for start in range(0, len(jobs), settings.orders):
        results.append(summarise([streams[i] for i in range(start, start + settings.orders)],
                                 settings.budget_usd if jobs[start].budgeted else None))
    return results
