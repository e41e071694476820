"""The :class:`Version` value type.

Precedence follows https://semver.org/#spec-item-11:

* ``major.minor.patch`` are compared numerically;
* a pre-release version has lower precedence than the same normal version
  (``1.0.0-alpha < 1.0.0``);
* pre-release identifiers are compared one by one, and a longer list wins
  when all shared identifiers are equal (``1.0.0-alpha < 1.0.0-alpha.1``);
* build metadata (``+build.5``) is ignored for precedence.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable, Optional, Union

_IDENT = r"[0-9A-Za-z-]+"
_PATTERN = re.compile(
    r"""
    ^v?
    (?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)
    (?:-(?P<pre>{ident}(?:\.{ident})*))?
    (?:\+(?P<build>{ident}(?:\.{ident})*))?
    $
    """.format(ident=_IDENT),
    re.VERBOSE,
)

PrereleaseKey = tuple[tuple[bool, str], ...]


class InvalidVersion(ValueError):
    """The string is not a valid semantic version."""


def _identifier_key(identifier: str) -> tuple[bool, str]:
    """Sort key for one pre-release identifier.

    Numeric identifiers always sort before alphanumeric ones.
    """
    return (not identifier.isdigit(), identifier)


@functools.total_ordering
class Version:
    """An immutable semantic version such as ``2.1.0-rc.1+build.7``."""

    __slots__ = ("major", "minor", "patch", "prerelease", "build")

    def __init__(
        self,
        major: int,
        minor: int = 0,
        patch: int = 0,
        prerelease: Iterable[str] = (),
        build: Iterable[str] = (),
    ) -> None:
        if min(major, minor, patch) < 0:
            raise InvalidVersion("version numbers must be non-negative")
        object.__setattr__(self, "major", major)
        object.__setattr__(self, "minor", minor)
        object.__setattr__(self, "patch", patch)
        object.__setattr__(self, "prerelease", tuple(prerelease))
        object.__setattr__(self, "build", tuple(build))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Version objects are immutable")

    @classmethod
    def parse(cls, text: str) -> "Version":
        """Parse ``text``; a leading ``v`` is accepted and dropped."""
        match = _PATTERN.match(text.strip())
        if match is None:
            raise InvalidVersion(f"invalid semantic version: {text!r}")
        pre = match.group("pre")
        if pre:
            for identifier in pre.split("."):
                if identifier.isdigit() and len(identifier) > 1 and identifier[0] == "0":
                    raise InvalidVersion(f"leading zero in pre-release: {text!r}")
        build = match.group("build")
        return cls(
            int(match.group("major")),
            int(match.group("minor")),
            int(match.group("patch")),
            pre.split(".") if pre else (),
            build.split(".") if build else (),
        )

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def _precedence(self) -> tuple[int, int, int, bool, PrereleaseKey]:
        pre_key = tuple(_identifier_key(i) for i in self.prerelease)
        return (self.major, self.minor, self.patch, not self.prerelease, pre_key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._precedence() == other._precedence()

    def __lt__(self, other: "Version") -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._precedence() < other._precedence()

    def __hash__(self) -> int:
        return hash(self._precedence())

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"

    def bump(self, part: str) -> "Version":
        """Return the next ``major``, ``minor`` or ``patch`` release.

        Bumping a pre-release of the same level releases it
        (``1.2.0-rc.1`` bumped by ``minor`` gives ``1.2.0``).
        """
        if part == "major":
            if self.prerelease and self.minor == 0 and self.patch == 0:
                return Version(self.major, 0, 0)
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            if self.prerelease and self.patch == 0:
                return Version(self.major, self.minor, 0)
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            if self.prerelease:
                return Version(self.major, self.minor, self.patch)
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown part {part!r}; expected major, minor or patch")


def parse(text: str) -> Version:
    """Module-level shortcut for :meth:`Version.parse`."""
    return Version.parse(text)


def max_satisfying(
    candidates: Iterable[Union[str, Version]],
    minimum: Union[str, Version],
    include_prerelease: bool = False,
) -> Optional[Version]:
    """Highest candidate that is ``>= minimum`` (pre-releases skipped unless asked)."""
    floor = minimum if isinstance(minimum, Version) else Version.parse(minimum)
    best: Optional[Version] = None
    for candidate in candidates:
        version = candidate if isinstance(candidate, Version) else Version.parse(candidate)
        if version.is_prerelease and not include_prerelease:
            continue
        if version >= floor and (best is None or version > best):
            best = version
    return best
