"""RFC 6901 JSON Pointers: parse, build, resolve and assign."""

from jpointer.pointer import (
    JsonPointerError,
    escape_token,
    format_pointer,
    parse_pointer,
    remove,
    resolve,
    set_value,
    unescape_token,
)

__all__ = [
    "JsonPointerError",
    "escape_token",
    "format_pointer",
    "parse_pointer",
    "remove",
    "resolve",
    "set_value",
    "unescape_token",
]
