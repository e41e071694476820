"""`agentroute bench twin`: score routers on the TwinRouterBench static track (step-prefix rows)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.output import console


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def twin(
    data: Annotated[Optional[Path], typer.Option("--data", help="The question bank (JSON lines), e.g. question_bank.jsonl.")] = None,
    predictions: Annotated[Optional[Path], typer.Option("--predictions", help="Saved decisions of another router: JSON lines of {\"id\", \"tier_id\"}.")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write every metric as JSON here.")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Write a PNG of ROWPASS against COSTSAVE per router here.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random baseline.")] = 0,
    budget: Annotated[float, typer.Option("--budget", help="USD per trajectory for the step policies (dynamic-track default).")] = 3.0,
    cv: Annotated[Optional[int], typer.Option("--cv", min=2, help="Score the learned policy out of sample: K folds by trajectory (fit on the rest, never on the shipped seed), with bootstrap 90% intervals on COMBINED. Automatic (5) on the seed's own rows.")] = None,
) -> None:
    """Score the baselines (and --predictions) with the published ROWPASS/ROWEXACT/TRAJPASS/COSTSAVE arithmetic."""
    from agentroute.budget import validate_cap
    from agentroute.errors import AgentRouteError
    from agentroute.twin.locked import published_bank

    if data is None:
        url, inner = published_bank()
        raise AgentRouteError(
            f"no --data given: the TwinRouterBench question bank ({inner}, 970 rows) is published at {url}; "
            f"download it and run: agentroute bench twin --data /path/to/question_bank.jsonl"
        )
    validate_cap(budget)

    from rich.table import Table

    from agentroute.twin.harness import run_twin

    report = run_twin(data, predictions=predictions, seed=seed, budget_usd=budget, folds=cv)
    incomplete = f" ({report.incomplete_trajectories} incomplete)" if report.incomplete_trajectories else ""
    table = Table(title=f"TwinRouterBench static track · {report.rows} rows · {report.trajectories} trajectories{incomplete}")
    columns = ["router", "ROWPASS", "ROWEXACT", "TRAJPASS", "COSTSAVE", "COMBINED"]
    if report.intervals:
        columns.append("90% CI")
    for column in columns:
        table.add_column(column, justify="left" if column == "router" else "right")
    for result in report.results:
        cells = [result.router, _pct(result.rowpass), _pct(result.rowexact), _pct(result.trajpass),
                 _pct(result.costsave), _pct(result.combined)]
        if report.intervals:
            low, high = report.intervals[result.router]
            cells.append(f"{_pct(low)}–{_pct(high)}")
        table.add_row(*cells)
    console.print(table)
    if report.folds is not None:
        console.print(f"learned: scored out of sample, {report.folds} folds by trajectory (seed {seed}); intervals: "
                      "bootstrap over trajectories, 1,000 draws.", highlight=False)

    routing = Table(title="routing: errors (scored as misses), under/over-routing %, spend, picks per tier")
    for column in ("router", "errors", "under", "over", "router $", "always-high $", "low/mid/mid_high/high"):
        routing.add_column(column, justify="left" if column in ("router", "low/mid/mid_high/high") else "right")
    for result in report.results:
        routing.add_row(
            result.router, str(result.errors), _pct(result.under_routing), _pct(result.over_routing),
            f"{result.router_usd:.4f}", f"{result.always_high_usd:.4f}",
            "/".join(str(count) for count in result.tier_counts.values()),
        )
    console.print(routing)

    per_benchmark = Table(title="COSTSAVE per benchmark (weight = rows / all rows)")
    per_benchmark.add_column("router")
    for benchmark, rows in report.benchmarks.items():
        per_benchmark.add_column(f"{benchmark} ({rows})", justify="right")
    for result in report.results:
        per_benchmark.add_row(result.router, *(_pct(result.by_benchmark[name].costsave) for name in report.benchmarks))
    console.print(per_benchmark)

    console.print(
        "Always-high is the cost baseline (COSTSAVE 0). The 1-NN row uses the bank's own labels (in-sample): "
        "an upper bound, not a router. Tokens: " + ", ".join(f"{tier} {name}" for tier, name in report.tokenizers.items())
        + " — see docs/twinrouterbench.md for drift against the original tokenizers.",
        highlight=False,
    )
    if report.incomplete_trajectories:
        console.print(
            f"{report.incomplete_trajectories} of {report.trajectories} trajectories are incomplete (steps missing): "
            "each is scored over the rows present (TRAJPASS over them; see docs/twinrouterbench.md).",
            highlight=False,
        )
    for result in report.results:
        if result.errors:
            console.print(f"{result.router}: {result.errors} row(s) errored (scored as misses); first: {result.first_error}",
                          highlight=False, markup=False)
    if json_out is not None:
        json_out.write_text(report.model_dump_json(indent=2) + "\n")
        console.print(f"wrote metrics to {json_out}", highlight=False)
    if plot is not None:
        from agentroute.twin.plot import plot_results

        plot_results(report.results, plot, f"TwinRouterBench static · {Path(report.data).name} · {report.rows} rows")
        console.print(f"wrote plot to {plot}", highlight=False)
