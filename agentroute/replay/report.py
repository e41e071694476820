"""Replay results as a rich table, a JSON file and a cost–quality PNG."""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from agentroute.replay.harness import PolicyResult


def results_table(results: list[PolicyResult], suite: str, mode: str) -> Table:
    """One table per suite and feedback mode: first order, then the mean over all orders."""
    rows = [r for r in results if r.suite == suite and r.mode == mode]
    metric = "resolved%" if suite == "swe" else "score"
    orders = rows[0].orders if rows else 0
    budget = next((r.budget_usd for r in rows if r.budget_usd is not None), None)
    table = Table(title=f"{suite} · feedback {mode} · per-task budget ${budget:g} · first order, then mean of {orders}")
    for column in ("policy", metric, "$", "regret", "escal.", "tries/task", f"mean {metric}", "mean $", "mean regret"):
        table.add_column(column, justify="left" if column == "policy" else "right", no_wrap=column == "policy")
    for r in rows:
        table.add_row(r.policy, f"{r.score_pct:.2f}", f"{r.total_usd:.2f}", f"{r.regret:.2f}", str(r.escalations),
                      f"{r.attempts_per_task:.2f}", f"{r.mean_score_pct:.2f}", f"{r.mean_total_usd:.2f}", f"{r.mean_regret:.2f}")
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
