"""Folding Unicode text to ASCII.

Most accented Latin letters decompose under NFKD into a base letter plus
combining marks, which are then dropped.  A handful of letters have no
decomposition and are spelled out from a small table instead.
"""

from __future__ import annotations

import unicodedata
from typing import Final

_SPECIAL: Final[dict[str, str]] = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "TH",
    "ı": "i",
}


def fold_to_ascii(text: str) -> str:
    """Return ``text`` with letters folded to ASCII where possible.

    Characters that cannot be folded are kept as they are; callers decide
    what to do with them.
    """
    spelled = "".join(_SPECIAL.get(char, char) for char in text)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
