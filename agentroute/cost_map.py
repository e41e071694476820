"""litellm's offline cost map, read from the file litellm ships, without importing litellm.

Importing litellm takes seconds; a pool whose models are keys of the map (the built-in pool, and
most configs) is priced from the same JSON file litellm itself loads with
`LITELLM_LOCAL_MODEL_COST_MAP=True`. Other ids (aliases, provider-prefixed spellings) go through
`litellm.get_model_info`, which knows litellm's resolution rules.

The file is 3 MB of `json.dump(…, indent=4)`: decoding all of it costs ~40 ms, so one model's
entry is found by its key line and decoded alone (`cost_map_entry`); the whole map is decoded
only to list every id (`closest_ids`). An id whose line is laid out otherwise (the file is edited
by hand) is not found that way and goes to litellm, like an alias.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

COST_MAP_FILE = "model_prices_and_context_window_backup.json"
_NOT_MODELS = {"sample_spec", "fallback_generalizations"}


@lru_cache(maxsize=1)
def _cost_map_text() -> str:
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:  # pragma: no cover - litellm is a dependency
        return "{}"
    return (Path(spec.origin).parent / COST_MAP_FILE).read_text()


@lru_cache(maxsize=1)
def offline_cost_map() -> dict[str, dict[str, Any]]:
    """Model id → cost-map entry, as litellm's packaged offline map has it."""
    entries = json.loads(_cost_map_text())
    return {key: value for key, value in entries.items() if key not in _NOT_MODELS and isinstance(value, dict)}


@lru_cache(maxsize=1)
def _top_level_indent() -> str | None:
    """The indentation of the map's keys when the file is laid out one key per line, else None."""
    text = _cost_map_text()
    layout = re.match(r"\{\n( +)\"", text)
    return layout.group(1) if layout is not None and text[-16:].rstrip().endswith("\n}") else None


def cost_map_entry(model_id: str) -> dict[str, Any] | None:
    """The map's entry for exactly this id (the last one if repeated, as json.loads keeps), or None."""
    if model_id in _NOT_MODELS:
        return None
    indent = _top_level_indent()
    if indent is None:  # not the layout litellm ships: decode the whole map
        return offline_cost_map().get(model_id)
    text = _cost_map_text()
    key_line = f"\n{indent}{json.dumps(model_id)}: "  # a deeper key is indented further, a string has no newline
    at = text.rfind(key_line)
    if at < 0:
        return None
    entry, _ = json.JSONDecoder().raw_decode(text, at + len(key_line))
    return entry if isinstance(entry, dict) and "litellm_provider" in entry else None  # every model entry has one


def model_info(model_id: str) -> dict[str, Any] | None:
    """The cost-map entry of a litellm model id, or None when litellm does not know the id."""
    entry = cost_map_entry(model_id)
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
