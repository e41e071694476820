"""Baseline routers scored beside every router under test.

- always-low, always-high: the two fixed tiers (always-high is the cost baseline: COSTSAVE 0).
- random: a uniformly random tier from a seeded generator.
- budget-aware: the step policy over the hand-set difficulty table (agentroute's default before
  the learned policy), run through the core Router (`PolicyRouter`). The learned default itself
  is added by the harness: as shipped, or cross-validated on the seed's own rows.
- litellm-complexity: LiteLLM's rule-based `ComplexityRouter` (installed litellm, offline, no
  model calls). It reads a request the way its pre-routing hook does: the newest user turn that
  carries human text (tool traffic and reminder blocks removed) is the prompt, the last system
  message the system prompt; with no such turn the hook routes to MEDIUM. SIMPLE/MEDIUM/COMPLEX/
  REASONING map to low/mid/mid_high/high.
- 1-NN (in-sample upper bound): each row takes the gold tier of its nearest other row in the
  same bank, by cosine similarity of hashed-n-gram embeddings of the rows' messages. Neighbours
  include the other steps of the row's own trajectory, whose prefixes are nearly identical, so
  this leaks labels: an optimistic ceiling like the published SR-KNN, not a deployable router.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from agentroute.errors import AgentRouteError
from agentroute.pool import Pool
from agentroute.twin.adapters import DEFAULT_BUDGET_USD, FunctionRouter, PolicyRouter, TwinRouter, tokens_by_id
from agentroute.twin.records import HIGH, Bank, TwinRow
from agentroute.twin.tokens import RowTokens, billable_text

KNN_NAME = "1-NN (upper bound)"
_SIMILARITY_CHUNK = 1024


def always(tier: int, name: str) -> FunctionRouter:
    """The same tier on every row."""
    return FunctionRouter(f"always-{name}", lambda _row: tier)


def seeded_random(seed: int) -> FunctionRouter:
    """A uniformly random tier per row; the same seed gives the same picks."""
    generator = random.Random(seed)
    return FunctionRouter("random", lambda _row: generator.randrange(HIGH + 1))


class ComplexityRouterPeer:
    """LiteLLM's rule-based complexity router, classifying each row's request."""

    name = "litellm-complexity"

    def __init__(self) -> None:
        from agentroute.complexity import ComplexityClassifier

        self._classifier = ComplexityClassifier()

    def route(self, row: TwinRow) -> int:
        """The mapped tier of the row's current ask (no ask → MEDIUM, as the router's hook does)."""
        return self._classifier.tier_of_request(row.chat)


def row_text(row: TwinRow) -> str:
    """The row's messages as one text (what the 1-NN baseline embeds)."""
    return "\n".join(billable_text(message) for message in row.messages)


class NearestNeighbourUpperBound:
    """Leave-one-out 1-NN over the bank's own rows and gold labels (an in-sample upper bound)."""

    name = KNN_NAME

    def __init__(self, bank: Bank) -> None:
        import numpy as np

        from agentroute.embedding import embed

        vectors = embed([row_text(row) for row in bank.rows])
        golds = np.array([row.gold for row in bank.rows])
        self._picks: dict[str, int] = {}
        for start in range(0, len(bank.rows), _SIMILARITY_CHUNK):
            similarity = vectors[start:start + _SIMILARITY_CHUNK] @ vectors.T
            rows = np.arange(similarity.shape[0])
            similarity[rows, rows + start] = -np.inf
            for offset, neighbour in enumerate(similarity.argmax(axis=1)):
                if neighbour != start + offset:
                    self._picks[bank.rows[start + offset].id] = int(golds[neighbour])

    def route(self, row: TwinRow) -> int:
        """The gold tier of the row's nearest other row."""
        if row.id not in self._picks:
            raise AgentRouteError("the bank has no other row to be its neighbour")
        return self._picks[row.id]


def baselines(bank: Bank, tokens: Sequence[RowTokens], pool: Pool, *, seed: int = 0,
              budget_usd: float = DEFAULT_BUDGET_USD) -> list[TwinRouter]:
    """Every baseline, in the order the report lists them."""
    return [
        always(0, "low"),
        always(HIGH, "high"),
        seeded_random(seed),
        PolicyRouter.named("budget-aware", pool, tokens_by_id(bank, tokens), seed=seed, budget_usd=budget_usd),
        ComplexityRouterPeer(),
        NearestNeighbourUpperBound(bank),
    ]
