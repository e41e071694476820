"""ROWPASS against COSTSAVE, one point per router (matplotlib, Agg backend, no global state)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from agentroute.twin.scorer import Scores


def plot_results(results: Sequence[Scores], path: str | Path, title: str) -> None:
    """Write a PNG scatter of ROWPASS (y) against COSTSAVE (x); routers on the same point share a label."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 5.0))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    points: dict[tuple[float, float], list[str]] = {}
    for result in results:
        if not (math.isnan(result.costsave) or math.isnan(result.rowpass)):
            points.setdefault((round(result.costsave, 6), round(result.rowpass, 6)), []).append(result.router)
    for order, ((costsave, rowpass), routers) in enumerate(sorted(points.items(), key=lambda item: item[0][::-1])):
        axes.scatter(costsave, rowpass, s=40)
        axes.annotate(", ".join(routers), (costsave, rowpass), textcoords="offset points",
                      xytext=(5, 5 if order % 2 else -12), fontsize=8)
    axes.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
    axes.set_xlabel("COSTSAVE (%) — saving vs always-high, failed trajectories rerun on high")
    axes.set_ylabel("ROWPASS (%) — rows routed at or above the gold tier")
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    figure.savefig(Path(path), dpi=120, bbox_inches="tight")
