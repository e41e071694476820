"""`agentroute pool show`: the tiers, models and prices of a pool.

The table is plain aligned text, not a rich table: importing and laying out rich's table took
~0.1 s of the command's ~0.6 s here (benchmarks/cli_latency.py; target 0.5 s), and a rich table
narrower than its content cuts model ids ("gpt-4.1-na…"). Plain columns are never cut; on a
terminal narrower than the table its lines wrap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from agentroute.cli.options import PoolOption

if TYPE_CHECKING:
    from agentroute.pool import Pool

pool_app = typer.Typer(help="Inspect tier pools.", no_args_is_help=True)

# the old name of --pool, still accepted, no longer shown
DeprecatedConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", hidden=True)]

COLUMNS = ("tier", "name", "model", "input", "output", "cache read", "cache write", "price from")
PRICE_COLUMNS = range(3, 7)  # right-aligned


def pool_rows(pool: Pool) -> list[tuple[str, ...]]:
    """One row per model, cheap tier first; a tier's fallback models follow it, marked."""
    rows = []
    for tier in pool.tiers:
        for position, model in enumerate(tier.models):
            price = model.price
            rows.append((str(tier.index) if position == 0 else "", tier.name if position == 0 else "",
                         model.id + ("" if position == 0 else " (fallback)"),
                         f"{price.input:g}", f"{price.output:g}", f"{price.cache_read_rate:g}",
                         f"{price.cache_write_rate:g}", model.price_source))
    return rows


def aligned(rows: list[tuple[str, ...]]) -> list[str]:
    """`rows` (the header first) as lines of columns two spaces apart, prices right-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    return ["  ".join(cell.rjust(width) if column in PRICE_COLUMNS else cell.ljust(width)
                      for column, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in rows]


@pool_app.command("show")
def show(pool_file: PoolOption = None, config: DeprecatedConfigOption = None) -> None:
    """Print the tiers (cheap → strong), their models and prices per 1M tokens."""
    from agentroute.pool import load_pool

    pool = load_pool(config if config is not None else pool_file)
    typer.echo(f"pool {pool.source} (USD per 1M tokens)")
    typer.echo("\n".join(aligned([COLUMNS, *pool_rows(pool)])))
