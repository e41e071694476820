"""Task-level escalation in `agentroute run --attempts N`: the product's driver of EscalationPolicy.

The policy is the one `agentroute bench replay` measures (agentroute/escalation/policy.py). Here
its "models" are the pool's tier names, priced by their primary model's input + output price per
1M tokens, and the model it picks for an attempt is that attempt's tier FLOOR: the step router
still routes every call, never below the floor. An attempt's feedback is 1.0 when its check
verified it, else 0.0; it "applies" when it left a non-empty patch.

Evidence persists across runs in the experience memory's `escalation` collection
(MemoryEvidence) when a memory is used, otherwise in in-process group statistics. The policy reads
two things from it: per-tier success and cost on similar tasks (kNN), and how a tier fared on past
tasks after cheaper tiers failed (the conditional failure counts, `FailureStats`). The second is
kept in process, so `Escalation.from_memory` rebuilds it from every past task in the collection
when a run starts: without that each run would forget which failures were never rescued, and the
policy could not stop on their evidence. Each task gets its own policy object (its Thompson draws
are per task) over the shared evidence; their calls are serialised, so tasks run by several
workers never interleave inside the policy.

Two rules of the driver on top of the policy: the first attempt always runs (at the policy's
floor, or with no floor when it declines), and each further attempt's floor is stronger than
every floor before it. The policy itself (`EscalationPolicy(..., rising=True)`) only weighs such attempts, its lookahead
included: were it to weigh a cheap retry the driver would then raise to a dear tier, a retry
worth its small price would turn into an attempt that is not, and the policy would never stop.
When it stops, `FloorChoice.stop_reason` says why, with its estimates (`stop_reason` in
results.jsonl).
"""

from __future__ import annotations

import threading
import zlib
from collections import defaultdict
from typing import TYPE_CHECKING, NamedTuple

from agentroute.escalation.evidence import EvidenceSource, GroupEvidence
from agentroute.escalation.policy import CascadeSettings, EscalationPolicy
from agentroute.escalation.protocol import Attempt, TaskView
from agentroute.pool import Pool
from agentroute.swe.outputs import AttemptResult
from agentroute.swe.task import SweTask

if TYPE_CHECKING:
    from agentroute.memory.records import Experience
    from agentroute.memory.store import ExperienceMemory

COLLECTION = "escalation"
POLICY_NAME = "agentroute"


def tier_prices(pool: Pool) -> dict[str, float]:
    """Each tier's price for the policy: its primary model's input + output USD per 1M tokens."""
    return {tier.name: tier.primary.price.input + tier.primary.price.output for tier in pool.tiers}


def task_view(task: SweTask, suite: str) -> TaskView:
    """What the policy may see of a task: its id, repository (the group) and issue text."""
    repo = task.repo or "local"
    return TaskView(task_id=task.instance_id, suite=suite, dimension="swe", source=repo, group=repo,
                    text=task.problem_statement)


def as_attempt(result: AttemptResult, patch: str) -> Attempt:
    """An attempt as the policy sees it: its floor, cost and verdict."""
    return Attempt(model=result.tier_floor, cost_usd=result.spent_usd, feedback=1.0 if result.verdict == "verified" else 0.0,
                   applies=bool(patch.strip()))


def past_tasks(memory: ExperienceMemory) -> list[tuple[str, list[Attempt]]]:
    """Every task recorded in an escalation collection, in the order they were recorded: its group
    and its attempts in the order they ran (feedback: the attempt's recorded success; whether its
    patch applied is not recorded, and the failure counts do not read it)."""
    runs: dict[str, list[Experience]] = defaultdict(list)
    for experience in memory.experiences():  # oldest first
        runs[experience.run_id].append(experience)
    return [(records[0].group, [Attempt(model=record.model, cost_usd=record.cost_usd, feedback=record.success or 0.0, applies=True)
                                for record in sorted(records, key=lambda record: record.step)])
            for records in runs.values()]


class FloorChoice(NamedTuple):
    """The next attempt's tier floor, or None and why the task stops there."""

    floor: str | None
    stop_reason: str = ""


class Escalation:
    """Hands out per-task policies over one evidence source and chooses attempts' tier floors."""

    def __init__(self, pool: Pool, evidence: EvidenceSource | None = None, *, suite: str = "swe",
                 settings: CascadeSettings | None = None) -> None:
        self.pool = pool
        self.evidence = evidence or GroupEvidence()
        self.suite = suite
        self.settings = settings or CascadeSettings()
        self.prices = tier_prices(pool)
        self._lock = threading.Lock()

    @classmethod
    def from_memory(cls, pool: Pool, memory: ExperienceMemory, *, suite: str, run_prefix: str) -> Escalation:
        """Evidence from a memory's escalation collection, with the failure counts of its past tasks."""
        from agentroute.escalation.memory_evidence import MemoryEvidence

        escalation = cls(pool, MemoryEvidence(memory, run_prefix=run_prefix), suite=suite)
        accept = escalation.settings.accept
        for group, attempts in past_tasks(memory):
            outcomes = [attempt.feedback for attempt in attempts]
            escalation.evidence.failures.record(group, attempts, outcomes, [outcome < accept for outcome in outcomes])
        return escalation

    def policy_for(self, task: SweTask) -> EscalationPolicy:
        """A fresh policy for one task, seeded by its id (a re-run draws the same)."""
        return EscalationPolicy([tier.name for tier in self.pool.tiers], self.prices, self.evidence, settings=self.settings,
                                seed=zlib.crc32(task.instance_id.encode()), name=POLICY_NAME, rising=True)

    def next_floor(self, policy: EscalationPolicy, view: TaskView, attempts: list[Attempt], remaining_usd: float) -> FloorChoice:
        """The floor of the next attempt, or why the task stops (see the module's two rules)."""
        with self._lock:
            choice = policy.next_model(view, attempts, remaining_usd)
            if choice is not None or not attempts:
                return FloorChoice(choice or self.pool.tiers[0].name)
            return FloorChoice(None, self._why_stopped(policy, view, attempts, remaining_usd))

    def _why_stopped(self, policy: EscalationPolicy, view: TaskView, attempts: list[Attempt], remaining_usd: float) -> str:
        """Why the policy declined another attempt after a failure: no stronger tier, its attempt
        limit, or the estimates (chance, expected cost) of the stronger tiers, none affordable or
        none worth it."""
        tried = {attempt.model for attempt in attempts}
        stronger = policy.stronger(tried)
        if not stronger:
            return f"no tier above {max(tried, key=lambda tier: self.pool.tier_named(tier).index)} left to try"
        if len(attempts) >= self.settings.max_attempts:
            return f"policy: its limit of {self.settings.max_attempts} attempts"
        failed = tuple(attempt.model for attempt in attempts if attempt.feedback < self.settings.accept)
        estimates = {tier: policy.estimate(view, tier, failed) for tier in stronger}
        shown = ", ".join(f"{tier}: chance {chance:.3f}, cost ${cost:.4f}" for tier, (chance, cost) in estimates.items())
        if all(cost > remaining_usd for _, cost in estimates.values()):
            return f"policy: no stronger tier's expected cost fits the ${remaining_usd:.4f} left ({shown})"
        return f"policy: no further attempt has positive expected value ({shown})"

    def learn(self, policy: EscalationPolicy, view: TaskView, attempts: list[Attempt]) -> None:
        """The task is over: the policy records its attempts in the evidence."""
        if attempts:
            with self._lock:
                policy.learn(view, attempts)
