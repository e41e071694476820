"""`agentroute demo`: a scripted agent episode routed offline by several policies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.options import BudgetOption, PoolOption
from agentroute.cli.output import console, fitted_table


def demo(
    budget: BudgetOption = 0.50,
    config: PoolOption = None,
    store: Annotated[Optional[Path], typer.Option("--store", help="Trace store. Default: $AGENTROUTE_HOME/runs.sqlite.")] = None,
) -> None:
    """Route one scripted coding episode (mocked replies, real accounting) with each baseline policy."""
    import time
    import uuid

    from agentroute.demo import run_episode
    from agentroute.policies import make_policy
    from agentroute.pool import load_pool
    from agentroute.router import Router
    from agentroute.trace import RunInfo, TraceStore

    pool = load_pool(config)
    trace_store = TraceStore(store)
    policies = [f"always:{pool.tiers[-1].name}", f"always:{pool.tiers[0].name}", "cascade", "random", "budget-aware", "learned"]
    table = fitted_table(f"scripted episode · budget ${budget:g} · pool {pool.source}", {
        "policy": "text", "run id": "whole", "calls": "number", "spent $": "number", "outcome": "text", "tiers per call": "text"})
    batch = uuid.uuid4().hex[:6]
    for name in policies:
        run_id = f"demo-{batch}-{name.replace(':', '-')}"
        trace_store.start_run(RunInfo(run_id=run_id, created=time.time(), cap_usd=budget,
                                      pool=pool.source, policy=name))
        router = Router(pool, make_policy(name, pool), budget_usd=budget, run_id=run_id, store=trace_store)
        result = run_episode(router)
        table.add_row(name, run_id, str(result.calls), f"{result.spent_usd:.6f}", result.outcome, " ".join(result.tiers))
    console.print(table)
    console.print(
        "Replies are mocked (litellm mock_response) with real token counts and real prices, so this shows "
        "routing and accounting, not model quality. See a run's decisions: agentroute trace RUN_ID"
    )
