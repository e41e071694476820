"""Percent-encoding (RFC 3986, section 2.1) over UTF-8 bytes."""

from __future__ import annotations

import string

UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_HEX = "0123456789ABCDEF"


def percent_encode(text: str, safe: str = "", space_as_plus: bool = False) -> str:
    """Encode every byte of ``text`` that is not unreserved or listed in ``safe``.

    With ``space_as_plus`` a space becomes ``+`` (form encoding) instead of ``%20``.
    """
    allowed = UNRESERVED | frozenset(safe)
    out: list[str] = []
    for char in text:
        if char in allowed and ord(char) < 128:
            out.append(char)
        elif char == " " and space_as_plus:
            out.append("+")
        else:
            out.extend(f"%{_HEX[b >> 4]}{_HEX[b & 15]}" for b in char.encode("utf-8"))
    return "".join(out)


def percent_decode(text: str, errors: str = "replace") -> str:
    """Decode ``%XX`` escapes; malformed escapes are kept literally.

    Decoded bytes are interpreted as UTF-8 using ``errors`` for invalid
    sequences, so ``%C3%A9`` becomes ``é``.
    """
    if "%" not in text:
        return text
    buffer = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        hex_digits = text[index + 1 : index + 3]
        if char == "%" and len(hex_digits) == 2 and all(c in string.hexdigits for c in hex_digits):
            buffer.append(int(hex_digits, 16))
            index += 3
        else:
            buffer.extend(char.encode("utf-8"))
            index += 1
    return buffer.decode("utf-8", errors)
