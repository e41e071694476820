"""Options several commands share, each with the environment variable that sets its default.

AGENTROUTE_BUDGET, AGENTROUTE_POOL and AGENTROUTE_POLICY mean the same for `run`, `demo`, `serve`
and `pool show` as for the LangGraph graph (graphs/swe_agent.py); a flag given wins over the
variable. A bad value, from either, is one error line naming both."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def _checked_budget(value: float) -> float:
    from agentroute.budget import validate_cap
    from agentroute.errors import BudgetError

    try:
        validate_cap(value)
    except BudgetError as error:
        raise typer.BadParameter(str(error)) from None
    return value


BudgetOption = Annotated[float, typer.Option(
    "--budget", envvar="AGENTROUTE_BUDGET", metavar="USD", callback=_checked_budget, help="Hard budget per task in USD.")]
PoolOption = Annotated[Optional[Path], typer.Option(
    "--pool", envvar="AGENTROUTE_POOL", help="Pool file (TOML or YAML). Default: the built-in pool.")]
PolicyOption = Annotated[str, typer.Option(
    "--policy", envvar="AGENTROUTE_POLICY",
    help="Routing policy: learned, budget-aware, cascade[:K], random or always:<tier> (fixed:<tier> is an alias).")]
