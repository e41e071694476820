"""Query strings as ordered multi-valued mappings.

``build`` and ``parse`` are inverses for any list of ``(name, value)``
string pairs::

    >>> build([("q", "fish & chips"), ("page", "2")])
    'q=fish+%26+chips&page=2'
    >>> parse("q=fish+%26+chips&page=2").get("q")
    'fish & chips'
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping, Union

from querystring.codec import percent_decode, percent_encode

Scalar = Union[str, int, float, bool]
QueryInput = Union[Mapping[str, Union[Scalar, Iterable[Scalar]]], Iterable[tuple[str, Scalar]]]


def _as_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _form_decode(component: str) -> str:
    """Decode one name or value of a form-encoded query string."""
    return percent_decode(component).replace("+", " ")


def _iter_pairs(data: QueryInput) -> Iterator[tuple[str, str]]:
    """Flatten mappings (list values repeat the key) and pair sequences."""
    items = data.items() if isinstance(data, Mapping) else data
    for name, value in items:
        if isinstance(value, (list, tuple)):
            for item in value:
                yield name, _as_text(item)
        else:
            yield name, _as_text(value)


def build(data: QueryInput, safe: str = "") -> str:
    """Serialise ``data`` to ``name=value&...`` (no leading ``?``).

    ``safe`` lists extra characters left unescaped in values, e.g. ``"/:"``.
    """
    return "&".join(
        f"{percent_encode(name, space_as_plus=True)}={percent_encode(value, safe, True)}"
        for name, value in _iter_pairs(data)
    )


def parse_pairs(query: str, keep_blank: bool = False) -> list[tuple[str, str]]:
    """Split ``query`` into decoded ``(name, value)`` pairs, in order.

    A leading ``?`` is ignored and both ``&`` and ``;`` separate pairs.  A
    field without ``=`` has an empty value.  Pairs with an empty value are
    dropped unless ``keep_blank`` is true; empty fields are always dropped.
    """
    if query.startswith("?"):
        query = query[1:]
    pairs: list[tuple[str, str]] = []
    for field in query.replace(";", "&").split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if not value and not keep_blank:
            continue
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


class Query:
    """Read-only view of parsed pairs with dict-like helpers."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def __contains__(self, name: object) -> bool:
        return any(n == name for n, _ in self._pairs)

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for name, _ in self._pairs:
            seen.setdefault(name, None)
        return iter(seen)

    def __len__(self) -> int:
        return len(self._pairs)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value for ``name``."""
        for key, value in self._pairs:
            if key == name:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value for ``name``, in order."""
        return [value for key, value in self._pairs if key == name]

    def pairs(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def to_string(self) -> str:
        return build(self._pairs)


def parse(query: str, keep_blank: bool = False) -> Query:
    """Parse ``query`` into a :class:`Query`."""
    return Query(parse_pairs(query, keep_blank))
