"""`agentroute trace RUN_ID` and `agentroute runs`: read the decision trace store.

Tables fit the terminal: below WIDE_COLUMNS (agentroute/cli/output.py) the trace folds try, kind, node and cached tokens
into fewer columns and wraps the reason; numbers are never cut."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from agentroute.cli.output import console, fitted_table, is_wide

if TYPE_CHECKING:
    from rich.table import Table

    from agentroute.trace import RunInfo, TraceRecord, TraceStore

OUTCOME_STYLES = {"ok": "green", "error": "red", "budget_exhausted": "red", "ok_overrun": "red", "interrupted": "red"}

StoreOption = Annotated[
    Optional[Path],
    typer.Option("--store", help="Trace store (SQLite). Default: $AGENTROUTE_DB if set, else $AGENTROUTE_HOME/runs.sqlite."),
]


def _open_store(store: Path | None) -> TraceStore:
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


def _wide_trace(info: RunInfo, records: list[TraceRecord]) -> Table:
    from rich.markup import escape

    from agentroute.money import usd

    numeric = ("step", "try", "in", "out", "cached", "cost $")
    names = ("step", "try", "kind", "node", "tier", "model", "in", "out", "cached", "cost $", "outcome", "reason")
    table = fitted_table(_title(info), {name: "number" if name in numeric else "text" for name in names})
    for record in records:
        table.add_row(
            str(record.step), str(record.attempt), record.kind, escape(record.node or "-"), escape(record.tier_name or "-"),
            escape(record.model or "-"), str(record.prompt_tokens), str(record.completion_tokens),
            str(record.cache_read_tokens), f"{record.cost_usd:.6f}", escape(record.outcome),
            escape(record.reason + (f" [{record.error}]" if record.error else "")),
        )
    table.add_section()
    table.add_row(
        "total", str(len(records)), "", "", "", "",
        str(sum(r.prompt_tokens for r in records)), str(sum(r.completion_tokens for r in records)),
        str(sum(r.cache_read_tokens for r in records)), f"{usd(sum(r.cost_nanos for r in records)):.6f}", "",
        f"of ${info.cap_usd:g} budget",
    )
    return table


def _compact_trace(info: RunInfo, records: list[TraceRecord]) -> Table:
    """step·try, tier (or the event kind), model without its provider, tokens in/out, cost, and
    the outcome with its reason (and error) wrapped in the last column."""
    from rich.text import Text

    from agentroute.money import usd

    table = fitted_table(_title(info), {"step": "number", "tier": "text", "model": "text", "in/out": "number",
                                        "cost $": "number", "outcome · reason": "text"})
    for record in records:
        why = Text(record.outcome, style=OUTCOME_STYLES.get(record.outcome, "yellow"))
        node = f"{record.node}: " if record.node not in (None, "model") else ""
        why.append(f" · {node}{record.reason}" if node or record.reason else "")
        if record.error:
            why.append(f" [{record.error}]", style="red")
        table.add_row(
            f"{record.step}·{record.attempt}" if record.attempt else str(record.step),
            record.tier_name or record.kind, (record.model or "-").rpartition("/")[2],
            f"{record.prompt_tokens}/{record.completion_tokens}", f"{record.cost_usd:.6f}", why,
        )
    table.add_section()
    table.add_row("total", f"{len(records)} rec", "", f"{sum(r.prompt_tokens for r in records)}/"
                  f"{sum(r.completion_tokens for r in records)}", f"{usd(sum(r.cost_nanos for r in records)):.6f}",
                  f"of ${info.cap_usd:g} budget")
    return table


def _title(info: RunInfo) -> str:
    from rich.markup import escape

    return escape(f"run {info.run_id} · policy {info.policy} · budget ${info.cap_usd:g} · outcome {info.outcome or 'running'}")


def _legend() -> None:
    from rich.markup import escape

    from agentroute.reasons import KINDS, OUTCOMES, REASON_CODES

    for title, rows in (("reason codes (model records; `;` separates policy evidence, numbers, router changes)",
                         [(code.code, code.meaning) for code in REASON_CODES]),
                        ("outcomes", list(OUTCOMES.items())), ("kinds", list(KINDS.items()))):
        table = fitted_table(title, {"code": "whole", "meaning": "text"})
        for code, meaning in rows:
            table.add_row(escape(code), escape(meaning))
        console.print(table)
    console.print("More in docs/reasons.md.", highlight=False)


def trace(
    run_id: Annotated[Optional[str], typer.Argument(help="The run (thread) id: `agentroute runs` lists them.")] = None,
    store: StoreOption = None,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help="Also write the records as JSON lines here.")] = None,
    legend: Annotated[bool, typer.Option("--legend", help="Explain the reason codes, outcomes and kinds (after the trace, if a run is given).")] = False,
) -> None:
    """Print a run's decision trace (tier, model, tokens, cost, outcome, reason) with totals."""
    from agentroute.cli.output import fail

    if run_id is None:
        if not legend:
            fail("give a RUN_ID (`agentroute runs` lists them) or --legend")
        _legend()
        return
    trace_store = _open_store(store)
    info = trace_store.run(run_id)
    records = trace_store.records(run_id)
    written = trace_store.export_jsonl(run_id, jsonl) if jsonl is not None else 0  # a bad path fails before any output
    console.print((_wide_trace if is_wide() else _compact_trace)(info, records))
    if jsonl is not None:
        console.print(f"wrote {written} records to {jsonl}", highlight=False)
    if legend:
        _legend()
    else:
        console.print("Reason codes: agentroute trace --legend, or docs/reasons.md.", highlight=False)


def runs(store: StoreOption = None) -> None:
    """List the runs in the trace store, newest first."""
    from rich.markup import escape

    from agentroute.money import usd

    trace_store = _open_store(store)
    table = fitted_table(escape(f"runs in {trace_store.where}"), {"run id": "whole", "policy": "text", "budget $": "number",
                   "spent $": "number", "outcome": "text", "pool": "text"})
    for info in trace_store.runs():
        spent = usd(trace_store.spent_nanos(info.run_id))
        table.add_row(escape(info.run_id), escape(info.policy), f"{info.cap_usd:g}", f"{spent:.6f}",
                      escape(info.outcome or "running"), escape(info.pool))
    console.print(table)
