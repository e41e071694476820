"""A router's saved decisions, so routers from other projects are scored with the same arithmetic.

Format: JSON lines, one object per bank row with the row `id` and its tier id 0..3 under any of
`tier_id`, `pred_tier_id` (the key the benchmark's own eval records use) or `predicted_tier_id`
(other keys are ignored, so the benchmark's per-row eval records load as they are). A line with
a non-null `error` and no tier is the router's failure on that row, scored as an error (a miss),
as the benchmark scores it. A malformed line, keys that disagree, a repeated id or an id the bank
does not have fails the load with one line naming the line number. A bank row without a
prediction is scored as an error (a miss).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from agentroute.errors import AgentRouteError
from agentroute.twin.records import HIGH, Bank, TwinRow

TIER_KEYS: tuple[str, ...] = ("tier_id", "pred_tier_id", "predicted_tier_id")
"""Keys a predictions line may carry its tier id under (all mean the same)."""

_EXPECTED = f'(expected {{"id": ..., "tier_id": 0..{HIGH}}}; pred_tier_id and predicted_tier_id are aliases)'


class PredictionsError(AgentRouteError):
    """The predictions file cannot be read, has a malformed line, or names rows the bank lacks."""


class Prediction(BaseModel):
    """One line of a predictions file: a tier id, or the router's error on that row."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    tier_id: StrictInt | None = Field(ge=0, le=HIGH)  # required: None only on an error line
    error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        given = {key: data[key] for key in TIER_KEYS if data.get(key) is not None}
        values = list(given.values())
        if any(value != values[0] or type(value) is not type(values[0]) for value in values[1:]):
            raise ValueError("the tier keys disagree: " + ", ".join(f"{key} {value!r}" for key, value in given.items()))
        fields: dict[str, Any] = {"id": data["id"]} if "id" in data else {}
        if values:
            fields["tier_id"] = values[0]
        if data.get("error") is not None:
            fields["error"] = str(data["error"])
            fields.setdefault("tier_id", None)
        return fields


class PredictionsRouter:
    """Replays saved tier ids; a row with no saved tier, or a saved error, fails (and is scored as a miss)."""

    def __init__(self, name: str, tiers: dict[str, int], errors: dict[str, str] | None = None) -> None:
        self.name = name
        self.tiers = tiers
        self.errors = errors or {}

    def route(self, row: TwinRow) -> int:
        """The saved tier of this row."""
        if row.id in self.errors:
            raise PredictionsError(f"saved error: {self.errors[row.id]}")
        if row.id not in self.tiers:
            raise PredictionsError("no prediction for this row")
        return self.tiers[row.id]


def load_predictions(path: str | Path, bank: Bank) -> PredictionsRouter:
    """Read a predictions file and check every id against the bank."""
    file = Path(path)
    if not file.is_file():
        raise PredictionsError(f"predictions file {file} does not exist")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise PredictionsError(f"predictions file {file}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise PredictionsError(f"predictions file {file}: not UTF-8 text (bad byte at offset {error.start})") from None
    known = {row.id for row in bank.rows}
    tiers: dict[str, int] = {}
    errors: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        where = f"{file} line {number}"
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as error:
            raise PredictionsError(f"{where}: not valid JSON: {error.msg} at column {error.colno}") from None
        try:
            prediction = Prediction.model_validate(obj)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "line"
            message = first["msg"].removeprefix("Value error, ")
            raise PredictionsError(f"{where}: {field}: {message} {_EXPECTED}") from None
        if prediction.id in first_line:
            raise PredictionsError(f"{where}: id {prediction.id!r} repeats line {first_line[prediction.id]}")
        if prediction.id not in known:
            raise PredictionsError(f"{where}: id {prediction.id!r} is not a row of {bank.source}")
        first_line[prediction.id] = number
        if prediction.error is not None:
            errors[prediction.id] = prediction.error
        elif prediction.tier_id is not None:
            tiers[prediction.id] = prediction.tier_id
    if not first_line:
        raise PredictionsError(f"predictions file {file} has no predictions")
    return PredictionsRouter(f"predictions:{file.name}", tiers, errors)
