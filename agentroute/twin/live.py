"""Dynamic-track compatibility: per-model prompt-cache state, and repricing a saved trace.

The published dynamic harness gives its router, at every call: instance id, 0-based step, full
messages, the pool, per-model cache state under a 300 s TTL, spend so far and the run config.
agentroute's live `StepContext` carries `run_id`, `step`, `messages` (+ `tools`), `spent_usd`
and `task`; the pool is the `Router`'s (`router.pool`, the one a policy is built with), and the
cache state is derived here from `StepContext.model_last_used`. Cost is recomputed from usage in
the same four buckets (`Usage`: input, cache read, cache write, output) at the locked prices of
model_pricing.json. See docs/twinrouterbench.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agentroute.context import StepContext
from agentroute.errors import AgentRouteError
from agentroute.pool import Pool, Price
from agentroute.trace import TraceRecord
from agentroute.twin.locked import ttl_seconds
from agentroute.usage import Usage

_BILLED = ("ok", "ok_overrun")


class ModelCacheState(BaseModel):
    """One pool model's prompt cache at a call: when it was last used and whether it is still warm."""

    model_id: str
    last_used: float | None
    age_s: float | None
    warm: bool


def cache_state(context: StepContext, pool: Pool, *, now: float, ttl: float | None = None) -> dict[str, ModelCacheState]:
    """Per-model cache state of the pool at `now`: warm iff used at most `ttl` seconds ago (default: ttl_policy.json)."""
    limit = ttl_seconds() if ttl is None else ttl
    states = {}
    for tier in pool.tiers:
        for model in tier.models:
            last = context.model_last_used.get(model.id)
            age = None if last is None else now - last
            states[model.id] = ModelCacheState(model_id=model.id, last_used=last, age_s=age,
                                               warm=age is not None and age <= limit)
    return states


def usage_of(record: TraceRecord) -> Usage:
    """The four usage buckets a trace record billed."""
    return Usage(
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        cache_read_tokens=record.cache_read_tokens,
        cache_write_tokens=record.cache_write_tokens,
    )


def reprice(records: Iterable[TraceRecord], pricing: Mapping[str, Price]) -> float:
    """USD of a saved trace's billed calls at `pricing` (e.g. the locked model_pricing.json).

    Attempts that were not billed (errors, retries, skipped reserves, budget stops) cost nothing;
    a call whose provider sent no usage cannot be repriced and is an error, as in the dynamic track.
    """
    total = 0.0
    for record in records:
        if record.kind != "model" or record.model is None:
            continue
        where = f"run {record.run_id} step {record.step} attempt {record.attempt}"
        if record.outcome == "ok_usage_missing":
            raise AgentRouteError(f"{where}: the provider reported no usage, so the call cannot be repriced")
        if record.outcome not in _BILLED:
            continue
        price = pricing.get(record.model)
        if price is None:
            raise AgentRouteError(f"{where}: model {record.model!r} has no locked price (known: {', '.join(pricing)})")
        usage = usage_of(record)
        total += (
            usage.plain_input_tokens * price.input
            + usage.cache_read_tokens * price.cache_read_rate
            + usage.cache_write_tokens * price.cache_write_rate
            + usage.completion_tokens * price.output
        ) / 1e6
    return total


def load_trace_jsonl(path: str | Path) -> list[TraceRecord]:
    """Trace records saved as JSON lines (`agentroute trace RUN --jsonl FILE`)."""
    file = Path(path)
    if not file.is_file():
        raise AgentRouteError(f"trace file {file} does not exist")
    records = []
    for number, raw in enumerate(file.read_text(encoding="utf-8").split("\n"), 1):
        if not raw.strip():
            continue
        try:
            records.append(TraceRecord.model_validate(json.loads(raw)))
        except (json.JSONDecodeError, ValidationError) as error:
            detail = str(error).strip().splitlines()[0]
            raise AgentRouteError(f"{file} line {number}: not a trace record: {detail}") from None
    return records
