"""Build and parse ``application/x-www-form-urlencoded`` query strings."""

from querystring.codec import percent_decode, percent_encode
from querystring.query import Query, build, parse, parse_pairs

__all__ = ["Query", "build", "parse", "parse_pairs", "percent_decode", "percent_encode"]
