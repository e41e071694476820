"""The root command loads its subcommands on first use: `agentroute --help` and completion read
the COMMANDS table (agentroute/cli/root.py), which must say what the commands themselves say, and
the quick commands import none of the heavy libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer
from typer._click import Context, HelpFormatter
from typer.core import TyperGroup
from typer.testing import CliRunner

from agentroute.cli.app import app
from agentroute.cli.root import COMMANDS, RootGroup

QUICK_IMPORTS = ("litellm", "langgraph", "chromadb", "langchain", "numpy", "sklearn")


def fresh_root() -> RootGroup:
    """The root group as the installed command builds it, with no command loaded yet."""
    group = typer.main.get_command(app)
    assert isinstance(group, RootGroup)
    return group


def fully_loaded_root() -> RootGroup:
    group = fresh_root()
    for name in COMMANDS:
        group.commands[name]  # noqa: B018 - the lookup imports and builds the command
    return group


def test_each_line_of_the_table_is_what_its_command_says() -> None:
    group = fully_loaded_root()
    for name, entry in COMMANDS.items():
        command = group.commands[name]
        assert command.name == name
        assert entry.summary == command.get_short_help_str(limit=10_000), name
        assert not command.hidden


@pytest.mark.parametrize("width", [60, 80, 200])
def test_root_help_from_the_table_is_the_help_of_the_loaded_commands(width: int) -> None:
    lazy, loaded = fresh_root(), fully_loaded_root()
    rendered = []
    for group, format_commands in ((lazy, lazy.format_commands), (loaded, lambda c, f: TyperGroup.format_commands(loaded, c, f))):
        formatter = HelpFormatter(width=width)
        format_commands(Context(group, info_name="agentroute"), formatter)
        rendered.append(formatter.getvalue())
    assert rendered[0] == rendered[1]
    assert all(name in rendered[0] for name in COMMANDS)


@pytest.mark.parametrize("incomplete", ["", "r", "po", "zz"])
def test_command_completion_from_the_table_is_the_completion_of_the_loaded_commands(incomplete: str) -> None:
    lazy, loaded = fresh_root(), fully_loaded_root()
    items = [[(item.value, item.help) for item in group_complete(Context(group, info_name="agentroute"), incomplete)]
             for group, group_complete in ((lazy, lazy.shell_complete),
                                           (loaded, lambda c, i: TyperGroup.shell_complete(loaded, c, i)))]
    assert items[0] == items[1]
    assert [value for value, _ in items[0] if not value.startswith("-")] == [name for name in COMMANDS if name.startswith(incomplete)]


def test_help_lists_every_command_and_a_mistyped_one_is_suggested() -> None:
    result = CliRunner().invoke(app, ["--help"], prog_name="agentroute")
    assert result.exit_code == 0 and all(f" {name} " in result.output for name in COMMANDS)
    typo = CliRunner().invoke(app, ["rnu"], prog_name="agentroute")
    assert typo.exit_code == 2 and "No such command 'rnu'. Did you mean 'run'?" in typo.output


def modules_after(*args: str) -> set[str]:
    """The top-level modules (and agentroute's own) that `agentroute ARGS` imported, in a fresh interpreter."""
    probe = ("import atexit, json, sys\n"
             "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules))))\n"
             f"sys.argv = ['agentroute', *{list(args)!r}]\n"
             "from agentroute.cli.app import main\nmain()")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "120"})
    assert "Traceback" not in done.stderr, done.stderr
    return set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"], []])
def test_root_help_and_version_import_no_command_rich_nor_pydantic(args: list[str]) -> None:
    loaded = modules_after(*args)
    tops = {name.split(".")[0] for name in loaded}
    assert not tops & {"rich", "pydantic", *QUICK_IMPORTS}, sorted(tops)
    assert not {name for name in loaded if name.startswith("agentroute.cli.") and name.endswith("_cmd")}


def test_pool_show_and_a_subcommand_help_import_only_what_they_need() -> None:
    shown = modules_after("pool", "show")
    assert not {name.split(".")[0] for name in shown} & {"rich", *QUICK_IMPORTS}  # plain text: rich is ~0.1 s
    assert "agentroute.cli.run_cmd" not in shown
    run_help = modules_after("run", "--help")
    assert not {name.split(".")[0] for name in run_help} & {"rich", *QUICK_IMPORTS}
