"""Handing predictions to the official SWE-bench harness (it needs Docker and the swebench package)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path


def harness_problem() -> str | None:
    """Why the harness cannot run here, or None when it can."""
    missing = []
    if importlib.util.find_spec("swebench") is None:
        missing.append("the swebench package is not installed (pip install swebench)")
    docker = shutil.which("docker")
    if docker is None:
        missing.append("Docker is not installed")
    else:
        try:
            info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
            if info.returncode != 0:
                missing.append("the Docker daemon is not reachable")
        except subprocess.TimeoutExpired:
            missing.append("the Docker daemon does not answer")
    return "; ".join(missing) or None


def harness_command(predictions: Path, *, dataset: str, run_id: str, workers: int) -> list[str]:
    """The swebench command line that evaluates `predictions`."""
    return [sys.executable, "-m", "swebench.harness.run_evaluation", "--dataset_name", dataset,
            "--predictions_path", str(predictions), "--max_workers", str(workers), "--run_id", run_id]


def run_harness(predictions: Path, *, dataset: str, run_id: str, workers: int) -> int:
    """Run the official harness in the foreground; its exit code."""
    return subprocess.run(harness_command(predictions, dataset=dataset, run_id=run_id, workers=workers)).returncode
