"""One static-track run: load the bank, count tokens once, route and score every router."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from agentroute.errors import AgentRouteError
from agentroute.policies.seed import SEED_FILE
from agentroute.twin.adapters import DEFAULT_BUDGET_USD, PolicyRouter, Routed, route_bank, tokens_by_id
from agentroute.twin.baselines import baselines
from agentroute.twin.crossval import bootstrap_interval, cross_validated
from agentroute.twin.locked import twin_pool
from agentroute.twin.predictions import load_predictions
from agentroute.twin.records import TIERS, Bank, load_bank
from agentroute.twin.scorer import Scores, score
from agentroute.twin.tokens import TIER_TOKENIZER, TOKENIZER_SOURCES, count_bank

CV_FOLDS = 5


class TwinReport(BaseModel):
    """Everything `agentroute bench twin` prints and writes as JSON. `folds` is set when the learned
    policy was scored out of sample; `intervals` then holds each router's bootstrap 90% interval on
    COMBINED (trajectories resampled)."""

    data: str
    rows: int
    trajectories: int
    incomplete_trajectories: int = 0
    benchmarks: dict[str, int]
    tokenizers: dict[str, str]
    results: list[Scores]
    folds: int | None = None
    intervals: dict[str, tuple[float, float]] = {}


def overlaps_seed(bank: Bank) -> bool:
    """Whether any row of the bank is a row the shipped seed was built from."""
    seed_ids = {row.id for row in load_bank(SEED_FILE).rows}
    return any(row.id in seed_ids for row in bank.rows)


def run_twin(
    data: str | Path,
    *,
    predictions: str | Path | None = None,
    seed: int = 0,
    budget_usd: float = DEFAULT_BUDGET_USD,
    folds: int | None = None,
) -> TwinReport:
    """Score the baselines, the learned default (as shipped, or with `folds` leave-trajectory-out
    folds; always out of sample on the seed's own rows) and saved predictions on a bank file."""
    bank = load_bank(data)
    if folds is not None and folds > len(bank.trajectories):
        raise AgentRouteError(f"--cv {folds} needs at least {folds} trajectories; {bank.source} has {len(bank.trajectories)}")
    if folds is None and overlaps_seed(bank):
        folds = CV_FOLDS
    tokens = count_bank(bank)
    pool = twin_pool()
    routed: list[Routed] = []
    if predictions is not None:
        routed.append(route_bank(load_predictions(predictions, bank), bank))
    if folds is None:
        shipped = PolicyRouter.named("learned", pool, tokens_by_id(bank, tokens), seed=seed, budget_usd=budget_usd)
        routed.append(route_bank(shipped, bank))
    else:
        routed.append(cross_validated(bank, tokens, pool, folds=folds, seed=seed, budget_usd=budget_usd,
                                      name=f"learned ({folds}-fold CV)"))
    routed.extend(route_bank(router, bank) for router in baselines(bank, tokens, pool, seed=seed, budget_usd=budget_usd))
    results = [score(bank, tokens, r.picks, r.router, r.errors) for r in routed]
    intervals = {} if folds is None else {r.router: bootstrap_interval(bank, tokens, r.picks, seed=seed) for r in routed}
    return TwinReport(
        data=bank.source,
        rows=len(bank.rows),
        trajectories=len(bank.trajectories),
        incomplete_trajectories=len(bank.incomplete),
        benchmarks=bank.benchmarks,
        tokenizers={tier: f"{TIER_TOKENIZER[index]} ({TOKENIZER_SOURCES[TIER_TOKENIZER[index]]})"
                    for index, tier in enumerate(TIERS)},
        results=results,
        folds=folds,
        intervals=intervals,
    )
