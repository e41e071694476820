"""Entry point: `agentroute [run|eval|validate|pool|trace|runs|demo|serve|bench|tools|memory …]`."""

from __future__ import annotations

import os

# typer's rich help and error boxes import markdown-it, pygments and attrs: +0.25 s of CPU on every
# `--help`. Plain help by default keeps `agentroute --help` under 0.3 s (benchmarks/cli_latency.py);
# TYPER_USE_RICH=1 brings the boxes back. Set before typer is imported, which reads it once.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer  # noqa: E402

from agentroute.cli.bench_cmd import bench_app
from agentroute.cli.memory_cmd import memory_app
from agentroute.cli.pool_cmd import pool_app
from agentroute.cli.root import HELP_OPTIONS, RootGroup, root
from agentroute.cli.trace_cmd import register_trace_commands
from agentroute.cli.demo_cmd import register_demo_command
from agentroute.cli.eval_cmd import register_eval_commands
from agentroute.cli.run_cmd import register_run_command
from agentroute.cli.serve_cmd import register_serve_command
from agentroute.cli.tools_cmd import tools_app

app = typer.Typer(
    name="agentroute",
    help="Route every LLM call of a coding agent to the cheapest tier that still gets the task done.",
    no_args_is_help=True,
    cls=RootGroup,
    context_settings=HELP_OPTIONS,
    pretty_exceptions_enable=False,
)
app.callback()(root)
register_run_command(app)
register_eval_commands(app)
app.add_typer(pool_app, name="pool")
app.add_typer(bench_app, name="bench")
app.add_typer(tools_app, name="tools")
app.add_typer(memory_app, name="memory")
register_trace_commands(app)
register_demo_command(app)
register_serve_command(app)


def main() -> None:
    """Run the CLI; any failure is one `error:` line and a non-zero exit (see RootGroup)."""
    app()


if __name__ == "__main__":
    main()
