"""Semantic Versioning 2.0.0 parsing, comparison and bumping."""

from semver.version import InvalidVersion, Version, max_satisfying, parse

__all__ = ["InvalidVersion", "Version", "max_satisfying", "parse"]
