"""How an Experience is stored in Chroma (document + flat metadata) and in the side index.

Chroma metadata holds scalars only and no None, so optional fields are present only when set and
`features` is stored as one JSON string. The text is the Chroma document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from hashlib import blake2b
from typing import Any, NamedTuple

from agentroute.memory.records import Experience

_OPTIONAL = ("tier", "success", "verifier_score", "task_success", "task_outcome")


class IndexRow(NamedTuple):
    """The fields of a record that retrieval, credit, eviction and statistics need."""

    id: str
    run_id: str
    created: float
    group: str
    model: str
    tier: int | None
    success: float | None
    task_success: float | None
    cost_usd: float
    text_key: str


def to_metadata(experience: Experience) -> dict[str, str | int | float | bool]:
    """Flat Chroma metadata for a record (everything but id and text)."""
    metadata: dict[str, str | int | float | bool] = {
        "run_id": experience.run_id,
        "step": experience.step,
        "created": experience.created,
        "group": experience.group,
        "model": experience.model,
        "cost_usd": experience.cost_usd,
        "features": json.dumps(experience.features, sort_keys=True),
    }
    for key in _OPTIONAL:
        value = getattr(experience, key)
        if value is not None:
            metadata[key] = value
    return metadata


def from_chroma(record_id: str, document: str | None, metadata: Mapping[str, Any]) -> Experience:
    """Rebuild the Experience Chroma holds under `record_id`."""
    fields = {key: value for key, value in metadata.items() if key != "features"}
    return Experience(id=record_id, text=document or "", features=json.loads(str(metadata.get("features") or "{}")), **fields)


def text_key(text: str) -> str:
    """A short stable hash of a context text: records with the same text are one context."""
    return blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def row_of(experience: Experience) -> IndexRow:
    """The side-index row of a record."""
    return IndexRow(
        experience.id, experience.run_id, experience.created, experience.group, experience.model,
        experience.tier, experience.success, experience.task_success, experience.cost_usd, text_key(experience.text),
    )


def row_from_metadata(record_id: str, metadata: Mapping[str, Any], document: str | None) -> IndexRow:
    """The side-index row of a record read back from Chroma (its metadata and document)."""
    tier = metadata.get("tier")
    success = metadata.get("success")
    task_success = metadata.get("task_success")
    return IndexRow(
        record_id, str(metadata["run_id"]), float(metadata["created"]), str(metadata.get("group", "")),
        str(metadata["model"]), None if tier is None else int(tier), None if success is None else float(success),
        None if task_success is None else float(task_success), float(metadata.get("cost_usd", 0.0)),
        text_key(document or ""),
    )
