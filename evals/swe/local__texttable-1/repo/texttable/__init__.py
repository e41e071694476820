"""Render rows of data as aligned plain-text tables."""

from texttable.table import Column, Table, render

__all__ = ["Column", "Table", "render"]
