"""Which API keys a pool needs that the environment does not have, checked before the first call.

The CLI (`agentroute run`) and the Python API (`AgentRoute`'s doors, `Router.complete`) run the
same check, so a missing key is one clear `ConfigError`, never a provider error retried."""

from __future__ import annotations

import os

from agentroute.errors import ConfigError
from agentroute.pool import Model, Pool

# Providers for which litellm lists several variables of which any one is enough, and the one
# to suggest (the README's). For every other provider each listed variable is needed.
ANY_ONE_KEY = {"gemini": "GEMINI_API_KEY"}


def missing_keys(model: Model) -> list[str]:
    """Environment variables this model still needs, all of them ([] when it can be called).

    A model with `api_key_env` needs that variable; one with only an `api_base` (a local server)
    needs nothing; any other model needs what litellm's provider check names."""
    if model.api_key_env:
        return [] if os.environ.get(model.api_key_env) else [model.api_key_env]
    if model.api_base:
        return []
    from agentroute._litellm import load_litellm

    litellm = load_litellm()
    check = litellm.validate_environment(model=model.id)
    if check.get("keys_in_environment"):
        return []
    missing = list(check.get("missing_keys") or [])
    _, provider, _, _ = litellm.get_llm_provider(model.id)
    if provider in ANY_ONE_KEY and any(os.environ.get(key) for key in missing):
        return []
    return [ANY_ONE_KEY[provider]] if provider in ANY_ONE_KEY else (missing or [f"the {provider} provider's key"])


def require_keys(pool: Pool) -> None:
    """Raise a one-line ConfigError naming what to set when some tier has no callable model.

    Each blocked tier is listed with the keys that would unblock it: `A or B` when any of its
    models would do, `A and B` when one model needs both."""
    blocked: list[str] = []
    needs: list[str] = []
    for tier in pool.tiers:
        per_model = [missing_keys(model) for model in tier.models]
        if all(per_model):
            options = dict.fromkeys(" and ".join(keys) for keys in per_model)
            blocked.append(tier.name)
            needs.append(f"{' or '.join(options)} for {tier.name}")
    if blocked:
        raise ConfigError(
            f"no API key for tier{'s' if len(blocked) > 1 else ''} {', '.join(blocked)} of pool {pool.source}: "
            f"set {'; '.join(needs)}; or use a pool with models you can reach "
            f"(--pool FILE, AgentRoute(pool=FILE) or $AGENTROUTE_POOL; docs/swe.md shows a local pool)"
        )
