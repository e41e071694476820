"""Replay results as a rich table, a JSON file and a cost–quality PNG."""

from __future__ import annotations

import json
from pathlib import Path

from rich import box
from rich.table import Table

from agentroute.replay.harness import PolicyResult
from agentroute.replay.split import HeldOutResult


LEGEND = (
    "score: resolved % (SWE) or mean score (ID); $: total spend; regret: Σ over tasks of the best single "
    "model's r − the policy's r, with r = score − 0.1·$ (lower is better); $ lost: spend on tasks no model "
    "solves; tries: attempts per task. Mean over the task orders, [min–max] across them."
)


SPLIT_LEGEND = (
    "regret: on the held group's tasks only, after the policy streamed every other group's tasks (mean over "
    "task orders, [min–max]); best single on the rest: the model with the highest total r = score − 0.1·$ on "
    "the other groups, used for every held task."
)


def _spread(mean: float, bounds: tuple[float, float], digits: int) -> str:
    return f"{mean:.{digits}f} [{bounds[0]:.{digits}f}–{bounds[1]:.{digits}f}]"


def results_table(results: list[PolicyResult], suite: str, mode: str) -> Table:
    """One table per suite and feedback mode: the mean over all task orders with its min–max range."""
    rows = [r for r in results if r.suite == suite and r.mode == mode]
    orders = rows[0].orders if rows else 0
    budget = next((r.budget_usd for r in rows if r.budget_usd is not None), None)
    table = Table(title=f"{suite} · {mode} feedback · ${budget:g} per task · mean of {orders} orders [min–max]",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    # On a narrow terminal a cell wraps (a range under its mean, a name on two lines); never cut.
    table.add_column("policy", overflow="fold")
    for column in ("resolved %" if suite == "swe" else "score", "$", "regret", "$ lost", "tries"):
        table.add_column(column, justify="right", overflow="fold")
    for r in rows:
        table.add_row(r.policy, _spread(r.mean_score_pct, r.range_score_pct, 2), _spread(r.mean_total_usd, r.range_total_usd, 2),
                      _spread(r.mean_regret, r.range_regret, 1), f"{r.mean_unsolvable_usd:.2f}", f"{r.mean_attempts_per_task:.2f}")
    return table


def split_table(results: list[HeldOutResult], suite: str, mode: str) -> Table:
    """Held-out groups: each policy's mean regret [min–max over orders] against the best single model
    chosen on the fitting part."""
    rows = [r for r in results if r.suite == suite and r.mode == mode]
    table = Table(title=f"{suite} · {mode} feedback · leave one group out (fit on the rest) · regret on the held group",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("held group", "tasks", "policy", "regret [min–max]", "best single on the rest", "its regret", "≤ it in every order"):
        table.add_column(column, justify="left" if column in ("held group", "policy", "best single on the rest") else "right",
                         overflow="fold")
    for r in rows:
        table.add_row(r.group, str(r.tasks), r.policy, _spread(r.mean_regret, (min(r.regrets), max(r.regrets)), 2),
                      r.reference_model, f"{r.reference_regret:.2f}", "yes" if r.wins_every_order else "no")
    return table


def write_json(results: list[PolicyResult] | list[HeldOutResult], path: Path, settings: dict) -> None:
    """Per-policy (or per held-out group) results plus the settings that produced them."""
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
