"""Parse INI-style configuration text into sections of string values.

Supported syntax::

    ; full-line comments start with ``;`` or ``#``
    [server]
    host = example.org      ; inline comments need whitespace before the marker
    port: 8080
    motd = "  kept verbatim  "
    paths = /usr/lib
        /usr/local/lib      # indented lines continue the previous value

Keys are case-insensitive (stored lower-case); section names are case-sensitive.
Values in the special ``[DEFAULT]`` section are visible from every other section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

COMMENT_MARKERS = ("#", ";")
DEFAULT_SECTION = "DEFAULT"
_TRUE_WORDS = frozenset({"1", "yes", "true", "on"})
_FALSE_WORDS = frozenset({"0", "no", "false", "off"})


class ParseError(ValueError):
    """Raised for malformed input; ``lineno`` is 1-based."""

    def __init__(self, message: str, lineno: int) -> None:
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


@dataclass
class Section:
    """One ``[name]`` block. Lookups fall back to ``defaults``."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict, repr=False)

    def __contains__(self, key: str) -> bool:
        key = key.lower()
        return key in self.values or key in self.defaults

    def __getitem__(self, key: str) -> str:
        key = key.lower()
        if key in self.values:
            return self.values[key]
        if key in self.defaults:
            return self.defaults[key]
        raise KeyError(key)

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the value for ``key`` or ``default`` when it is absent."""
        try:
            return self[key]
        except KeyError:
            return default

    def getint(self, key: str, default: int | None = None) -> int | None:
        """Return ``key`` converted with ``int()``."""
        raw = self.get(key)
        return default if raw is None else int(raw)

    def getbool(self, key: str, default: bool | None = None) -> bool | None:
        """Return ``key`` interpreted as a boolean word (yes/no, on/off, ...)."""
        raw = self.get(key)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise ValueError(f"not a boolean: {raw!r}")

    def keys(self) -> list[str]:
        """Own keys first (in file order), then inherited default keys."""
        own = list(self.values)
        return own + [k for k in self.defaults if k not in self.values]


class Config:
    """The parsed file: an ordered mapping of section name to :class:`Section`."""

    def __init__(self) -> None:
        self.defaults: dict[str, str] = {}
        self._sections: dict[str, Section] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._sections

    def __getitem__(self, name: str) -> Section:
        return self._sections[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections)

    def sections(self) -> list[str]:
        """Section names in the order they first appeared."""
        return list(self._sections)

    def add_section(self, name: str) -> Section:
        """Return the section called ``name``, creating it if needed."""
        if name not in self._sections:
            self._sections[name] = Section(name, defaults=self.defaults)
        return self._sections[name]

    def get(self, section: str, key: str, default: str | None = None) -> str | None:
        """Shortcut for ``config[section].get(key, default)``."""
        if section not in self._sections:
            return default
        return self._sections[section].get(key, default)


def _strip_inline_comment(text: str) -> str:
    """Drop a trailing comment: a marker at the start or after whitespace."""
    for index, char in enumerate(text):
        if char in COMMENT_MARKERS and (index == 0 or text[index - 1].isspace()):
            return text[:index].rstrip()
    return text.rstrip()


def _unquote(value: str) -> str:
    """Remove one pair of matching surrounding quotes, if present."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse(text: str) -> Config:
    """Parse INI ``text`` and return a :class:`Config`."""
    config = Config()
    current: dict[str, str] | None = None
    last_key: str | None = None

    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        stripped = raw_line.strip()
        if not stripped or stripped.startswith(COMMENT_MARKERS):
            continue

        if raw_line[0].isspace() and last_key is not None and current is not None:
            continuation = _strip_inline_comment(stripped)
            current[last_key] = f"{current[last_key]}\n{continuation}"
            continue

        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise ParseError(f"unterminated section header {stripped!r}", lineno)
            name = stripped[1:-1].strip()
            if not name:
                raise ParseError("empty section name", lineno)
            if name == DEFAULT_SECTION:
                current = config.defaults
            else:
                current = config.add_section(name).values
            last_key = None
            continue

        if current is None:
            raise ParseError("key/value pair before the first section", lineno)

        positions = [p for p in (stripped.find("="), stripped.find(":")) if p > 0]
        if not positions:
            raise ParseError(f"expected 'key = value', got {stripped!r}", lineno)
        split_at = min(positions)
        key = stripped[:split_at].strip().lower()
        value = _strip_inline_comment(stripped[split_at + 1 :].strip())
        current[key] = _unquote(value)
        last_key = key

    return config


def parse_file(path: str | Path, encoding: str = "utf-8") -> Config:
    """Read and parse the file at ``path``."""
    return parse(Path(path).read_text(encoding=encoding))
