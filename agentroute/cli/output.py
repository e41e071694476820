"""Shared console and the one-line error exit used by every command.

`console` and `errors` are rich consoles created on first use: importing rich's console costs
~0.1 s, which `--help` and the commands that fail early never need to pay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

WIDE_COLUMNS = 140  # below this, tables fold columns together and wrap text


class _ConsoleOnFirstUse:
    """Stands in for a rich Console, created when first used; attributes and `with` (as rich's
    progress bars use it) go to the real one."""

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._console: Console | None = None

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._settings)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __enter__(self) -> Console:
        return self._real().__enter__()

    def __exit__(self, *exception: object) -> None:
        self._real().__exit__(*exception)


console = cast("Console", _ConsoleOnFirstUse())
errors = cast("Console", _ConsoleOnFirstUse(stderr=True))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: message` on stderr as one line and exit non-zero."""
    errors.print(f"[bold red]error:[/] {message}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def is_wide() -> bool:
    """Whether the terminal is wide enough for every column of the widest tables."""
    return console.width >= WIDE_COLUMNS


def fitted_table(title: str, columns: dict[str, str]) -> Table:
    """A table for any terminal width. Each column is a `number` (right-aligned, never cut), `whole`
    (never cut: ids, codes) or `text` (folds). A wide terminal gets the full box, a narrow one a
    light box without edges."""
    from rich import box
    from rich.table import Table

    wide = is_wide()
    table = Table(title=title, box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD, show_edge=wide, pad_edge=wide)
    for name, kind in columns.items():
        table.add_column(name, justify="right" if kind == "number" else "left", no_wrap=kind != "text", overflow="fold")
    return table
