"""Entry point: `agentroute [run|eval|validate|pool|trace|runs|demo|serve|bench|tools|memory …]`.

The commands are listed in agentroute/cli/root.py (COMMANDS) and imported when used, so that
`agentroute --help` and `agentroute pool show` stay fast (benchmarks/cli_latency.py)."""

from __future__ import annotations

import os

# typer's rich help and error boxes import markdown-it, pygments and attrs: +0.25 s of CPU on every
# `--help`. Plain help by default keeps `agentroute --help` under 0.3 s (benchmarks/cli_latency.py);
# TYPER_USE_RICH=1 brings the boxes back. Set before typer is imported, which reads it once.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer  # noqa: E402

from agentroute.cli.root import HELP_OPTIONS, RootGroup, root  # noqa: E402

app = typer.Typer(
    name="agentroute",
    help="Route every LLM call of a coding agent to the cheapest tier that still gets the task done.",
    no_args_is_help=True,
    cls=RootGroup,
    context_settings=HELP_OPTIONS,
    pretty_exceptions_enable=False,
)
app.callback()(root)


def main() -> None:
    """Run the CLI; any failure is one `error:` line and a non-zero exit (see RootGroup)."""
    app()


if __name__ == "__main__":
    main()
