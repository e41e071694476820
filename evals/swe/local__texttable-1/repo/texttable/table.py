"""Plain-text table layout.

Example::

    >>> table = Table([Column("name"), Column("qty", align="right")])
    >>> table.add_row(["apples", 3])
    >>> print(table.render())
    name   | qty
    -------+----
    apples |   3

Cells are converted with ``str()`` (``None`` becomes an empty cell).  A
column may set ``max_width``; longer cells are shortened and end with an
ellipsis so that they occupy exactly ``max_width`` characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal, Sequence

Align = Literal["left", "right", "center"]
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    """Layout options for one column."""

    header: str
    align: Align = "left"
    max_width: int | None = None

    def __post_init__(self) -> None:
        if self.align not in ("left", "right", "center"):
            raise ValueError(f"unknown alignment {self.align!r}")
        if self.max_width is not None and self.max_width < 1:
            raise ValueError("max_width must be at least 1")


def _cell_text(value: Any) -> str:
    """Single-line text for a cell value."""
    if value is None:
        return ""
    return " ".join(str(value).splitlines())


def _shorten(text: str, limit: int | None) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    if limit is None or len(text) < limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def _pad(text: str, width: int, align: Align) -> str:
    if align == "right":
        return text.rjust(width)
    if align == "center":
        return text.center(width)
    return text.ljust(width)


class Table:
    """A list of columns plus the rows added so far."""

    def __init__(self, columns: Sequence[Column | str], separator: str = " | ") -> None:
        if not columns:
            raise ValueError("a table needs at least one column")
        self.columns = [c if isinstance(c, Column) else Column(c) for c in columns]
        self.separator = separator
        self._rows: list[list[str]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def add_row(self, values: Sequence[Any]) -> None:
        """Append a row; short rows are padded with empty cells."""
        if len(values) > len(self.columns):
            raise ValueError(
                f"row has {len(values)} cells but the table has {len(self.columns)} columns"
            )
        cells = [_cell_text(v) for v in values]
        cells.extend("" for _ in range(len(self.columns) - len(cells)))
        self._rows.append(cells)

    def add_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.add_row(row)

    def _fitted_rows(self) -> list[list[str]]:
        """Header plus body rows, with every cell shortened to its column limit."""
        header = [c.header for c in self.columns]
        return [
            [_shorten(cell, column.max_width) for cell, column in zip(row, self.columns)]
            for row in [header, *self._rows]
        ]

    def column_widths(self) -> list[int]:
        """Display width of every column after shortening."""
        rows = self._fitted_rows()
        return [max(len(row[i]) for row in rows) for i in range(len(self.columns))]

    def render(self) -> str:
        """The table as text: header, a rule line, then one line per row."""
        rows = self._fitted_rows()
        widths = self.column_widths()
        joint = self.separator.replace("|", "+").replace(" ", "-")
        lines = []
        for index, row in enumerate(rows):
            align_of = (lambda c: "left") if index == 0 else (lambda c: c.align)
            cells = [
                _pad(cell, width, align_of(column))
                for cell, width, column in zip(row, widths, self.columns)
            ]
            lines.append(self.separator.join(cells).rstrip())
            if index == 0:
                lines.append(joint.join("-" * w for w in widths))
        return "\n".join(lines)


def render(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """One-shot helper: left-aligned columns, no width limits."""
    table = Table(list(headers))
    table.add_rows(rows)
    return table.render()
