"""`agentroute memory stats | export FILE | import FILE | clear`: inspect and move the experience memory.

Each command works on one collection of the store (`--collection`): `experience` (the step router's
records, the default) or `escalation` (what `agentroute run --attempts` learned per task and tier
floor); `stats` lists every collection of the store with its record count.

`stats` and `export` open the store read-only: they never add, change or remove a record nor write
the side index. A damaged store (Chroma missing records its side index lists) is one error line
naming both counts and a non-zero exit, for every command; nothing is changed."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from agentroute.cli.output import console, fail
from agentroute.memory.records import DEFAULT_COLLECTION

if TYPE_CHECKING:
    from agentroute.memory.store import ExperienceMemory

memory_app = typer.Typer(help="Inspect, export, import and clear the experience memory.", no_args_is_help=True)

PathOption = Annotated[
    Optional[Path],
    typer.Option("--path", help="Store directory. Default: $AGENTROUTE_MEMORY, else ./memory/chroma."),
]
UrlOption = Annotated[
    Optional[str],
    typer.Option("--url", help="Chroma server, e.g. http://host:8000 (instead of a directory). Default: $AGENTROUTE_MEMORY_URL."),
]
CollectionOption = Annotated[
    str,
    typer.Option("--collection", help="Collection of the store: experience (the step router's records) or escalation "
                                      "(the task-level attempts of `agentroute run --attempts`)."),
]


def _open(path: Path | None, url: str | None, collection: str, *, create: bool = False,
          read_only: bool = False) -> ExperienceMemory:
    from agentroute.memory.slots import where_memory_lives
    from agentroute.memory.store import ExperienceMemory

    directory, _ = where_memory_lives(path, url)
    if directory is not None and not create and not directory.is_dir():
        fail(f"no experience memory at {directory} (pass --path or set AGENTROUTE_MEMORY)")
    return ExperienceMemory(path, url=url, collection=collection, read_only=read_only)


def _when(timestamp: float | None) -> str:
    return "-" if timestamp is None else datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@memory_app.command("stats")
def stats(path: PathOption = None, url: UrlOption = None, collection: CollectionOption = DEFAULT_COLLECTION) -> None:
    """Where the memory is, its collections, and for one: how many records, per model and per group, oldest and newest."""
    from rich.markup import escape
    from rich.table import Table

    memory = _open(path, url, collection, read_only=True)
    summary = memory.stats()
    console.print(f"memory {escape(summary.url or summary.path or '')} · collection {summary.collection}")
    console.print("collections: " + " · ".join(f"{escape(name)} ({count} records)" for name, count in memory.collections().items()),
                  highlight=False)
    console.print(f"records {summary.count} of {summary.max_records} · oldest {_when(summary.oldest)} · newest {_when(summary.newest)}")
    for title, counts in (("model", summary.per_model), ("group", summary.groups)):
        table = Table(title=f"records per {title}")
        table.add_column(title)
        table.add_column("records", justify="right")
        for name, count in counts.items():
            table.add_row(escape(name or "(none)"), str(count))
        console.print(table)


@memory_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="JSONL file to write (one experience per line).")],
    path: PathOption = None,
    url: UrlOption = None,
    collection: CollectionOption = DEFAULT_COLLECTION,
) -> None:
    """Write every experience as JSON lines, oldest first."""
    written = _open(path, url, collection, read_only=True).export_jsonl(file)
    console.print(f"exported {written} experiences to {file}")


@memory_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="JSONL file of experiences (as written by export), or of labeled TwinRouterBench-format step rows.")],
    path: PathOption = None,
    url: UrlOption = None,
    collection: CollectionOption = DEFAULT_COLLECTION,
) -> None:
    """Add the experiences of a JSONL file; a bad line is an error and nothing is written.

    A TwinRouterBench-format file (rows with `messages` and `target_tier`) becomes labeled
    experiences: each row, one per tier, sufficient iff the tier ≥ its label. The learned policy
    fits on them (with its shipped seed) the next time it starts with this memory."""
    from agentroute.memory.jsonl import read_jsonl
    from agentroute.memory.labeled import is_labeled_file, labeled_experiences
    from agentroute.policies.sufficiency import LEVELS
    from agentroute.twin.records import load_bank

    labeled = is_labeled_file(file)
    # validated whole before a store is created: a bad line writes nothing
    experiences = labeled_experiences(load_bank(file).rows) if labeled else read_jsonl(file)
    added = _open(path, url, collection, create=True).import_experiences(experiences)
    what = f"labeled experiences ({added // LEVELS} steps × {LEVELS} tiers)" if labeled else "experiences"
    console.print(f"imported {added} {what} from {file}")


@memory_app.command("clear")
def clear(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    path: PathOption = None,
    url: UrlOption = None,
    collection: CollectionOption = DEFAULT_COLLECTION,
) -> None:
    """Delete every experience (asks first unless --yes)."""
    memory = _open(path, url, collection)
    count = memory.count()
    if not yes:
        if not sys.stdin.isatty():
            fail(f"refusing to delete {count} experiences without confirmation: pass --yes")
        if not typer.confirm(f"Delete all {count} experiences in {memory.url or memory.path}?"):
            fail("nothing deleted", code=1)
    removed = memory.clear()
    console.print(f"deleted {removed} experiences from {memory.url or memory.path}")
