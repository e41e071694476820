"""`agentroute pool show`: the tiers, models and prices of a pool."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.options import PoolOption
from agentroute.cli.output import console

pool_app = typer.Typer(help="Inspect tier pools.", no_args_is_help=True)

# the old name of --pool, still accepted, no longer shown
DeprecatedConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", hidden=True)]


@pool_app.command("show")
def show(pool_file: PoolOption = None, config: DeprecatedConfigOption = None) -> None:
    """Print the tiers (cheap → strong), their models and prices per 1M tokens."""
    from rich.table import Table

    from agentroute.pool import load_pool

    pool = load_pool(config if config is not None else pool_file)
    table = Table(title=f"pool {pool.source}")
    for column in ("tier", "name", "model", "input $/1M", "output $/1M", "cache read", "cache write", "price from"):
        table.add_column(column, justify="right" if "$" in column or "cache" in column else "left")
    for tier in pool.tiers:
        for position, model in enumerate(tier.models):
            price = model.price
            table.add_row(
                str(tier.index) if position == 0 else "",
                tier.name if position == 0 else "",
                model.id + ("" if position == 0 else " (fallback)"),
                f"{price.input:g}", f"{price.output:g}",
                f"{price.cache_read_rate:g}", f"{price.cache_write_rate:g}", model.price_source,
            )
    console.print(table)
