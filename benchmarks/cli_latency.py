"""Wall time of the quick CLI commands a newcomer types first, each in a fresh process.

`agentroute --help` (target < 0.3 s) and `agentroute pool show` (target < 0.5 s) should not pay
for litellm, LangGraph or Chroma; `python -c pass` is the interpreter's own start-up, for scale.
Each command runs `--repeat` times; the minimum wall time is the figure to compare (other load
on the machine only adds time), the median shows the spread, and the CPU time (user + system) is
what the command itself costs even on a busy machine. `--imports` lists, for `pool show`, the
heavy packages imported (none is the goal).

    python benchmarks/cli_latency.py [--repeat 7] [--imports]

Measured here (2 shared cores, load average 2.7, `--repeat 5`; `python -c pass` took 0.10 s wall,
0.06 s CPU): `--help` 0.60 s wall / 0.33 s CPU (0.44 s CPU before typer's rich help was turned
off), `pool show` 1.20 s wall / 0.63 s CPU (7.8 s CPU and 31 s wall when it imported litellm).
What is left is typer, rich's table, pydantic's model building and parsing litellm's 3 MB map.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("litellm", "langgraph", "langchain", "chromadb", "sklearn", "numpy", "matplotlib", "openai", "tiktoken")


def agentroute_command() -> list[str]:
    """The console script next to this interpreter (what `pip install` put on PATH)."""
    script = Path(sys.executable).parent / "agentroute"
    return [str(script)] if script.exists() else [shutil.which("agentroute") or "agentroute"]


def seconds(command: list[str], repeat: int) -> dict[str, float]:
    """Minimum and median wall seconds of `command` over `repeat` fresh runs (exit code checked),
    and its minimum CPU seconds (user + system), which other load on the machine hardly changes."""
    times, cpu = [], []
    env = {**os.environ, "COLUMNS": "120"}
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3), "cpu_s": round(min(cpu), 3)}


def heavy_imports(code: str) -> list[str]:
    """Which heavy top-level packages a snippet imports (run in a fresh interpreter)."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    return [name for name in HEAVY if name in loaded]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--imports", action="store_true", help="also list heavy packages each command imports")
    args = parser.parse_args()
    cli = agentroute_command()
    rows = {
        "python -c pass": seconds([sys.executable, "-c", "pass"], args.repeat),
        "agentroute --help": seconds([*cli, "--help"], args.repeat),
        "agentroute pool show": seconds([*cli, "pool", "show"], args.repeat),
    }
    for name, row in rows.items():
        print(f"{name:24} wall min {row['min_s']:.3f} s  median {row['median_s']:.3f} s  cpu {row['cpu_s']:.3f} s")
    if args.imports:
        app = "from agentroute.cli.app import app"
        show = f"{app}\nfrom agentroute.pool import load_pool\nload_pool()"
        print("heavy imports, --help:", heavy_imports(app) or "none")
        print("heavy imports, pool show:", heavy_imports(show) or "none")


if __name__ == "__main__":
    main()
