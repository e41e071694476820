"""TwinRouterBench static-track rows and the validating loader.

A question bank is JSON lines, one step-prefix row per line (SPEC.md). `load_bank` accepts
what the benchmark itself publishes and scores: rows in any order (each trajectory is sorted by
step), trajectories with steps missing (scored over the rows present, counted as incomplete),
tool messages answered by `name` without a `tool_call_id`, `content: null`, role `developer`
and extra fields. It never drops a row: every real problem (bad JSON, a malformed row, a
duplicate id, a step given twice, a trajectory whose rows disagree on `total_steps` or
benchmark) is collected with its line number, and the load fails with one `BankError` line
naming the first problem and how many more there are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from agentroute.errors import AgentRouteError

TIERS: tuple[str, ...] = ("low", "mid", "mid_high", "high")
HIGH = len(TIERS) - 1
TierName = Literal["low", "mid", "mid_high", "high"]
_SEMANTIC_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")


class BankError(AgentRouteError):
    """The question bank cannot be read, or one of its rows is malformed."""


class ToolFunction(BaseModel):
    """The function part of a tool call."""

    model_config = ConfigDict(extra="allow")

    name: str
    arguments: str | dict[str, Any] | None = None


class ToolCall(BaseModel):
    """An assistant's tool call: OpenAI's `{id, type, function: {name, arguments}}` or flat `{name, arguments}`."""

    model_config = ConfigDict(extra="allow")

    function: ToolFunction

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "function" not in data:
            return {"function": data}
        return data


class ContentPart(BaseModel):
    """One part of a list content: `{type, text}` (non-text parts carry no text)."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class Message(BaseModel):
    """One OpenAI-format chat message of a row's prefix."""

    model_config = ConfigDict(extra="allow", frozen=True)

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart | str] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> Message:
        # `content: null` without tool calls, and a tool message that names its function
        # (`name`) instead of a `tool_call_id`, are both in the published data: accepted.
        if self.tool_calls and self.role != "assistant":
            raise ValueError(f"a {self.role} message cannot carry tool_calls")
        return self

    @cached_property
    def fingerprint(self) -> str:
        """The fields that decide whether two messages are the same turn (cache_control etc. ignored)."""
        fields: dict[str, Any] = {}
        for key in _SEMANTIC_KEYS:
            if key not in self.model_fields_set:
                continue
            if key == "content":
                fields[key] = content_text(self.content)
            elif key == "tool_calls":
                fields[key] = [call.model_dump(exclude_unset=True) for call in self.tool_calls or []]
            else:
                fields[key] = getattr(self, key)
        return json.dumps(fields, sort_keys=True, ensure_ascii=False)


class FunctionSpec(BaseModel):
    """A tool schema offered to the model (BFCL rows): `{name, description, parameters}`."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _openai_wrapper(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("type") == "function" and isinstance(data.get("function"), Mapping):
            return data["function"]
        return data


class TwinRow(BaseModel):
    """One step-prefix row: the messages a router sees at one step, and the gold tier."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    benchmark: str = Field(min_length=1)
    instance_id: str | None = None
    step_index: StrictInt = Field(default=1, ge=1)
    total_steps: StrictInt = Field(default=1, ge=1)
    messages: list[Message] = Field(min_length=1)
    target_tier: TierName | None = None
    target_tier_id: StrictInt | None = Field(default=None, ge=0, le=HIGH)
    functions: list[FunctionSpec] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TwinRow:
        if self.target_tier is None and self.target_tier_id is None:
            raise ValueError("target_tier or target_tier_id is required")
        if self.target_tier is not None and self.target_tier_id is not None:
            if TIERS.index(self.target_tier) != self.target_tier_id:
                raise ValueError(
                    f"target_tier {self.target_tier!r} does not match target_tier_id {self.target_tier_id} "
                    f"({TIERS[self.target_tier_id]})"
                )
        if self.step_index > self.total_steps:
            raise ValueError(f"step_index {self.step_index} is beyond total_steps {self.total_steps}")
        return self

    @property
    def gold(self) -> int:
        """The gold tier id (0 = low … 3 = high)."""
        if self.target_tier_id is not None:
            return self.target_tier_id
        return TIERS.index(str(self.target_tier))

    @property
    def trajectory(self) -> str:
        """The trajectory key: instance_id, or the row id for a single-step row."""
        return self.instance_id or self.id

    @cached_property
    def chat(self) -> list[dict[str, Any]]:
        """The messages as OpenAI-format dicts, as the row spelled them."""
        return [message.model_dump(exclude_unset=True) for message in self.messages]

    @cached_property
    def tools(self) -> list[dict[str, Any]] | None:
        """The row's functions as OpenAI tools (`{type: function, function: {...}}`), or None."""
        if not self.functions:
            return None
        return [{"type": "function", "function": spec.model_dump(exclude_unset=True)} for spec in self.functions]


