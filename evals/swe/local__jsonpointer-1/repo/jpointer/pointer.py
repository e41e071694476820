"""JSON Pointer (RFC 6901) over plain Python JSON values.

A pointer is ``""`` (the whole document) or a sequence of ``/``-prefixed
reference tokens.  Inside a token ``~`` is written ``~0`` and ``/`` is
written ``~1``; no other ``~`` sequence is allowed.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

_BAD_TILDE = re.compile(r"~(?![01])")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MISSING: Any = object()


class JsonPointerError(LookupError):
    """A malformed pointer, or one that does not resolve in the document."""


def escape_token(token: str) -> str:
    """Escape one reference token for use in a pointer."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """Undo :func:`escape_token`; rejects ``~`` not followed by ``0`` or ``1``."""
    if _BAD_TILDE.search(token):
        raise JsonPointerError(f"invalid escape in reference token {token!r}")
    return token.replace("~0", "~").replace("~1", "/")


def parse_pointer(pointer: str) -> list[str]:
    """Split ``pointer`` into unescaped reference tokens."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JsonPointerError(f"pointer must be empty or start with '/': {pointer!r}")
    return [unescape_token(token) for token in pointer[1:].split("/")]


def format_pointer(tokens: Iterable[str | int]) -> str:
    """Build a pointer from reference tokens (ints are used as array indices)."""
    return "".join("/" + escape_token(str(token)) for token in tokens)


def _index(array: list[Any], token: str, pointer: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(array)
    if not _ARRAY_INDEX.fullmatch(token):
        raise JsonPointerError(f"{token!r} is not an array index in {pointer!r}")
    index = int(token)
    limit = len(array) + 1 if allow_end else len(array)
    if index >= limit:
        raise JsonPointerError(f"index {index} is out of range in {pointer!r}")
    return index


def _step(node: Any, token: str, pointer: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise JsonPointerError(f"member {token!r} not found in {pointer!r}")
        return node[token]
    if isinstance(node, list):
        return node[_index(node, token, pointer, allow_end=False)]
    raise JsonPointerError(f"cannot descend into {type(node).__name__} at {token!r} in {pointer!r}")


def resolve(document: Any, pointer: str, default: Any = _MISSING) -> Any:
    """Return the value ``pointer`` refers to inside ``document``.

    If the pointer does not resolve and ``default`` is given, return it
    instead of raising :class:`JsonPointerError`.  A malformed pointer
    always raises.
    """
    tokens = parse_pointer(pointer)
    node = document
    try:
        for token in tokens:
            node = _step(node, token, pointer)
    except JsonPointerError:
        if default is _MISSING:
            raise
        return default
    return node


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    tokens = parse_pointer(pointer)
    if not tokens:
        raise JsonPointerError("the root cannot be replaced or removed in place")
    node = document
    for token in tokens[:-1]:
        node = _step(node, token, pointer)
    return node, tokens[-1]


def set_value(document: Any, pointer: str, value: Any) -> None:
    """Set the value at ``pointer``, like JSON Patch ``add``.

    Object members are created or replaced.  For arrays the value is inserted
    at the index, and ``-`` (or the array's length) appends.
    """
    parent, last = _parent(document, pointer)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, pointer, allow_end=True), value)
    else:
        raise JsonPointerError(f"cannot set a member of {type(parent).__name__} in {pointer!r}")


def remove(document: Any, pointer: str) -> Any:
    """Remove the value at ``pointer`` and return it."""
    parent, last = _parent(document, pointer)
    if isinstance(parent, dict):
        if last not in parent:
            raise JsonPointerError(f"member {last!r} not found in {pointer!r}")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, pointer, allow_end=False))
    raise JsonPointerError(f"cannot remove from {type(parent).__name__} in {pointer!r}")
