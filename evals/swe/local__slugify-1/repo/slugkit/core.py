"""Slug generation."""

from __future__ import annotations

import re
from typing import Container, Iterable

from slugkit.translit import fold_to_ascii

_WORD = re.compile(r"[A-Za-z0-9]+")
_APOSTROPHES = re.compile(r"(?<=\w)['\u2019](?=\w)")


def _check_separator(separator: str) -> None:
    if not separator or any(char.isalnum() for char in separator):
        raise ValueError(f"separator must be non-empty punctuation, got {separator!r}")


def _limit(words: list[str], separator: str, max_length: int, word_boundary: bool) -> str:
    """Join ``words`` with ``separator`` into at most ``max_length`` characters.

    With ``word_boundary`` whole words are kept while they fit; if not even
    the first word fits, or without ``word_boundary``, the slug is cut at
    ``max_length``.
    """
    slug = separator.join(words)
    if len(slug) <= max_length:
        return slug
    if word_boundary:
        kept: list[str] = []
        length = 0
        for word in words:
            added = len(word) + (len(separator) if kept else 0)
            if length + added > max_length:
                break
            kept.append(word)
            length += added
        if kept:
            return separator.join(kept)
    return slug[:max_length]


def slugify(
    text: str,
    *,
    separator: str = "-",
    max_length: int | None = None,
    word_boundary: bool = False,
    lowercase: bool = True,
    stopwords: Iterable[str] = (),
    replacements: Iterable[tuple[str, str]] = (),
) -> str:
    """Turn ``text`` into a URL slug.

    * ``replacements`` are applied first, in order (e.g. ``[("&", " and ")]``).
    * Accented letters are folded to ASCII; other non-alphanumeric runs
      become a single ``separator``.  Apostrophes inside words are dropped,
      so ``"don't"`` becomes ``"dont"``.
    * ``stopwords`` (compared case-insensitively) are left out, unless that
      would leave nothing.
    * ``max_length`` limits the result; see ``word_boundary``.  The slug never
      starts or ends with the separator.
    """
    _check_separator(separator)
    if max_length is not None and max_length < 0:
        raise ValueError("max_length must be >= 0")
    for old, new in replacements:
        text = text.replace(old, new)
    text = _APOSTROPHES.sub("", fold_to_ascii(text))
    words = _WORD.findall(text)
    if lowercase:
        words = [word.lower() for word in words]
    skip: Container[str] = {word.lower() for word in stopwords}
    kept = [word for word in words if word.lower() not in skip]
    if kept:
        words = kept
    if max_length is None:
        return separator.join(words)
    return _limit(words, separator, max_length, word_boundary)


def unique_slug(text: str, taken: Container[str], **options: object) -> str:
    """Slugify ``text`` and append ``-2``, ``-3``, ... until it is not in ``taken``."""
    base = slugify(text, **options)  # type: ignore[arg-type]
    separator = str(options.get("separator", "-"))
    candidate = base
    counter = 2
    while candidate in taken:
        candidate = f"{base}{separator}{counter}"
        counter += 1
    return candidate
