"""Labeled steps as experiences: a TwinRouterBench-format row becomes one experience per level.

Tier t was sufficient for the row's step iff t ≥ its label (the cheapest tier verified to keep
the task passing), so a row adds `LEVELS` experiences with that outcome as both the step and the
task success, its step features (for the learned policy's fit) and its context text (for kNN).
Levels are stored as tier indexes of a four-tier pool (TwinRouterBench's low … high).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentroute.context import StepContext
from agentroute.memory.context_text import context_text
from agentroute.memory.records import Experience
from agentroute.policies.learned import experience_features
from agentroute.policies.sufficiency import LEVELS
from agentroute.signals import extract_signals

if TYPE_CHECKING:
    from agentroute.twin.records import TwinRow

LABELED_OUTCOME = "labeled"


def is_labeled_file(path: Path) -> bool:
    """Whether a JSONL file's first row looks like a TwinRouterBench row (messages + a target tier)."""
    try:
        with Path(path).open("rb") as lines:
            first = next((line for line in lines if line.strip()), b"")
        row = json.loads(first)
    except (OSError, ValueError):
        return False  # the experience reader reports the problem with its line number
    return isinstance(row, dict) and "messages" in row and ("target_tier" in row or "target_tier_id" in row)


def row_context(row: TwinRow) -> StepContext:
    """The context a live router would have built at this row's step (no budget in view)."""
    return StepContext(
        run_id=f"twin:{row.trajectory}", step=row.step_index - 1, messages=row.chat, tools=row.tools, max_tokens=0,
        cap_usd=0.0, spent_usd=0.0, remaining_usd=0.0, tier_reserve_usd=[], tier_mean_cost_usd=[],
        expected_remaining_steps=0, signals=extract_signals(row.chat),
    )


def labeled_experiences(rows: Sequence[TwinRow]) -> list[Experience]:
    """One experience per (row, level): sufficient iff level ≥ the row's label."""
    now = time.time()
    experiences = []
    for row in rows:
        context = row_context(row)
        text, features = context_text(context), experience_features(context, LEVELS)
        for level in range(LEVELS):
            sufficient = 1.0 if level >= row.gold else 0.0
            experiences.append(Experience(
                id=f"{row.id}@{level}", run_id=context.run_id, step=context.step, created=now, text=text,
                features=features, tier=level, model=f"level-{level}", success=sufficient,
                task_success=sufficient, task_outcome=LABELED_OUTCOME,
            ))
    return experiences
