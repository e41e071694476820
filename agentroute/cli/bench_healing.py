"""`agentroute bench healing`: the 19 self-healing scenarios, ours against ReAct and a static workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.output import console


def healing(
    suite: Annotated[Optional[Path], typer.Option("--suite", help="Folder of scenario files. Default: tools/scenarios.")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the full report as JSON here.")] = None,
    store: Annotated[Optional[Path], typer.Option("--store", help="Trace store for the runs. Default: a temporary file.")] = None,
    budget: Annotated[float, typer.Option("--budget", help="Per-scenario budget in USD for control-plane calls.")] = 1.0,
) -> None:
    """Run the self-healing scenario suite offline (simulated tools, mocked LLM replies, real routing and accounting)."""
    import tempfile

    from rich.table import Table

    from agentroute.app import AgentRoute
    from agentroute.toolgraph.scenarios import default_suite_dir, load_suite
    from agentroute.toolgraph.suite import PUBLISHED, run_suite

    families = load_suite(suite or default_suite_dir())
    with tempfile.TemporaryDirectory() as scratch:
        hub = AgentRoute(budget_usd=budget, store=store or Path(scratch) / "healing.sqlite")
        report = run_suite(families, hub)
        hub.store.close()
    total = sum(len(family.scenarios) for family in families)
    summary = Table(title=f"self-healing suite · {total} scenarios · {', '.join(f.topology for f in families)}")
    for column in ("approach", "correct", "control-plane LLM calls", "silent failures", "control-plane $"):
        summary.add_column(column, justify="left" if column == "approach" else "right")
    for row in report.summary:
        summary.add_row(row.approach, f"{row.correct}/{row.scenarios}", str(row.llm_calls), str(row.silent), f"{row.cost_usd:.6f}")
    console.print(summary)
    detail = Table(title="per scenario (✓ correct · ✗ wrong · ⚠ silent failure; LLM calls in brackets)")
    detail.add_column("scenario")
    detail.add_column("expected")
    approaches = [row.approach for row in report.summary]
    for approach in approaches:
        detail.add_column(approach)
    by_key = {(score.approach, score.scenario): score for score in report.scores}
    for family in families:
        for scenario in family.scenarios:
            cells = []
            for approach in approaches:
                score = by_key[(approach, scenario.id)]
                mark = "⚠" if score.silent else ("✓" if score.correct else "✗")
                cells.append(f"{mark} {score.outcome} [{score.llm_calls}]")
            detail.add_row(scenario.id, " | ".join(scenario.expect), *cells)
    console.print(detail)
    for score in report.scores:
        if score.problems:
            console.print(f"{score.approach} {score.scenario}: {'; '.join(score.problems)}", highlight=False, markup=False)
    console.print(PUBLISHED, highlight=False, markup=False)
    if json_out is not None:
        json_out.write_text(report.model_dump_json(indent=2))
        console.print(f"wrote {json_out}")
