"""Keep secrets out of what clients see: provider keys and the server key are masked in messages."""

from __future__ import annotations

import os
from collections.abc import Iterable

_SECRET_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN", "_SECRET")


def secret_values(extra_names: Iterable[str] = ()) -> list[str]:
    """Values of environment variables that hold keys (by name), longest first."""
    names = set(extra_names) | {name for name in os.environ if name.upper().endswith(_SECRET_SUFFIXES)}
    values = {os.environ[name] for name in names if len(os.environ.get(name, "")) >= 8}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***`."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
