"""A small, dependency-free reader for INI-style configuration files."""

from inifile.parser import Config, ParseError, Section, parse, parse_file

__all__ = ["Config", "ParseError", "Section", "parse", "parse_file"]
__version__ = "0.4.1"
