"""Cost of confining one agent command: no sandbox vs Landlock only vs bubblewrap + Landlock.

Times `Workspace.run` end to end (script file, launch, wait, output read) for `true` and for
`python -c pass`, on one workspace per layer, and prints p50/p99 per layer and command in ms.

    python benchmarks/sandbox_overhead.py [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from agentroute.swe.workspace import SandboxSettings, Workspace

COMMANDS = ("true", "python -c pass")
LAYERS = ("none", "landlock", "bwrap")


def timings(workspace: Workspace, command: str, runs: int) -> list[float]:
    """Milliseconds per run of `command` (after one warm-up run)."""
    workspace.run(command)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = workspace.run(command)
        samples.append((time.perf_counter() - started) * 1000)
        assert result.exit_code == 0, result.output
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        (source / "module.py").write_text("VALUE = 1\n")
        report = {}
        for layer in LAYERS:
            workspace = Workspace.create(source, settings=SandboxSettings(layer=layer), parent=Path(scratch))
            for command in COMMANDS:
                samples = sorted(timings(workspace, command, args.runs))
                report[f"{layer} · {command}"] = {"p50_ms": round(statistics.median(samples), 1),
                                                  "p99_ms": round(samples[int(0.99 * (len(samples) - 1))], 1)}
            workspace.remove()
    print(json.dumps({"runs": args.runs, "per_command": report}, indent=2))


if __name__ == "__main__":
    main()
