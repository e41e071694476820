"""JSONL files of experiences: reading one, every line validated before anything is used."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from agentroute.config_files import error_line, one_line
from agentroute.errors import AgentRouteError
from agentroute.memory.records import Experience


def read_jsonl(path: Path) -> list[Experience]:
    """Parse and validate a JSONL file of experiences; the first bad line is a one-line error."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AgentRouteError(f"cannot read {path}: {error_line(error)}") from error
    experiences: list[Experience] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            experience = Experience.model_validate_json(raw)
        except ValidationError as error:
            raise AgentRouteError(one_line(f"{path}:{number}: not a valid experience record", error)) from error
        if experience.id in first_line:
            raise AgentRouteError(f"{path}:{number}: duplicate experience id {experience.id!r} (first on line {first_line[experience.id]})")
        first_line[experience.id] = number
        experiences.append(experience)
    return experiences
