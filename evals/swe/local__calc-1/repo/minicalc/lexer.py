"""Turning expression text into tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from minicalc.errors import CalcError

Kind = Literal["number", "name", "op", "lparen", "rparen", "end"]

OPERATORS = frozenset("+-*/%^")


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    position: int


def _scan_number(source: str, start: int) -> int:
    """Return the offset just past the number starting at ``start``."""
    pos = start
    seen_dot = False
    while pos < len(source) and (source[pos].isdigit() or source[pos] == "."):
        if source[pos] == ".":
            if seen_dot:
                raise CalcError("malformed number", start)
            seen_dot = True
        pos += 1
    if source[start:pos] == ".":
        raise CalcError("malformed number", start)
    return pos


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with a single ``end`` token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char.isspace():
            pos += 1
        elif char.isdigit() or char == ".":
            end = _scan_number(source, pos)
            tokens.append(Token("number", source[pos:end], pos))
            pos = end
        elif char.isalpha() or char == "_":
            end = pos
            while end < len(source) and (source[end].isalnum() or source[end] == "_"):
                end += 1
            tokens.append(Token("name", source[pos:end], pos))
            pos = end
        elif char in OPERATORS:
            tokens.append(Token("op", char, pos))
            pos += 1
        elif char == "(":
            tokens.append(Token("lparen", char, pos))
            pos += 1
        elif char == ")":
            tokens.append(Token("rparen", char, pos))
            pos += 1
        else:
            raise CalcError(f"unexpected character {char!r}", pos)
    tokens.append(Token("end", "", len(source)))
    return tokens
