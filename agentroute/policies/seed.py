"""The shipped seed of the learned step policy: real labeled agent steps, read as step features.

`agentroute/data/twinrouterbench/real/dev125.jsonl` holds 125 real TwinRouterBench-format rows
(81 trajectories; MIT, see LICENSE.UncommonRoute and README.md beside it). Each row is a real
agent-trajectory prefix with the cheapest tier verified to keep the task passing; it becomes one
training example per level (sufficient iff level ≥ the label). Only the messages and tools are
read as features — never the benchmark, ids or labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from agentroute.policies.features import step_features
from agentroute.policies.sufficiency import LabeledStep, examples_from_label

if TYPE_CHECKING:
    from agentroute.twin.records import TwinRow

SEED_FILE = Path(__file__).resolve().parents[1] / "data" / "twinrouterbench" / "real" / "dev125.jsonl"


def row_steps(rows: Iterable[TwinRow]) -> list[LabeledStep]:
    """Training examples from labeled TwinRouterBench rows (`TwinRow`s)."""
    return [step for row in rows for step in examples_from_label(step_features(row.chat, row.tools), row.gold)]


def bank_steps() -> tuple[LabeledStep, ...]:
    """The seed's training examples, read from the rows themselves."""
    from agentroute.twin.records import load_bank

    return tuple(row_steps(load_bank(SEED_FILE).rows))


@cache
def seed_steps() -> tuple[LabeledStep, ...]:
    """The shipped seed's training examples (once per process): stored with the seed's fit while that
    is current (agentroute/policies/shipped_fit.py), else read from the rows."""
    from agentroute.policies.shipped_fit import stored_fit

    stored = stored_fit()
    return tuple(stored.steps) if stored is not None else bank_steps()
