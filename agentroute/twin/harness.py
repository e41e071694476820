"""One static-track run: load the bank, count tokens once, route and score every router."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from agentroute.twin.adapters import DEFAULT_BUDGET_USD, TwinRouter, route_bank
from agentroute.twin.baselines import baselines
from agentroute.twin.locked import twin_pool
from agentroute.twin.predictions import load_predictions
from agentroute.twin.records import TIERS, Bank, load_bank
from agentroute.twin.scorer import Scores, score
from agentroute.twin.tokens import TIER_TOKENIZER, TOKENIZER_SOURCES, RowTokens, count_bank


class TwinReport(BaseModel):
    """Everything `agentroute bench twin` prints and writes as JSON."""

    data: str
    rows: int
    trajectories: int
    incomplete_trajectories: int = 0
    benchmarks: dict[str, int]
    tokenizers: dict[str, str]
    results: list[Scores]


def evaluate(bank: Bank, tokens: Sequence[RowTokens], routers: Sequence[TwinRouter]) -> list[Scores]:
    """Route the bank with each router and score its picks."""
    results = []
    for router in routers:
        routed = route_bank(router, bank)
        results.append(score(bank, tokens, routed.picks, routed.router, routed.errors))
    return results


def run_twin(
    data: str | Path,
    *,
    predictions: str | Path | None = None,
    seed: int = 0,
    budget_usd: float = DEFAULT_BUDGET_USD,
) -> TwinReport:
    """Score the baselines (and saved predictions, if given) on a question bank file."""
    bank = load_bank(data)
    routers: list[TwinRouter] = []
    if predictions is not None:
        routers.append(load_predictions(predictions, bank))
    tokens = count_bank(bank)
    routers.extend(baselines(bank, tokens, twin_pool(), seed=seed, budget_usd=budget_usd))
    return TwinReport(
        data=bank.source,
        rows=len(bank.rows),
        trajectories=len(bank.trajectories),
        incomplete_trajectories=len(bank.incomplete),
        benchmarks=bank.benchmarks,
        tokenizers={tier: f"{TIER_TOKENIZER[index]} ({TOKENIZER_SOURCES[TIER_TOKENIZER[index]]})"
                    for index, tier in enumerate(TIERS)},
        results=evaluate(bank, tokens, routers),
    )
