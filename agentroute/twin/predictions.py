"""A router's saved decisions, so routers from other projects are scored with the same arithmetic.

Format: JSON lines, one `{"id": ROW_ID, "tier_id": 0..3}` per bank row (other keys are
ignored). A malformed line, a repeated id or an id the bank does not have fails the load with
one line naming the line number. A bank row without a prediction is scored as an error (a miss).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from agentroute.errors import AgentRouteError
from agentroute.twin.records import HIGH, Bank, TwinRow


class PredictionsError(AgentRouteError):
    """The predictions file cannot be read, has a malformed line, or names rows the bank lacks."""


class Prediction(BaseModel):
    """One line of a predictions file."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    tier_id: StrictInt = Field(ge=0, le=HIGH)


class PredictionsRouter:
    """Replays saved tier ids; a row with no saved tier fails (and is scored as a miss)."""

    def __init__(self, name: str, tiers: dict[str, int]) -> None:
        self.name = name
        self.tiers = tiers

    def route(self, row: TwinRow) -> int:
        """The saved tier of this row."""
        if row.id not in self.tiers:
            raise PredictionsError("no prediction for this row")
        return self.tiers[row.id]


def load_predictions(path: str | Path, bank: Bank) -> PredictionsRouter:
    """Read a predictions file and check every id against the bank."""
    file = Path(path)
    if not file.is_file():
        raise PredictionsError(f"predictions file {file} does not exist")
    try:
        text = file.read_bytes().decode("utf-8")
    except OSError as error:
        raise PredictionsError(f"predictions file {file}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise PredictionsError(f"predictions file {file}: not UTF-8 text (bad byte at offset {error.start})") from None
    known = {row.id for row in bank.rows}
    tiers: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        where = f"{file} line {number}"
        try:
            prediction = Prediction.model_validate(json.loads(raw))
        except json.JSONDecodeError as error:
            raise PredictionsError(f"{where}: not valid JSON: {error.msg} at column {error.colno}") from None
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "line"
            raise PredictionsError(f"{where}: {field}: {first['msg']} (expected {{\"id\": ..., \"tier_id\": 0..{HIGH}}})") from None
        if prediction.id in first_line:
            raise PredictionsError(f"{where}: id {prediction.id!r} repeats line {first_line[prediction.id]}")
        if prediction.id not in known:
            raise PredictionsError(f"{where}: id {prediction.id!r} is not a row of {bank.source}")
        first_line[prediction.id] = number
        tiers[prediction.id] = prediction.tier_id
    if not tiers:
        raise PredictionsError(f"predictions file {file} has no predictions")
    return PredictionsRouter(f"predictions:{file.name}", tiers)
