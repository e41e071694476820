"""The static-track metrics, with the published arithmetic (SPEC.md).

N = all rows; a row whose router errored counts as a miss everywhere.

- ROWPASS = 100·#{pred ≥ gold}/N, ROWEXACT = 100·#{pred = gold}/N.
- A trajectory passes iff every row has pred ≥ gold and none errored; TRAJPASS = 100·(rows of
  passing trajectories)/N.
- COSTSAVE = Σ_b (n_b/N)·100·S_b/D_b over benchmarks b with D_b > 0, where D_b = Σ c(high) and
  S_b adds c(high) − c(pred) for each row of a passing trajectory and subtracts c(pred) for each
  row of a failing one (the router's calls were paid, then an always-high rerun). Errored rows
  are left out of D_b and S_b, as in the published scorer. Always-high scores exactly 0.
- COMBINED = mean(ROWPASS, ROWEXACT, TRAJPASS, COSTSAVE); under-routing = 100 − ROWPASS;
  over-routing = ROWPASS − ROWEXACT.

A metric that cannot be computed (no rows of a benchmark were scored) is NaN, written as null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel

from agentroute.twin.costs import CacheChain, cost_usd
from agentroute.twin.records import HIGH, TIERS, Bank
from agentroute.twin.tokens import RowTokens


class BenchmarkScores(BaseModel):
    """The metrics restricted to one benchmark's rows, and its share of COSTSAVE."""

    rows: int
    errors: int
    rowpass: float
    rowexact: float
    trajpass: float
    costsave: float
    weight: float
    always_high_usd: float
    saved_usd: float
    failed_trajectories: int


class Scores(BaseModel):
    """One router's static-track result."""

    router: str
    rows: int
    errors: int
    first_error: str | None = None
    rowpass: float
    rowexact: float
    trajpass: float
    costsave: float
    combined: float
    under_routing: float
    over_routing: float
    trajectories: int
    passed_trajectories: int
    router_usd: float
    gold_usd: float
    always_high_usd: float
    tier_counts: dict[str, int]
    by_benchmark: dict[str, BenchmarkScores]


class _Tally:
    def __init__(self) -> None:
        self.rows = self.errors = self.passes = self.exact = self.passing_rows = self.failed = 0
        self.always_high = self.saved = self.router = self.gold = 0.0


def _percent(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else math.nan


def score(
    bank: Bank,
    tokens: Sequence[RowTokens],
    picks: Sequence[int | None],
    router: str,
    errors: Sequence[str | None] = (),
) -> Scores:
    """Score a router's picks (tier ids aligned with `bank.rows`; None = the router errored)."""
    if len(picks) != len(bank.rows) or len(tokens) != len(bank.rows):
        raise ValueError(f"{len(picks)} picks and {len(tokens)} token facts for {len(bank.rows)} rows")
    tallies = {benchmark: _Tally() for benchmark in bank.benchmarks}
    passed_trajectories = 0
    for trajectory in bank.trajectories:
        golds = [bank.rows[index].gold for index in trajectory]
        preds = [picks[index] for index in trajectory]
        passed = all(pred is not None and pred >= gold for pred, gold in zip(preds, golds))
        tally = tallies[bank.rows[trajectory[0]].benchmark]
        tally.rows += len(trajectory)
        tally.errors += sum(pred is None for pred in preds)
        tally.passes += sum(pred is not None and pred >= gold for pred, gold in zip(preds, golds))
        tally.exact += sum(pred == gold for pred, gold in zip(preds, golds))
        if passed:
            passed_trajectories += 1
            tally.passing_rows += len(trajectory)
        else:
            tally.failed += 1
        high_path, gold_path, router_path = CacheChain(), CacheChain(), CacheChain()
        for position, index in enumerate(trajectory):
            pred = preds[position]
            if pred is None:
                continue
            facts = tokens[index]
            before = position - 1
            high = cost_usd(high_path.bill(facts, HIGH, HIGH if position else None), HIGH)
            gold = cost_usd(gold_path.bill(facts, golds[position], golds[before] if position else None), golds[position])
            paid = cost_usd(router_path.bill(facts, pred, preds[before] if position else None), pred)
            tally.always_high += high
            tally.gold += gold
            tally.router += paid
            tally.saved += high - paid if passed else -paid
    return _summarise(bank, tallies, picks, router, errors, passed_trajectories)


def _summarise(
    bank: Bank,
    tallies: dict[str, _Tally],
    picks: Sequence[int | None],
    router: str,
    errors: Sequence[str | None],
    passed_trajectories: int,
) -> Scores:
    total = len(bank.rows)
    by_benchmark: dict[str, BenchmarkScores] = {}
    costsave, any_costsave = 0.0, False
    for benchmark, tally in tallies.items():
        weight = tally.rows / total
        saving = _percent(tally.saved, tally.always_high) if tally.always_high > 0 else math.nan
        if not math.isnan(saving):
            costsave += weight * saving
            any_costsave = True
        by_benchmark[benchmark] = BenchmarkScores(
            rows=tally.rows, errors=tally.errors, rowpass=_percent(tally.passes, tally.rows),
            rowexact=_percent(tally.exact, tally.rows), trajpass=_percent(tally.passing_rows, tally.rows),
            costsave=saving, weight=weight, always_high_usd=tally.always_high, saved_usd=tally.saved,
            failed_trajectories=tally.failed,
        )
    rowpass = _percent(sum(t.passes for t in tallies.values()), total)
    rowexact = _percent(sum(t.exact for t in tallies.values()), total)
    trajpass = _percent(sum(t.passing_rows for t in tallies.values()), total)
    costsave = costsave if any_costsave else math.nan
    components = (rowpass, rowexact, trajpass, costsave)
    return Scores(
        router=router,
        rows=total,
        errors=sum(pick is None for pick in picks),
        first_error=next((error for error in errors if error), None),
        rowpass=rowpass,
        rowexact=rowexact,
        trajpass=trajpass,
        costsave=costsave,
        combined=sum(components) / len(components),
        under_routing=100.0 - rowpass,
        over_routing=rowpass - rowexact,
        trajectories=len(bank.trajectories),
        passed_trajectories=passed_trajectories,
        router_usd=sum(t.router for t in tallies.values()),
        gold_usd=sum(t.gold for t in tallies.values()),
        always_high_usd=sum(t.always_high for t in tallies.values()),
        tier_counts={name: sum(pick == tier for pick in picks) for tier, name in enumerate(TIERS)},
        by_benchmark=by_benchmark,
    )
