import pytest

from jpointer import (
    JsonPointerError,
    format_pointer,
    parse_pointer,
    remove,
    resolve,
    set_value,
)

# The example document from RFC 6901, section 5.
RFC_DOC = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
}


def test_rfc_examples():
    assert resolve(RFC_DOC, "") is RFC_DOC
    assert resolve(RFC_DOC, "/foo") == ["bar", "baz"]
    assert resolve(RFC_DOC, "/foo/0") == "bar"
    assert resolve(RFC_DOC, "/") == 0
    assert resolve(RFC_DOC, "/a~1b") == 1
    assert resolve(RFC_DOC, "/c%d") == 2
    assert resolve(RFC_DOC, "/ ") == 7
    assert resolve(RFC_DOC, "/m~0n") == 8


def test_parse_and_format():
    assert parse_pointer("/a~1b/m~0n/0") == ["a/b", "m~n", "0"]
    assert format_pointer(["a/b", "m~n", 0]) == "/a~1b/m~0n/0"
    assert format_pointer([]) == ""


def test_malformed_pointers():
    for bad in ["foo", "/a~2", "/a~"]:
        with pytest.raises(JsonPointerError):
            parse_pointer(bad)


def test_missing_paths_and_default():
    doc = {"items": [1, 2]}
    for pointer in ["/nope", "/items/2", "/items/01", "/items/-", "/items/0/x"]:
        with pytest.raises(JsonPointerError):
            resolve(doc, pointer)
    assert resolve(doc, "/items/5", default=None) is None


def test_set_value():
    doc = {"items": [1, 3]}
    set_value(doc, "/items/1", 2)
    set_value(doc, "/items/-", 4)
    set_value(doc, "/meta", {"a/b": None})
    set_value(doc, "/meta/a~1b", True)
    assert doc == {"items": [1, 2, 3, 4], "meta": {"a/b": True}}
    with pytest.raises(JsonPointerError):
        set_value(doc, "/items/9", 0)
    with pytest.raises(JsonPointerError):
        set_value(doc, "", {})


def test_remove():
    doc = {"items": [1, 2, 3], "name": "x"}
    assert remove(doc, "/items/1") == 2
    assert remove(doc, "/name") == "x"
    assert doc == {"items": [1, 3]}
    with pytest.raises(JsonPointerError):
        remove(doc, "/name")
