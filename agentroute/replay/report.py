"""Replay results as a rich table, a JSON file and a cost–quality PNG."""

from __future__ import annotations

import json
from pathlib import Path

from rich import box
from rich.table import Table

from agentroute.replay.harness import PolicyResult


def results_table(results: list[PolicyResult], suite: str, mode: str) -> Table:
    """One table per suite and feedback mode: first order, then the mean over all orders (escalations
    are in the JSON)."""
    rows = [r for r in results if r.suite == suite and r.mode == mode]
    metric = "res.%" if suite == "swe" else "score"
    orders = rows[0].orders if rows else 0
    budget = next((r.budget_usd for r in rows if r.budget_usd is not None), None)
    table = Table(title=f"{suite} · {mode} feedback · ${budget:g} per task · first order | mean of {orders}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("policy", no_wrap=True, overflow="ellipsis", max_width=22)  # on a narrow terminal the name yields, not the numbers
    for column in (metric, "$", "regret", "tries\n/task", f"mean\n{metric}", "mean\n$", "mean\nregret"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(r.policy, f"{r.score_pct:.2f}", f"{r.total_usd:.2f}", f"{r.regret:.1f}", f"{r.attempts_per_task:.2f}",
                      f"{r.mean_score_pct:.2f}", f"{r.mean_total_usd:.2f}", f"{r.mean_regret:.1f}")
    return table


def write_json(results: list[PolicyResult], path: Path, settings: dict) -> None:
    """Per-policy results plus the settings that produced them."""
    payload = {"settings": settings, "results": [r.model_dump(mode="json") for r in results]}
    path.write_text(json.dumps(payload, indent=2, allow_nan=False, default=str))


def write_plot(results: list[PolicyResult], path: Path) -> None:
    """Score against total cost per policy, one panel per suite × mode (mean over orders)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r.suite, r.mode) for r in results})
    figure, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5.5), squeeze=False)
    for axis, (suite, mode) in zip(axes[0], panels):
        for r in (r for r in results if (r.suite, r.mode) == (suite, mode)):
            ours = r.policy.startswith("agentroute")
            axis.scatter(r.mean_total_usd, r.mean_score_pct, s=70 if ours else 30,
                         color="tab:red" if ours else "tab:blue" if not r.policy.startswith("always") else "tab:gray")
            axis.annotate(r.policy, (r.mean_total_usd, r.mean_score_pct), fontsize=7, xytext=(3, 3), textcoords="offset points")
        axis.set_xlabel("total cost, USD (mean over task orders)")
        axis.set_ylabel("resolved %" if suite == "swe" else "mean score")
        axis.set_title(f"{suite} · {mode}")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
