"""Where an experience memory lives, and the Chroma handles opened on it.

A `Home` is one Chroma client: for a store directory (shared by every memory of this process on
that directory), for a server, or in this process only. A `Slot` is one collection of a home with
its side index, its Chroma handle and the generation last seen. Embedded slots are registered per
(directory, collection), so memories of one process opening the same store share them.
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings

from agentroute.errors import AgentRouteError
from agentroute.memory.errors import MemoryDamaged, MemoryUnavailable
from agentroute.memory.index import SideIndex
from agentroute.memory.lock import StoreLock

DEFAULT_PATH = Path("memory") / "chroma"


class Home:
    """One Chroma client for a store directory (shared by this process), a server (per memory), or
    this process only (`url` None and `path` None: Chroma's in-memory client, nothing on disk)."""

    def __init__(self, path: Path | None, url: str | None) -> None:
        self.path = path
        self.url = url
        self.lock = StoreLock(None if path is None else path / "agentroute.lock")
        self.epoch = 0
        with self.lock.exclusive():  # two processes creating one new store must not race
            self.client = self._connect()

    def _connect(self) -> ClientAPI:
        settings = Settings(anonymized_telemetry=False)
        if self.path is not None:
            return chromadb.PersistentClient(path=str(self.path), settings=settings)
        if self.url is None:
            return chromadb.EphemeralClient(settings=settings)
        parsed = urlparse(self.url or "")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise AgentRouteError(f"memory url must look like http://host:8000, got {self.url!r}")
        return chromadb.HttpClient(
            host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https", settings=settings,
        )

    def collection_names(self) -> list[str]:
        """The names of the collections this client holds, sorted."""
        return sorted(collection.name for collection in self.client.list_collections())

    def reopen(self) -> None:
        """Drop this process's cached Chroma state and load the store again from disk."""
        self.client.close()
        self.client = self._connect()
        self.epoch += 1


class Slot:
    """One collection of a home: its side index, its Chroma handle and the generation last seen.
    A read-only slot works on an in-memory copy of the side index and never writes the file."""

    def __init__(self, home: Home, name: str, *, read_only: bool = False) -> None:
        self.home = home
        self.name = name
        self.read_only = read_only
        file = None if home.path is None else home.path / f"agentroute-{name}.sqlite3"
        with home.lock.exclusive():  # no write of another process half seen
            if file is None:
                self.side = SideIndex(None)
            elif read_only:
                self.side = SideIndex.snapshot(file) or SideIndex(None)
            else:
                self.side = SideIndex.repaired(file)
        self.chroma: Collection | None = None
        self.epoch = -1
        self.seen = -1


_HOMES: dict[Path, Home] = {}
_SLOTS: dict[tuple[Path, str], Slot] = {}
_REGISTRY = threading.Lock()


@atexit.register
def _close_side_indexes() -> None:
    """At exit, close the registered side indexes: SQLite folds each one's write-ahead log into its
    file, so a store this process wrote is whole on disk (its files copy as they are) once it ends."""
    with _REGISTRY:
        for slot in _SLOTS.values():
            slot.side.db.close()


def embedded_slot(path: Path, name: str, read_only: bool) -> Slot:
    """The slot of collection `name` in the store directory `path`: the registered one (created if
    need be) for writing, a fresh one on the shared home for reading an existing store."""
    with _REGISTRY:
        if path.is_dir():
            _refuse_lost_chroma(path)
        if not read_only:
            return _registered_slot(path, name)
        if not (path / "chroma.sqlite3").is_file():
            raise MemoryUnavailable(f"no experience memory at {path}")
        if path not in _HOMES:
            _HOMES[path] = Home(path, None)
        names = _HOMES[path].collection_names()
        if name not in names:
            raise MemoryUnavailable(f"no collection {name!r} in the experience memory at {path} "
                                    f"(it holds {', '.join(names) or 'none'})")
        return Slot(_HOMES[path], name, read_only=True)


def _refuse_lost_chroma(path: Path) -> None:
    """Before Chroma opens a directory (and would start an empty store there): refuse when its
    chroma.sqlite3 is missing or empty while a side index still lists records (or is unreadable)."""
    chroma_file = path / "chroma.sqlite3"
    if chroma_file.is_file() and chroma_file.stat().st_size > 0:
        return
    for side_file in sorted(path.glob("agentroute-*.sqlite3")):
        side = SideIndex.snapshot(side_file)
        listed = None if side is None else side.count()
        if listed != 0:
            state = "empty" if chroma_file.exists() else "missing"
            lists = "is unreadable" if listed is None else f"lists {listed} records"
            raise MemoryDamaged(f"experience memory at {path} is damaged: chroma.sqlite3 is {state} but the side index "
                                f"{side_file.name} {lists}; nothing was changed: restore chroma.sqlite3 from a backup, "
                                f"or delete {side_file.name} to start an empty memory")


def _registered_slot(path: Path, name: str) -> Slot:
    if path.is_file():
        raise AgentRouteError(f"experience memory path {path} is a file, not a directory")
    if not path.exists():  # removed since this process opened it: forget the old handles
        _HOMES.pop(path, None)
        for key in [key for key in _SLOTS if key[0] == path]:
            del _SLOTS[key]
    path.mkdir(parents=True, exist_ok=True)
    if path not in _HOMES:
        _HOMES[path] = Home(path, None)
    if (path, name) not in _SLOTS:
        _SLOTS[(path, name)] = Slot(_HOMES[path], name)
    return _SLOTS[(path, name)]


def forget_slot(path: Path | None, name: str, slot: Slot) -> None:
    """Drop `slot` from the registry if it is still the one held for (path, name): the next open
    reads the directory again (the user may repair it meanwhile)."""
    with _REGISTRY:
        if _SLOTS.get((path, name)) is slot:
            del _SLOTS[(path, name)]


def where_memory_lives(path: str | Path | None, url: str | None) -> tuple[Path | None, str | None]:
    """(store directory, None) or (None, server URL): the arguments, else $AGENTROUTE_MEMORY_URL,
    else $AGENTROUTE_MEMORY, else ./memory/chroma."""
    url = url if url is not None else os.environ.get("AGENTROUTE_MEMORY_URL") or None
    if url:
        return None, url
    return Path(path or os.environ.get("AGENTROUTE_MEMORY") or DEFAULT_PATH).resolve(), None
