"""The root command: `--version`, `-h`, and every failure as one `error:` line.

`RootGroup` runs the command line in click's non-standalone mode and turns what escapes into a
single line and an exit code, for the installed script and for `CliRunner` alike: a usage error
(bad option value, missing argument, unknown command) exits 2, as click does; an AgentRouteError
or an OS error on a path the user gave (a file where a directory belongs, a missing folder) 2;
Ctrl-C 130."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from agentroute.cli.output import console, errors

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


def _one_line(message: str, code: int) -> NoReturn:
    errors.print(f"[bold red]error:[/] {' '.join(message.split())}", soft_wrap=True, highlight=False, markup=True)
    sys.exit(code)


def _escaped(message: str) -> str:
    from rich.markup import escape

    return escape(message)


class RootGroup(TyperGroup):
    """The top-level group: one-line errors instead of usage panels and tracebacks."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Run the command line; in standalone mode always end with sys.exit (one error line on failure)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from agentroute.errors import AgentRouteError

        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as error:  # click's errors: usage (exit 2), files
            if type(error).__name__ == "NoArgsIsHelpError":  # the help is already printed
                sys.exit(error.exit_code)
            context = getattr(error, "ctx", None)
            hint = f" (see: {context.command_path} -h)" if context is not None else ""
            _one_line(_escaped(error.format_message()) + hint, error.exit_code)
        except typer.Abort:
            _one_line("aborted", 1)
        except AgentRouteError as error:
            _one_line(_escaped(str(error)), 2)
        except ModuleNotFoundError as error:  # an optional extra that is not installed
            from agentroute.extras import missing_extra

            message = missing_extra(error)
            if message is None:
                raise
            _one_line(_escaped(message), 2)
        except OSError as error:
            where = f": {error.filename}" if error.filename else ""
            _one_line(_escaped(f"{error.strerror or error}{where}"), 2)
        sys.exit(code if isinstance(code, int) else 0)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"agentroute {version('agentroute')}", highlight=False)
        raise typer.Exit()


def root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Route every LLM call of a coding agent to the cheapest tier that still gets the task done."""
