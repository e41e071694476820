"""The same suite with `--workers 2` and on a local Ray cluster (2 worker slots), against the
scripted model server: wall time of each whole command, and the mean seconds per task that each
task itself reports (results.jsonl), as ratios Ray / threads.

    python benchmarks/ray_vs_threads.py [--tasks N]

Needs the ray extra (pip install -e '.[ray]') and bubblewrap, as `agentroute run` does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import POOL_TOML  # noqa: E402
from fakellm import FakeLLM  # noqa: E402
from scripted_solver import ScriptedSolver  # noqa: E402

from agentroute.swe.task import load_tasks  # noqa: E402


def timed_run(args: list[str], env: dict[str, str]) -> float:
    """Seconds the command took; it must succeed."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "agentroute.cli.app", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def mean_task_seconds(out: Path) -> float:
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return sum(row["seconds"] for row in rows) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=6)
    count = parser.parse_args().tasks
    tasks = load_tasks(ROOT / "evals" / "swe")[:count]
    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    suite = work / "suite"
    for task in tasks:
        shutil.copytree(ROOT / "evals" / "swe" / task.instance_id, suite / task.instance_id)
    with FakeLLM() as llm:
        llm.responder = ScriptedSolver(tasks)
        pool = work / "pool.toml"
        pool.write_text(POOL_TOML.format(base_url=llm.base_url))
        env = {**os.environ, "AGENTROUTE_HOME": str(work / "home")}
        common = ["run", str(suite), "--budget", "0.5", "--pool", str(pool), "--no-memory"]
        threads = timed_run([*common, "--workers", "2", "--out", str(work / "threads")], env)
        ray = timed_run([*common, "--ray", "local", "--out", str(work / "ray")], env)
    per_threads, per_ray = mean_task_seconds(work / "threads"), mean_task_seconds(work / "ray")
    print(f"{count} tasks · wall: threads {threads:.1f} s, ray {ray:.1f} s (ratio {ray / threads:.2f})")
    print(f"per task: threads {per_threads:.2f} s, ray {per_ray:.2f} s (ratio {per_ray / per_threads:.2f})")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