def content_text(content: str | list[ContentPart | str] | None) -> str:
    """The text of a content: the string, or the non-empty text parts (or bare strings) joined by newlines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part for part in part_texts(content) if part)


def part_texts(content: list[ContentPart | str]) -> list[str]:
    """The texts of a list content, in order: a bare string part is its own text."""
    return [part if isinstance(part, str) else part.text or "" for part in content]


def extends(previous: TwinRow, current: TwinRow) -> bool:
    """Whether the previous row's messages are a prefix of this row's (same turns, same order)."""
    if len(previous.messages) > len(current.messages):
        return False
    return all(
        before.fingerprint == after.fingerprint for before, after in zip(previous.messages, current.messages)
    )


@dataclass(frozen=True)
class Bank:
    """A validated question bank: rows in file order and trajectories as row indices in step order.

    A trajectory holds the rows present in the file; `incomplete` names those with steps missing.
    """

    source: str
    rows: tuple[TwinRow, ...]
    lines: tuple[int, ...]
    trajectories: tuple[tuple[int, ...], ...]

    @cached_property
    def incomplete(self) -> tuple[str, ...]:
        """Trajectory keys with fewer rows than their `total_steps` (scored over the rows present)."""
        keys = []
        for trajectory in self.trajectories:
            first = self.rows[trajectory[0]]
            if len(trajectory) < first.total_steps:
                keys.append(first.trajectory)
        return tuple(keys)

    @property
    def benchmarks(self) -> dict[str, int]:
        """Rows per benchmark, in order of first appearance."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.benchmark] = counts.get(row.benchmark, 0) + 1
        return counts


def load_bank(path: str | Path) -> Bank:
    """Read and validate a question bank file; any problem raises one BankError line."""
    file = Path(path)
    if not file.is_file():
        raise BankError(f"question bank {file} does not exist")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise BankError(f"question bank {file}: cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BankError(
            f"question bank {file}: not UTF-8 text (bad byte at offset {error.start}); expected JSON lines"
        ) from None
    return parse_bank(text, str(file))


def parse_bank(text: str, source: str) -> Bank:
    """Validate question-bank text (JSON lines); any problem raises one BankError line."""
    problems: list[tuple[int, str]] = []
    rows: list[TwinRow] = []
    lines: list[int] = []
    physical = text.split("\n")
    last_line = max((number for number, raw in enumerate(physical, 1) if raw.strip()), default=0)
    for number, raw in enumerate(physical, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as error:
            hint = " (file truncated?)" if number == last_line and not text.endswith("\n") else ""
            problems.append((number, f"not valid JSON: {error.msg} at column {error.colno}{hint}"))
            continue
        if not isinstance(obj, dict):
            problems.append((number, f"expected a JSON object, got {type(obj).__name__}"))
            continue
        try:
            rows.append(TwinRow.model_validate(obj))
        except ValidationError as error:
            problems.append((number, _describe(obj, error)))
            continue
        lines.append(number)
    trajectories, structural = _trajectories(rows, lines)
    problems.extend(structural)
    problems.sort()
    if problems:
        number, message = problems[0]
        more = ""
        if len(problems) > 1:
            others = ", ".join(str(line) for line, _ in problems[1:6])
            tail = ", …" if len(problems) > 6 else ""
            more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}: line {others}{tail})"
        raise BankError(f"{source} line {number}: {message}{more}")
    if not rows:
        raise BankError(f"{source}: no rows (expected one JSON object per line)")
    return Bank(source=source, rows=tuple(rows), lines=tuple(lines), trajectories=trajectories)


def _describe(obj: Mapping[str, Any], error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    what = first["msg"].removeprefix("Value error, ")
    row = f"row {obj['id']!r}: " if isinstance(obj.get("id"), str) else ""
    more = len(error.errors()) - 1
    suffix = f" (+{more} more in this row)" if more else ""
    return f"{row}{where + ': ' if where else ''}{what}{suffix}"


def _trajectories(
    rows: list[TwinRow], lines: list[int]
) -> tuple[tuple[tuple[int, ...], ...], list[tuple[int, str]]]:
    """Group rows into trajectories sorted by step; check ids are unique and no step is given twice.

    Rows may come in any order and steps may be missing (the benchmark's scorer sorts each
    trajectory by step and scores whatever rows it is given; a subset is scored over the rows
    present). The rows of one trajectory must agree on benchmark and `total_steps`.
    """
    problems: list[tuple[int, str]] = []
    seen_ids: dict[str, int] = {}
    groups: dict[str, list[int]] = {}
    duplicates: set[int] = set()
    for index, row in enumerate(rows):
        if row.id in seen_ids:
            problems.append((lines[index], f"duplicate id {row.id!r} (first on line {seen_ids[row.id]})"))
            duplicates.add(index)
        else:
            seen_ids[row.id] = lines[index]
        groups.setdefault(row.trajectory, []).append(index)
    for key, members in groups.items():
        first = rows[members[0]]
        where = f"trajectory {key!r}"
        step_line: dict[int, int] = {}
        for index in members:
            row = rows[index]
            if row.benchmark != first.benchmark:
                problems.append((lines[index], f"{where} mixes benchmarks {first.benchmark!r} and {row.benchmark!r} "
                                               f"(line {lines[members[0]]})"))
            if row.total_steps != first.total_steps:
                problems.append((lines[index], f"{where} says total_steps {row.total_steps}, "
                                               f"line {lines[members[0]]} says {first.total_steps}"))
            if index in duplicates:
                continue  # already reported as a duplicate id
            if row.step_index in step_line:
                problems.append((lines[index], f"{where} repeats step {row.step_index} (line {step_line[row.step_index]})"))
            else:
                step_line[row.step_index] = lines[index]
    ordered = tuple(tuple(sorted(members, key=lambda index: rows[index].step_index)) for members in groups.values())
    return ordered, problems
