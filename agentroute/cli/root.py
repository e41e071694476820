"""The root command: its subcommands loaded on first use, `--version`, `-h`, and every failure as
one `error:` line.

`COMMANDS` names each subcommand, where it is defined and its one-line help: `agentroute --help`
and completion of a command name read the table, so they import no command module (and neither
rich nor the command's own libraries); a command's module is imported when that command runs or
prints its own help. tests/test_cli_lazy.py keeps each line of the table true to its command.

`RootGroup` runs the command line in click's non-standalone mode and turns what escapes into a
single line and an exit code, for the installed script and for `CliRunner` alike: a usage error
(bad option value, missing argument, unknown command) exits 2, as click does; an AgentRouteError
or an OS error on a path the user gave (a file where a directory belongs, a missing folder) 2;
Ctrl-C 130."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, NoReturn

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter
    from typer._click.shell_completion import CompletionItem

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


class LazyCommand(NamedTuple):
    """A subcommand known by name before its module is imported."""

    target: str  # "module:attribute": a typer.Typer (a command group) or a command function
    summary: str  # the first sentence of its help, as `agentroute --help` lists it


# The order is the order `agentroute --help` lists them in.
COMMANDS: dict[str, LazyCommand] = {
    "run": LazyCommand("agentroute.cli.run_cmd:run",
                       "Run the routed coding agent on one task or a suite; writes predictions.jsonl (SWE-bench format)."),
    "eval": LazyCommand("agentroute.cli.eval_cmd:evaluate",
                        "Score predictions: locally against --tasks, else with the official SWE-bench harness (Docker)."),
    "validate": LazyCommand("agentroute.cli.eval_cmd:validate",
                            "Prove each task: FAIL_TO_PASS fails before the reference fix, everything passes after it."),
    "trace": LazyCommand("agentroute.cli.trace_cmd:trace",
                         "Print a run's decision trace (tier, model, tokens, cost, outcome, reason) with totals."),
    "runs": LazyCommand("agentroute.cli.trace_cmd:runs", "List the runs in the trace store, newest first."),
    "demo": LazyCommand("agentroute.cli.demo_cmd:demo",
                        "Route one scripted coding episode (mocked replies, real accounting) with each baseline policy."),
    "serve": LazyCommand("agentroute.cli.serve_cmd:serve",
                         "Serve /v1/chat/completions: every request is one routed step of its task, under the task's budget."),
    "pool": LazyCommand("agentroute.cli.pool_cmd:pool_app", "Inspect tier pools."),
    "bench": LazyCommand("agentroute.cli.bench_cmd:bench_app", "Benchmarks: score routers offline."),
    "tools": LazyCommand("agentroute.cli.tools_cmd:tools_app", "Tool graphs: plan a route, simulate failures and reroutes."),
    "memory": LazyCommand("agentroute.cli.memory_cmd:memory_app", "Inspect, export, import and clear the experience memory."),
}


def load_command(name: str, lazy: LazyCommand, group: TyperGroup) -> Command:
    """Import a lazy command's module and build its click command as `app.command(name)` or
    `app.add_typer(…, name=name)` on the root app would have."""
    import importlib

    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import CommandInfo, TyperInfo

    # pretty_exceptions_short: the app's default (its pretty exceptions are off anyway)
    module_name, _, attribute = lazy.target.partition(":")
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):
        return get_group_from_info(TyperInfo(target, name=name), pretty_exceptions_short=True,
                                   rich_markup_mode=group.rich_markup_mode, suggest_commands=group.suggest_commands)
    return get_command_from_info(CommandInfo(name=name, callback=target), pretty_exceptions_short=True,
                                 rich_markup_mode=group.rich_markup_mode)


class _Commands(MutableMapping[str, "Command"]):
    """The root's name → command mapping, in help order: the commands registered on the app, then
    COMMANDS, each imported and built the first time it is looked up."""

    def __init__(self, registered: Mapping[str, Command], lazy: Mapping[str, LazyCommand], group: TyperGroup) -> None:
        self._commands: dict[str, Command | None] = {**registered, **{name: None for name in lazy if name not in registered}}
        self._lazy = {name: entry for name, entry in lazy.items() if name not in registered}
        self._group = group

    def __getitem__(self, name: str) -> Command:
        command = self._commands[name]  # KeyError: no such command
        if command is None:
            command = self._commands[name] = load_command(name, self._lazy[name], self._group)
        return command

    def __setitem__(self, name: str, command: Command) -> None:
        self._commands[name] = command
        self._lazy.pop(name, None)

    def __delitem__(self, name: str) -> None:
        del self._commands[name]
        self._lazy.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def __iter__(self) -> Iterator[str]:
        return iter(self._commands)

    def __len__(self) -> int:
        return len(self._commands)

    def summary(self, name: str, limit: int) -> str | None:
        """A lazy command's one-line help cut to `limit` characters (as click cuts a command's
        help), without importing it; None for a command registered on the app."""
        from typer._click.utils import make_default_short_help

        lazy = self._lazy.get(name)
        return None if lazy is None else make_default_short_help(lazy.summary, limit)


def _one_line(message: str, code: int) -> NoReturn:
    from agentroute.cli.output import errors

    errors.print(f"[bold red]error:[/] {' '.join(message.split())}", soft_wrap=True, highlight=False, markup=True)
    sys.exit(code)


def _escaped(message: str) -> str:
    from rich.markup import escape

    return escape(message)


class RootGroup(TyperGroup):
    """The top-level group: COMMANDS loaded on first use, one-line errors instead of usage panels
    and tracebacks."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.commands = self.lazy_commands = _Commands(self.commands, COMMANDS, self)

    def list_commands(self, ctx: Context) -> list[str]:
        """The command names, in help order, without importing any command."""
        return list(self.commands)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The commands and their one-line help, as click lists them, from COMMANDS."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, summary) for name in names if (summary := self._summary(name, limit)) is not None]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        """Command names (with their one-line help, from COMMANDS) and options starting with `incomplete`."""
        from typer._click.shell_completion import CompletionItem

        items = [CompletionItem(name, help=summary) for name in self.list_commands(ctx)
                 if name.startswith(incomplete) and (summary := self._summary(name, 45)) is not None]
        return items + super(TyperGroup, self).shell_complete(ctx, incomplete)  # the options, as TyperGroup adds them

    def _summary(self, name: str, limit: int) -> str | None:
        """A command's one-line help cut to `limit` characters (from COMMANDS, without importing
        the command), or None for a hidden command."""
        summary = self.lazy_commands.summary(name, limit)
        if summary is not None:
            return summary
        command = self.commands[name]
        return None if command.hidden else command.get_short_help_str(limit)

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
        from agentroute import __version__  # the installed version: pyproject.toml reads it from here

        typer.echo(f"agentroute {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Route every LLM call of a coding agent to the cheapest tier that still gets the task done."""
