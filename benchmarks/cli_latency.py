"""Wall time of the quick CLI commands a newcomer types first, each in a fresh process.

`agentroute --help` (target < 0.3 s) should pay for typer only, and `agentroute pool show`
(target < 0.5 s) not for litellm, LangGraph or Chroma; `python -c pass` is the interpreter's
own start-up, for scale. Each command runs `--repeat` times; the median and the 90th percentile
of the wall time are the figures to compare, the minimum CPU time (user + system) is what the
command itself costs even on a busy machine, and the load average is printed before and after
(the machine may be shared). `--subcommands` adds every subcommand's `--help`; `--imports` lists
the heavy packages `--help` and `pool show` import.

    python benchmarks/cli_latency.py [--repeat 10] [--subcommands] [--imports]

Measured here (2 cores shared with other jobs, load average 6-7.5, 10 runs each, old and new
code interleaved; `python -c pass` 0.04 s CPU): `--help` 0.55 s median / 0.62 s p90 wall and
0.26 s CPU before the subcommands loaded lazily, 0.33 s / 0.42 s and 0.15 s CPU after; `pool show`
1.11 s / 1.32 s and 0.56 s CPU before, 0.78 s / 1.15 s and 0.42 s CPU after. On this load the
wall time is about twice the CPU time. What is left is the floor of the libraries: `--help` is
`import typer` (0.12 s CPU) and hardly more; `pool show` adds pydantic (which typer 0.29 also
imports to coerce any option, ~0.1 s), rich's console and table, and the pool's models. Every
subcommand's `--help` imports pydantic for the same typer reason (0.3-0.4 s CPU).

Later (load average ~1): `pool show` prints plain text instead of a rich table, which cut its
median from 0.600 s to 0.505 s (old and new code interleaved, 30 runs each); on its own at that
hour, 0.53-0.57 s median and 0.37-0.44 s CPU. `python -c "import typer; from pydantic import
BaseModel"` alone costs ~0.28 s of CPU on this machine.
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

HEAVY = ("litellm", "langgraph", "langchain", "chromadb", "sklearn", "numpy", "matplotlib", "openai", "tiktoken",
         "typer", "rich", "pydantic")


def agentroute_command() -> list[str]:
    """The console script next to this interpreter (what `pip install` put on PATH)."""
    script = Path(sys.executable).parent / "agentroute"
    return [str(script)] if script.exists() else [shutil.which("agentroute") or "agentroute"]


def seconds(command: list[str], repeat: int) -> dict[str, float]:
    """Median and 90th-percentile wall seconds of `command` over `repeat` fresh runs (exit code
    checked), and its minimum CPU seconds (user + system), which other load hardly changes."""
    times, cpu = [], []
    env = {**os.environ, "COLUMNS": "120"}
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    p90 = statistics.quantiles(times, n=10, method="inclusive")[-1] if repeat > 1 else times[0]
    return {"median_s": statistics.median(times), "p90_s": p90, "cpu_s": min(cpu)}


def subcommand_paths() -> list[list[str]]:
    """Every command and subcommand of the CLI, as argument lists (`["bench", "replay"]`)."""
    import typer
    from typer._click import Command, Context
    from typer.core import TyperGroup

    from agentroute.cli.app import app

    paths: list[list[str]] = []

    def walk(group: Command, prefix: list[str]) -> None:
        if not isinstance(group, TyperGroup):
            return
        context = Context(group)
        for name in group.list_commands(context):
            paths.append([*prefix, name])
            walk(group.get_command(context, name), [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


def heavy_imports(cli_args: list[str]) -> list[str]:
    """Which heavy top-level packages `agentroute ARGS` imports (run in a fresh interpreter)."""
    probe = ("import atexit, sys, json\n"
             "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted({m.split('.')[0] for m in sys.modules}))))\n"
             f"sys.argv = ['agentroute', *{cli_args!r}]\n"
             "from agentroute.cli.app import main\nmain()")
    done = subprocess.run([sys.executable, "-P", "-c", probe], capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"})
    loaded = set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))
    return [name for name in HEAVY if name in loaded]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--subcommands", action="store_true", help="also time every subcommand's --help")
    parser.add_argument("--imports", action="store_true", help="also list heavy packages --help and pool show import")
    args = parser.parse_args()
    cli = agentroute_command()
    commands = {"python -c pass": [sys.executable, "-c", "pass"]}
    for cli_args in (["--help"], ["-h"], ["--version"], ["pool", "show"]):
        commands[" ".join(["agentroute", *cli_args])] = [*cli, *cli_args]
    if args.subcommands:
        for path in subcommand_paths():
            commands[" ".join(["agentroute", *path, "--help"])] = [*cli, *path, "--help"]
    print(f"load average before: {load_average()}  (cores: {os.cpu_count()}, runs per command: {args.repeat})")
    width = max(len(name) for name in commands)
    for name, command in commands.items():
        row = seconds(command, args.repeat)
        print(f"{name:{width}}  wall median {row['median_s']:.3f} s  p90 {row['p90_s']:.3f} s  cpu min {row['cpu_s']:.3f} s",
              flush=True)
    print(f"load average after:  {load_average()}")
    if args.imports:
        print("heavy imports, --help:", heavy_imports(["--help"]) or "none")
        print("heavy imports, pool show:", heavy_imports(["pool", "show"]) or "none")


if __name__ == "__main__":
    main()
