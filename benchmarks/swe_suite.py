"""Wall time and peak memory of `agentroute run` on the whole local suite, against the fake server.

The model is the tests' scripted solver on the fake OpenAI-compatible server (5 calls per task:
list, read, fix, test, submit), so this measures agentroute's own cost: routing, litellm's HTTP
path, the sandboxed commands, evaluation and the outputs. Each worker count runs `agentroute run`
in a fresh process; peak memory is that process's max RSS (the sandboxed commands are short-lived
children; their RSS is not included, and fork accounting would overstate it anyway).

    python benchmarks/swe_suite.py [--workers 1 2] [--suite evals/swe]
"""

from __future__ import annotations

import argparse
import json
import os
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

# Run in the child process: the CLI, then its own peak RSS.
_CHILD = """
import json, resource, sys
from agentroute.cli.app import app
code = 0
try:
    app(sys.argv[1:])
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def measure(suite: Path, workers: int, base_url: str, scratch: Path) -> dict[str, float]:
    """One `agentroute run` of the suite: wall seconds, peak RSS and outcomes."""
    pool = scratch / "pool.toml"
    pool.write_text(POOL_TOML.format(base_url=base_url))
    out = scratch / f"out-{workers}"
    args = ["run", str(suite), "--budget", "0.5", "--pool", str(pool), "--workers", str(workers),
            "--out", str(out), "--memory", str(scratch / f"memory-{workers}")]
    env = {**os.environ, "AGENTROUTE_HOME": str(scratch / f"home-{workers}"), "COLUMNS": "120"}
    started = time.perf_counter()
    finished = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    usage = json.loads(finished.stdout.strip().splitlines()[-1])
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {"workers": workers, "tasks": len(rows), "resolved": sum(r["outcome"] == "resolved" for r in rows),
            "wall_s": round(seconds, 1), "peak_rss_mb": round(usage["self_kb"] / 1024, 1), "exit_code": usage["code"],
            "spent_usd": round(sum(r["spent_usd"] for r in rows), 6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--suite", type=Path, default=ROOT / "evals" / "swe")
    options = parser.parse_args()
    tasks = load_tasks(options.suite)
    with FakeLLM() as llm, tempfile.TemporaryDirectory(prefix="agentroute-swe-bench-") as scratch:
        llm.responder = ScriptedSolver(tasks)
        for workers in options.workers:
            print(json.dumps(measure(options.suite.resolve(), workers, llm.base_url, Path(scratch))), flush=True)


if __name__ == "__main__":
    main()
