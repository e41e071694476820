"""`agentroute bench …`: the benchmark harnesses. Each command lives in its own module."""

from __future__ import annotations

import typer

from agentroute.cli.bench_healing import healing
from agentroute.cli.bench_replay import replay
from agentroute.cli.bench_twin import twin

bench_app = typer.Typer(help="Benchmarks: score routers offline.", no_args_is_help=True)
bench_app.command("replay")(replay)
bench_app.command("twin")(twin)
bench_app.command("healing")(healing)
