"""Task-level escalation in `agentroute run --attempts N`: the product's driver of EscalationPolicy.

The policy is the one `agentroute bench replay` measures (agentroute/escalation/policy.py). Here
its "models" are the pool's tier names, priced by their primary model's input + output price per
1M tokens, and the model it picks for an attempt is that attempt's tier FLOOR: the step router
still routes every call, never below the floor. An attempt's feedback is 1.0 when its check
verified it, else 0.0; it "applies" when it left a non-empty patch.

Evidence persists across runs in the experience memory's `escalation` collection
(MemoryEvidence) when a memory is used, otherwise in in-process group statistics. Each task gets
its own policy object (its Thompson draws are per task) over the shared evidence; their calls are
serialised, so tasks run by several workers never interleave inside the policy.

Two rules of the driver on top of the policy: the first attempt always runs (at the policy's
floor, or with no floor when it declines), and each further attempt's floor is stronger than
every floor before it (a weaker pick is raised to the next tier up; with no tier left, stop).
"""

from __future__ import annotations

import threading
import zlib

from agentroute.escalation.evidence import EvidenceSource, GroupEvidence
from agentroute.escalation.policy import EscalationPolicy
from agentroute.escalation.protocol import Attempt, TaskPolicy, TaskView
from agentroute.pool import Pool
from agentroute.swe.outputs import AttemptResult
from agentroute.swe.task import SweTask

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


class Escalation:
    """Hands out per-task policies over one evidence source and chooses attempts' tier floors."""

    def __init__(self, pool: Pool, evidence: EvidenceSource | None = None, *, suite: str = "swe") -> None:
        self.pool = pool
        self.evidence = evidence or GroupEvidence()
        self.suite = suite
        self.prices = tier_prices(pool)
        self._lock = threading.Lock()

    def policy_for(self, task: SweTask) -> TaskPolicy:
        """A fresh policy for one task, seeded by its id (a re-run draws the same)."""
        return EscalationPolicy([tier.name for tier in self.pool.tiers], self.prices, self.evidence,
                                seed=zlib.crc32(task.instance_id.encode()), name=POLICY_NAME)

    def next_floor(self, policy: TaskPolicy, view: TaskView, attempts: list[Attempt], remaining_usd: float) -> str | None:
        """The floor of the next attempt, or None to stop (see the module's two rules)."""
        with self._lock:
            choice = policy.next_model(view, attempts, remaining_usd)
        if not attempts:
            return choice or self.pool.tiers[0].name
        if choice is None:
            return None
        highest = max(self.pool.tier_named(attempt.model).index for attempt in attempts)
        index = max(self.pool.tier_named(choice).index, highest + 1)
        return self.pool.tiers[index].name if index < self.pool.size else None

    def learn(self, policy: TaskPolicy, view: TaskView, attempts: list[Attempt]) -> None:
        """The task is over: the policy records its attempts in the evidence."""
        if attempts:
            with self._lock:
                policy.learn(view, attempts)
