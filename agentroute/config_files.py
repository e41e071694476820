"""Reading config-like files (TOML, YAML, JSON) into one-line errors the CLI can print."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from agentroute.errors import ConfigError

Syntax = Literal["toml", "yaml", "json"]


def one_line(source: str, error: ValidationError) -> str:
    """Summarise the first problem of a validation error as `source: where: what`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        what = "unknown key"
    else:
        what = first["msg"]
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{source}: {where}: {what}{suffix}"


def error_line(error: BaseException) -> str:
    """`ExceptionType: first line of its message`."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:300]}" if lines else type(error).__name__


def syntax_of(path: Path) -> Syntax:
    """The syntax a file's suffix names (.toml, .json; anything else is read as YAML)."""
    suffix = path.suffix.lower()
    return "toml" if suffix == ".toml" else "json" if suffix == ".json" else "yaml"


def read_text(path: Path, what: str) -> str:
    """A file's text, or a ConfigError naming what the file was meant to be."""
    if not path.is_file():
        raise ConfigError(f"{what} {path} {'is a directory, not a file' if path.is_dir() else 'does not exist'}")
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{what} {path}: cannot read: {error}") from None


def parse_text(text: str, source: str, syntax: Syntax, *, expected: str) -> dict[str, Any]:
    """Parse text into a mapping; bad syntax or a non-mapping top level is one ConfigError line."""
    try:
        if syntax == "toml":
            raw: Any = tomllib.loads(text)
        elif syntax == "json":
            raw = json.loads(text)
        else:
            import yaml

            raw = yaml.safe_load(text)
    except Exception as error:  # tomllib, json and yaml each raise their own error types
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError(f"{source}: not valid {syntax.upper()}: {detail}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected {expected} at the top level")
    return raw
