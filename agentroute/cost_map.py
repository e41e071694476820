"""litellm's offline cost map, read from the file litellm ships, without importing litellm.

Importing litellm takes seconds; a pool whose models are keys of the map (the built-in pool, and
most configs) is priced from the same JSON file litellm itself loads with
`LITELLM_LOCAL_MODEL_COST_MAP=True`. Other ids (aliases, provider-prefixed spellings) go through
`litellm.get_model_info`, which knows litellm's resolution rules.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

COST_MAP_FILE = "model_prices_and_context_window_backup.json"
_NOT_MODELS = {"sample_spec", "fallback_generalizations"}


@lru_cache(maxsize=1)
def offline_cost_map() -> dict[str, dict[str, Any]]:
    """Model id → cost-map entry, as litellm's packaged offline map has it."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:  # pragma: no cover - litellm is a dependency
        return {}
    entries = json.loads((Path(spec.origin).parent / COST_MAP_FILE).read_text())
    return {key: value for key, value in entries.items() if key not in _NOT_MODELS and isinstance(value, dict)}


def model_info(model_id: str) -> dict[str, Any] | None:
    """The cost-map entry of a litellm model id, or None when litellm does not know the id."""
    entry = offline_cost_map().get(model_id)
    if entry is not None:
        return entry
    from agentroute._litellm import load_litellm

    try:
        return dict(load_litellm().get_model_info(model_id))
    except Exception:  # litellm raises a bare Exception for unmapped models
        return None


def closest_ids(model_id: str, count: int = 3) -> list[str]:
    """The known model ids nearest in spelling to `model_id` (for "did you mean")."""
    import difflib

    return difflib.get_close_matches(model_id, offline_cost_map().keys(), n=count, cutoff=0.6)
