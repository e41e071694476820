"""Turn pydantic validation errors into the one-line messages the CLI prints."""

from __future__ import annotations

from pydantic import ValidationError


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
