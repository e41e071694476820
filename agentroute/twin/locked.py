"""The released TwinRouterBench tables (pool, prices, tier map, TTL, manifest), shipped as package data.

Copied verbatim from TwinRouterBench (Apache-2.0, LICENSE beside them) into
`agentroute/data/twinrouterbench/`. The dynamic track locks these: a router must pick a model of
this pool, and cost is recomputed from usage at these prices.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from agentroute.pool import Pool, PoolConfig, Price, resolve_pool
from agentroute.twin.records import TIERS

_DATA = "data/twinrouterbench"


def locked_file(name: str) -> dict[str, Any]:
    """One of the released JSON files, parsed."""
    return json.loads(resources.files("agentroute").joinpath(f"{_DATA}/{name}").read_text(encoding="utf-8"))


def locked_pricing() -> dict[str, Price]:
    """USD per 1M tokens of each pool model (model_pricing.json)."""
    return dict(_pricing())


@cache
def _pricing() -> dict[str, Price]:
    return {
        model_id: Price(
            input=entry["input_per_m"],
            output=entry["output_per_m"],
            cache_read=entry["cache_read_per_m"],
            cache_write=entry["cache_write_per_m"],
        )
        for model_id, entry in locked_file("model_pricing.json")["pricing"].items()
    }


def tier_models() -> dict[str, str]:
    """Tier name → the pool's model id for it (tier_to_model.json)."""
    return dict(locked_file("tier_to_model.json")["map"])


@cache
def twin_pool() -> Pool:
    """The four-tier pool low → high of the locked models, priced from model_pricing.json.

    Prices sit in the config, so no litellm price lookup happens (most of these ids are not in
    litellm's offline map anyway).
    """
    pricing = locked_pricing()
    models = tier_models()
    config = PoolConfig.model_validate({
        "tiers": [
            {"name": tier, "models": [{"id": models[tier], "price": pricing[models[tier]].model_dump()}]}
            for tier in TIERS
        ]
    })
    return resolve_pool(config, "twinrouterbench:locked")


def ttl_seconds() -> int:
    """The wall-clock prompt-cache TTL every dynamic-track router must assume (ttl_policy.json)."""
    return int(locked_file("ttl_policy.json")["wallclock_ttl_sec"])


def published_bank() -> tuple[str, str]:
    """Where the published question bank lives: (dataset URL, path inside the dataset)."""
    return locked_file("leaderboard.json")["links"]["dataset"], locked_file("manifest.json")["question_bank"]
