"""Conversion between integers and Roman numerals.

Only the standard (subtractive) notation is supported: values from 1 to
3999 written with the symbols I, V, X, L, C, D and M, where the six pairs
IV, IX, XL, XC, CD and CM stand for 4, 9, 40, 90, 400 and 900.  Parsing is
strict: a numeral is accepted only if it is the one :func:`to_roman` would
produce for its value, so ``"IIII"`` or ``"VV"`` are rejected.
"""

from __future__ import annotations

from typing import Final

MIN_VALUE: Final = 1
MAX_VALUE: Final = 3999

# Every symbol group, largest first, with how many times it may appear in a
# row.  ``to_roman`` walks this table greedily; ``from_roman`` walks it in
# the same order, so the two stay in step.
_TOKENS: Final[tuple[tuple[str, int, int], ...]] = (
    ("M", 1000, 3),
    ("CM", 900, 1),
    ("D", 500, 1),
    ("CD", 400, 1),
    ("C", 100, 3),
    ("XC", 90, 1),
    ("L", 50, 1),
    ("XL", 40, 1),
    ("X", 10, 3),
    ("IX", 9, 1),
    ("V", 5, 1),
    ("IV", 4, 1),
    ("I", 1, 3),
)


class RomanNumeralError(ValueError):
    """Raised when a string is not a valid Roman numeral."""


def to_roman(number: int) -> str:
    """Return the Roman numeral for ``number``.

    Raises :class:`TypeError` for anything that is not an ``int`` (``bool``
    included) and :class:`ValueError` when ``number`` lies outside
    ``MIN_VALUE..MAX_VALUE``.
    """
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"expected an int, got {type(number).__name__}")
    if not MIN_VALUE <= number <= MAX_VALUE:
        raise ValueError(
            f"{number} is out of range; Roman numerals cover {MIN_VALUE}..{MAX_VALUE}"
        )
    parts: list[str] = []
    remaining = number
    for symbol, value, _ in _TOKENS:
        count, remaining = divmod(remaining, value)
        parts.append(symbol * count)
    return "".join(parts)


def _normalise(text: str, strict_case: bool) -> str:
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    numeral = text.strip()
    if not numeral:
        raise RomanNumeralError("an empty string is not a Roman numeral")
    return numeral if strict_case else numeral.upper()


def from_roman(text: str, *, strict_case: bool = False) -> int:
    """Return the integer value of the Roman numeral ``text``.

    Surrounding whitespace is ignored.  Lower-case numerals are accepted
    unless ``strict_case`` is true.  Raises :class:`RomanNumeralError` when
    ``text`` is not a well-formed numeral.
    """
    numeral = _normalise(text, strict_case)
    total = 0
    pos = 0
    index = 0
    while index < len(_TOKENS) and pos < len(numeral):
        symbol, value, max_repeat = _TOKENS[index]
        repeats = 0
        while repeats < max_repeat and numeral.startswith(symbol, pos):
            total += value
            pos += len(symbol)
            repeats += 1
        index += 1
    if pos != len(numeral):
        raise RomanNumeralError(
            f"invalid Roman numeral {text!r}: unexpected {numeral[pos]!r} at position {pos}"
        )
    return total


def is_roman(text: str, *, strict_case: bool = False) -> bool:
    """Return whether ``text`` is a valid Roman numeral (see :func:`from_roman`)."""
    try:
        from_roman(text, strict_case=strict_case)
    except (RomanNumeralError, TypeError):
        return False
    return True
