"""`agentroute trace RUN_ID` and `agentroute runs`: read the decision trace store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.output import console

StoreOption = Annotated[
    Optional[Path],
    typer.Option("--store", help="Trace store (SQLite). Default: $AGENTROUTE_DB if set, else $AGENTROUTE_HOME/runs.sqlite."),
]


def _open_store(store: Path | None):  # noqa: ANN202 - returns TraceStore, imported lazily
    from agentroute.errors import AgentRouteError
    from agentroute.home import trace_store_path
    from agentroute.store import database_url
    from agentroute.trace import TraceStore

    if store is None and (url := database_url()) is not None:
        return TraceStore(url)  # the central store named by $AGENTROUTE_DB
    path = store or trace_store_path()
    if not path.is_file():
        raise AgentRouteError(f"no trace store at {path} (run something first, or pass --store)")
    return TraceStore(path)


def trace(
    run_id: Annotated[str, typer.Argument(help="The run (thread) id.")],
    store: StoreOption = None,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help="Also write the records as JSON lines here.")] = None,
) -> None:
    """Print a run's decision trace (tier, model, reason, tokens, cost, node, outcome) with totals."""
    from rich.markup import escape
    from rich.table import Table

    from agentroute.money import usd

    trace_store = _open_store(store)
    info = trace_store.run(run_id)
    records = trace_store.records(run_id)
    table = Table(title=f"run {run_id} · policy {info.policy} · budget ${info.cap_usd:g} · outcome {info.outcome or 'running'}")
    for column in ("step", "try", "kind", "node", "tier", "model", "in", "out", "cached", "cost $", "outcome", "reason"):
        table.add_column(column, justify="right" if column in ("step", "try", "in", "out", "cached", "cost $") else "left")
    for record in records:
        table.add_row(
            str(record.step), str(record.attempt), record.kind, escape(record.node or "-"), record.tier_name or "-",
            escape(record.model or "-"), str(record.prompt_tokens), str(record.completion_tokens),
            str(record.cache_read_tokens), f"{record.cost_usd:.6f}", escape(record.outcome),
            escape(record.reason + (f" [{record.error}]" if record.error else "")),
        )
    total = sum(record.cost_nanos for record in records)
    table.add_section()
    table.add_row(
        "total", str(len(records)), "", "", "", "",
        str(sum(r.prompt_tokens for r in records)), str(sum(r.completion_tokens for r in records)),
        str(sum(r.cache_read_tokens for r in records)), f"{usd(total):.6f}", "", f"of ${info.cap_usd:g} budget",
    )
    console.print(table)
    if jsonl is not None:
        written = trace_store.export_jsonl(run_id, jsonl)
        console.print(f"wrote {written} records to {jsonl}")


def runs(store: StoreOption = None) -> None:
    """List the runs in the trace store, newest first."""
    from rich.table import Table

    from agentroute.money import usd

    trace_store = _open_store(store)
    table = Table(title=f"runs in {trace_store.where}")
    for column in ("run id", "policy", "budget $", "spent $", "outcome", "pool"):
        table.add_column(column)
    for info in trace_store.runs():
        spent = usd(trace_store.spent_nanos(info.run_id))
        table.add_row(info.run_id, info.policy, f"{info.cap_usd:g}", f"{spent:.6f}", info.outcome or "running", info.pool)
    console.print(table)


def register_trace_commands(app: typer.Typer) -> None:
    """Add `trace` and `runs` to the top-level app."""
    app.command("trace")(trace)
    app.command("runs")(runs)
