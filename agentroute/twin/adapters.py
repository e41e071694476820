"""Routers for the static track: anything that maps a row to a tier id (0 = low … 3 = high).

- `FunctionRouter` wraps a plain `fn(row) -> tier_id`.
- `PolicyRouter` scores an agentroute `Policy` the way it runs live: one core `Router` per
  trajectory (run id = instance id, task = the dynamic track's run config), so the policy sees
  the exact `StepContext` the live router builds from the row's messages and functions, with
  spend so far, previous tier and per-model last use filled in by the earlier steps. Each step is
  "called" without a network: the call reports the usage the cost model gives the chosen tier
  (cache read/write along the policy's own path, estimated output), priced at the locked pool's
  prices by the router's own ledger. The routed tier is the one the router settled on, so a
  budget that forces a cheaper tier counts as routing, and BudgetExhausted counts as an error.

`route_bank` runs a router over a bank trajectory by trajectory, steps in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from pydantic import BaseModel

from agentroute.errors import AgentRouteError
from agentroute.policies import make_policy
from agentroute.policies.base import Policy
from agentroute.pool import Pool
from agentroute.router import Router
from agentroute.twin.costs import CacheChain
from agentroute.twin.locked import ttl_seconds
from agentroute.twin.records import HIGH, Bank, TwinRow
from agentroute.twin.tokens import RowTokens

DEFAULT_BUDGET_USD = 3.0
DEFAULT_MAX_STEPS = 250


class TwinRouter(Protocol):
    """A static-track router: a name and one method from a row to a tier id."""

    name: str

    def route(self, row: TwinRow) -> int:
        """The tier id (0 = low … 3 = high) for this row."""
        ...


class Routed(BaseModel):
    """A router's picks over a bank, aligned with its rows; None where the router errored."""

    router: str
    picks: list[int | None]
    errors: list[str | None]


class FunctionRouter:
    """Any `fn(row) -> tier_id` as a router."""

    def __init__(self, name: str, fn: Callable[[TwinRow], int]) -> None:
        self.name = name
        self._fn = fn

    def route(self, row: TwinRow) -> int:
        """Whatever the function says."""
        return self._fn(row)


class PolicyRouter:
    """An agentroute policy, run through the core Router one trajectory at a time."""

    def __init__(
        self,
        name: str,
        make: Callable[[], Policy],
        pool: Pool,
        tokens: Mapping[str, RowTokens],
        *,
        budget_usd: float = DEFAULT_BUDGET_USD,
        max_steps: int = DEFAULT_MAX_STEPS,
    ) -> None:
        if pool.size != HIGH + 1:
            raise AgentRouteError(f"the static track has {HIGH + 1} tiers; pool {pool.source} has {pool.size}")
        self.name = name
        self.pool = pool
        self._make = make
        self._tokens = tokens
        self._budget_usd = budget_usd
        self._max_steps = max_steps
        self._runs: dict[str, _Run] = {}

    @classmethod
    def named(cls, policy: str, pool: Pool, tokens: Mapping[str, RowTokens], *, seed: int = 0,
              budget_usd: float = DEFAULT_BUDGET_USD) -> PolicyRouter:
        """A router for a policy name of the registry (`budget-aware`, `cascade`, `always:low`, …)."""
        make_policy(policy, pool, seed=seed)  # fail now on an unknown name, not on every row
        return cls(policy, lambda: make_policy(policy, pool, seed=seed), pool, tokens, budget_usd=budget_usd)

    def _run(self, row: TwinRow) -> _Run:
        """This row's trajectory in flight (a fresh core Router at step 1)."""
        if row.step_index == 1 or row.trajectory not in self._runs:
            task = {
                "instance_id": row.trajectory, "benchmark": row.benchmark, "max_steps": self._max_steps,
                "budget_usd": self._budget_usd, "wallclock_ttl_sec": ttl_seconds(),
            }
            router = Router(self.pool, self._make(), budget_usd=self._budget_usd, run_id=row.trajectory, task=task)
            self._runs[row.trajectory] = _Run(router)
        return self._runs[row.trajectory]

    def route(self, row: TwinRow) -> int:
        """Let the core Router route this step; the tier it settled on."""
        run = self._run(row)
        facts = self._tokens[row.id]
        previous, run.previous = run.previous, None
        try:
            model = run.router.call(
                row.chat,
                invoke=lambda model, _max_tokens: model,
                usage_of=lambda model: run.chain.bill(facts, model.tier, previous),
                tools=row.tools,
            )
        finally:
            if row.step_index == row.total_steps:
                del self._runs[row.trajectory]
        run.previous = model.tier
        return model.tier


class _Run:
    """One trajectory in flight: its core Router, its cache chain and the tier of its last step."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.chain = CacheChain()
        self.previous: int | None = None


def route_bank(router: TwinRouter, bank: Bank) -> Routed:
    """Run a router over every row, trajectory by trajectory; a failure is recorded per row."""
    picks: list[int | None] = [None] * len(bank.rows)
    errors: list[str | None] = [None] * len(bank.rows)
    for trajectory in bank.trajectories:
        for index in trajectory:
            row = bank.rows[index]
            try:
                tier = router.route(row)
            except Exception as error:  # a router's failure on one row is a miss, as in the published harness
                errors[index] = f"{row.id}: {type(error).__name__}: {_first_line(error)}"
                continue
            if isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier <= HIGH:
                errors[index] = f"{row.id}: router returned {tier!r}, not a tier id 0..{HIGH}"
                continue
            picks[index] = tier
    return Routed(router=router.name, picks=picks, errors=errors)


def tokens_by_id(bank: Bank, tokens: Sequence[RowTokens]) -> dict[str, RowTokens]:
    """Token facts keyed by row id, for routers that need them."""
    return {row.id: facts for row, facts in zip(bank.rows, tokens)}


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else ""

