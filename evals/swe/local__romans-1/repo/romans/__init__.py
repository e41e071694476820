"""Roman numeral conversion.

>>> to_roman(1994)
'MCMXCIV'
>>> from_roman("MCMXCIV")
1994
"""

from romans.convert import (
    MAX_VALUE,
    MIN_VALUE,
    RomanNumeralError,
    from_roman,
    is_roman,
    to_roman,
)

__all__ = [
    "MAX_VALUE",
    "MIN_VALUE",
    "RomanNumeralError",
    "from_roman",
    "is_roman",
    "to_roman",
]
