"""Which API keys a pool needs that the environment does not have, checked before a run starts."""

from __future__ import annotations

import os

from agentroute.errors import ConfigError
from agentroute.pool import Model, Pool


def missing_keys(model: Model) -> list[str]:
    """Environment variables this model still needs ([] when it can be called as configured).

    A model with `api_key_env` needs that variable; one with only an `api_base` (a local server)
    needs nothing; any other model needs what litellm's provider check names."""
    if model.api_key_env:
        return [] if os.environ.get(model.api_key_env) else [model.api_key_env]
    if model.api_base:
        return []
    from agentroute._litellm import load_litellm

    check = load_litellm().validate_environment(model=model.id)
    return [] if check.get("keys_in_environment") else [" or ".join(check.get("missing_keys") or ["(provider key)"])]


def require_keys(pool: Pool) -> None:
    """Raise a one-line ConfigError naming what to set when some tier has no callable model."""
    needed: list[str] = []
    blocked: list[str] = []
    for tier in pool.tiers:
        per_model = [missing_keys(model) for model in tier.models]
        if all(per_model):
            blocked.append(tier.name)
            needed += [key for keys in per_model for key in keys if key not in needed]
    if blocked:
        raise ConfigError(
            f"no API key for tier{'s' if len(blocked) > 1 else ''} {', '.join(blocked)} of pool {pool.source}: "
            f"set {', '.join(needed)}, or pass --pool FILE with models you can reach (docs/swe.md shows a local pool)"
        )
