"""The experience memory: Context → Action → Feedback records in Chroma, retrieved by kNN.

Where it lives: an embedded Chroma store in a directory (`path`, default `$AGENTROUTE_MEMORY` or
`./memory/chroma`), or a Chroma server (`url`, default `$AGENTROUTE_MEMORY_URL`) so several
machines share one memory; slots.py resolves it and keeps the process's Chroma handles. Telemetry is off; embeddings come from our offline hashing embedder
unless another embedding function is passed (Chroma's default would download a model).

Beside Chroma, a SQLite side index (see `index.py`) keeps each record's outcome and the running
per-group totals, so a retrieval is one Chroma kNN query plus primary-key reads.

Guarantees of the embedded store, measured in tests/test_memory_concurrency.py:
- Crash: a process killed during a series of adds leaves a store that reopens holding every record
  whose `add` returned. The side index marks itself dirty before each write touches Chroma and
  clears the mark in the transaction that records the write; a store found dirty (or whose counts
  disagree) is re-indexed from Chroma when opened.
- Several processes on one directory: writers are serialised by an flock on `agentroute.lock`, and
  no acknowledged record is lost. Chroma's embedded mode keeps a per-process in-memory HNSW index
  that never sees other processes' writes, and a stale process that writes persists its stale
  index over the newer one on disk (measured: the store then fails with "Error finding id"). So
  every completed write bumps a generation counter in the side index, and a process that sees the
  generation move reopens its Chroma client (under the lock, loading the index before anyone can
  write) before it reads or writes. Readers therefore see every write completed before their
  query; the price is a reload of the HNSW index (≈0.3–0.7 s at 100k records) after each write of
  another process. Not guaranteed: another `PersistentClient` on the same directory in this
  process (outside this class) defeats the reload, and the lock is not meant for network file
  systems. For a memory shared by many processes or machines, run a Chroma server and pass `url`.
- Damage: opening compares Chroma with the side index. A side index that is damaged (not a
  database, failing SQLite's quick check) or behind Chroma is rebuilt from it. A chroma.sqlite3
  that is missing or empty, or a Chroma holding fewer records than a clean side index lists, is
  MemoryDamaged: nothing is changed and the store is never read as an empty memory. A store whose
  chroma.sqlite3 disappears while open raises MemoryUnavailable on every call (the run's
  experience source then routes without memory, see guard.py); it is not recreated behind the run.
- Server mode: Chroma serialises writes. The side index is built in memory from the server when
  the memory opens and kept current with this process's own writes; neighbours found by a query
  are always live, but other machines' credits and their share of the group totals are seen at the
  next open, and eviction removes the oldest records this process knows.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
from chromadb.api.collection_configuration import CreateCollectionConfiguration
from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError

from agentroute.config_files import error_line
from agentroute.embedding import HashingEmbeddingFunction
from agentroute.errors import AgentRouteError
from agentroute.memory.codec import IndexRow, from_chroma, row_from_metadata, row_of, to_metadata
from agentroute.memory.errors import MemoryDamaged, MemoryUnavailable
from agentroute.memory.evidence import combine
from agentroute.memory.jsonl import read_jsonl
from agentroute.memory.records import DEFAULT_COLLECTION, Evidence, Experience, MemoryStats
from agentroute.memory.slots import Home, Slot, embedded_slot, forget_slot, where_memory_lives

BATCH = 5000
_COLLECTION_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]")  # Chroma's rule; also a safe file name
_STORE_ERRORS = (ChromaError, sqlite3.Error, OSError, ValueError, httpx.TransportError)  # the last: a server gone

# Cosine space; a search wide enough to be exact at the memory's sizes. With Chroma's defaults
# (ef_search 100) which neighbours a query finds changed from run to run of the same replay (the
# Chroma kNN row of `bench replay --seed 3` differed in 2 of 5 runs; 0 of 15 with these). A
# collection keeps the configuration it was created with.
HNSW_CONFIGURATION: CreateCollectionConfiguration = {"hnsw": {"space": "cosine", "ef_search": 2000, "ef_construction": 400}}


class ExperienceMemory:
    """Experiences in Chroma: add, credit task outcomes, retrieve evidence by kNN, move as JSONL."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        url: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        max_records: int = 100_000,
        embedding_function: Any = None,
        in_process: bool = False,
        read_only: bool = False,
    ) -> None:
        """`in_process` keeps the memory in this process only (Chroma's in-memory client, no files):
        for scratch memories such as a benchmark's, which need no persistence and write faster.
        `read_only` opens an existing store for reading: no record is added, changed or removed and
        the side index file is not written (a damaged or stale one is rebuilt in memory); Chroma's
        own bookkeeping may still touch its files.

        Opening checks the store: a side index that is damaged or behind Chroma is rebuilt from it
        (it is derived data); a Chroma store missing records its side index lists raises
        MemoryDamaged and changes nothing."""
        if max_records < 1:
            raise AgentRouteError(f"max_records must be at least 1, got {max_records}")
        if not _COLLECTION_NAME.fullmatch(collection):
            raise AgentRouteError(f"collection name must be 3-512 characters of [a-zA-Z0-9._-], starting and ending "
                                  f"with a letter or digit, got {collection!r}")
        if in_process:
            self.url, self.path = None, None
            collection = f"{collection}-{uuid.uuid4().hex}"  # in-memory clients of a process share collections
        else:
            self.path, self.url = where_memory_lives(path, url)
        self.collection = collection
        self.max_records = max_records
        self.read_only = read_only
        self.embedding_function = embedding_function or HashingEmbeddingFunction()
        with self._errors("cannot open"):
            self._slot = (Slot(Home(None, self.url), collection, read_only=read_only) if self.path is None
                          else embedded_slot(self.path, collection, read_only))
            try:
                with self._slot.home.lock.exclusive():
                    self._catch_up(check_counts=True)
            except MemoryDamaged:
                forget_slot(self.path, collection, self._slot)
                raise

    # ---------------------------------------------------------------- writing

    def add(self, experience: Experience, *, embedding: Sequence[float] | None = None) -> None:
        """Store one experience (an existing id is replaced); evicts the oldest past `max_records`."""
        self.add_many([experience], embeddings=None if embedding is None else [embedding])

    def add_many(self, experiences: list[Experience], *, embeddings: Sequence[Sequence[float]] | None = None) -> None:
        """Store experiences in one locked write (batches of 5,000 into Chroma); `embeddings`, if
        given, are their precomputed vectors in the same order."""
        if not experiences:
            return
        ids = [experience.id for experience in experiences]
        if len(set(ids)) != len(ids):
            duplicate = next(record_id for record_id in ids if ids.count(record_id) > 1)
            raise AgentRouteError(f"experience id {duplicate!r} appears twice in one batch")
        if embeddings is not None and len(embeddings) != len(experiences):
            raise AgentRouteError(f"{len(embeddings)} embeddings for {len(experiences)} experiences")
        vectors = list(embeddings) if embeddings is not None else self._embed([e.text for e in experiences])
        with self._writing() as chroma:
            for start in range(0, len(experiences), BATCH):
                batch = experiences[start:start + BATCH]
                chroma.upsert(
                    ids=[experience.id for experience in batch],
                    embeddings=[list(vector) for vector in vectors[start:start + BATCH]],
                    documents=[experience.text for experience in batch],
                    metadatas=[to_metadata(experience) for experience in batch],
                )
            with self._slot.side.transaction():
                self._slot.side.put([row_of(experience) for experience in experiences])
                self._evict(chroma)
                self._slot.seen = self._slot.side.finish_write()

    def credit(self, run_id: str, outcome: str, success: float) -> int:
        """Delayed credit: set `task_outcome` and `task_success` on every record of a run; returns
        how many records were credited."""
        if not 0.0 <= success <= 1.0:
            raise AgentRouteError(f"task success must be in [0, 1], got {success}")
        with self._writing() as chroma:
            found = chroma.get(where={"run_id": run_id}, include=["metadatas", "documents"])
            ids = list(found["ids"])
            rows: list[IndexRow] = []
            for record_id, metadata, document in zip(ids, found["metadatas"] or [], found["documents"] or []):
                rows.append(row_from_metadata(record_id, {**metadata, "task_success": success}, document))
            for start in range(0, len(ids), BATCH):
                chunk = ids[start:start + BATCH]
                chroma.update(ids=chunk, metadatas=[{"task_outcome": outcome, "task_success": success}] * len(chunk))
            with self._slot.side.transaction():
                self._slot.side.put(rows)
                self._slot.seen = self._slot.side.finish_write()
        return len(ids)

    def clear(self) -> int:
        """Delete every record; returns how many there were."""
        with self._writing() as chroma:
            removed = 0
            while ids := chroma.get(include=[], limit=BATCH)["ids"]:
                chroma.delete(ids=ids)
                removed += len(ids)
            with self._slot.side.transaction():
                self._slot.side.reset()
                self._slot.seen = self._slot.side.finish_write()
        return removed

    def import_jsonl(self, path: Path) -> int:
        """Add the experiences of a JSONL file (one `Experience` per line, blank lines skipped).
        Every line is validated first: a bad line is an error naming it, and nothing is written."""
        return self.import_experiences(read_jsonl(Path(path)))

    def import_experiences(self, experiences: list[Experience]) -> int:
        """Add already-validated experiences in batches; returns how many."""
        for start in range(0, len(experiences), BATCH):
            self.add_many(experiences[start:start + BATCH])
        return len(experiences)

    # ---------------------------------------------------------------- reading

    def evidence(
        self,
        text: str,
        *,
        group: str | None = None,
        k: int = 20,
        min_similarity: float = 0.2,
        shrink: float = 4.0,
        signal: Literal["step", "task"] = "step",
        embedding: Sequence[float] | None = None,
    ) -> Evidence:
        """Per-model and per-tier successes, trials and mean cost among the k nearest past contexts
        with cosine similarity ≥ min_similarity, shrunk toward the totals of `group` (of the whole
        memory when group is None): `shrink` pseudo-trials at the group's rate (see evidence.py).
        signal="task" counts a record's task outcome once credited, else its step outcome.
        Records with the same text are one context: every record sharing the text of a neighbour
        counts (so ties among identical contexts cannot make the result depend on Chroma's order,
        and the evidence is deterministic). Neighbours are not filtered by group. `embedding`
        skips embedding `text`."""
        if k < 1 or shrink < 0:
            raise AgentRouteError(f"k must be at least 1 and shrink at least 0, got k={k}, shrink={shrink}")
        vector = list(embedding) if embedding is not None else self._embed([text])[0]
        with self._reading() as chroma:
            found = chroma.query(query_embeddings=[vector], n_results=k, include=["distances"])
            close = [
                record_id
                for record_id, distance in zip(found["ids"][0], (found["distances"] or [[]])[0])
                if 1.0 - distance >= min_similarity
            ]
            rows = self._slot.side.rows(close)
            missing = [record_id for record_id in close if record_id not in rows]
            if missing:  # written by another machine since this memory opened (server mode)
                extra = chroma.get(ids=missing, include=["metadatas", "documents"])
                rows.update({i: row_from_metadata(i, m, d) for i, m, d in
                             zip(extra["ids"], extra["metadatas"] or [], extra["documents"] or [])})
            rows.update(self._slot.side.rows_with_text(sorted({row.text_key for row in rows.values()})))
            per_model, per_tier = self._slot.side.totals(group, signal)
        neighbours = sorted(rows.values(), key=lambda row: (row.text_key, row.created, row.id))
        return combine(neighbours, per_model, per_tier, shrink=shrink, signal=signal)

    def count(self) -> int:
        """Number of records."""
        with self._reading() as chroma:
            return chroma.count()

    def stats(self) -> MemoryStats:
        """Where the store is, how many records, per model and per group, oldest and newest."""
        with self._reading() as chroma:
            count = chroma.count()
            summary = self._slot.side.summary()
        return MemoryStats(
            path=None if self.path is None else str(self.path), url=self.url, collection=self.collection,
            count=count, max_records=self.max_records, per_model=summary.per_model, groups=summary.groups,
            oldest=summary.oldest, newest=summary.newest,
        )

    def collections(self) -> dict[str, int]:
        """Every collection of this memory's store (this one among them) and its record count."""
        with self._errors("cannot read"):
            return {name: self._slot.home.client.get_collection(name, embedding_function=self.embedding_function).count()
                    for name in self._slot.home.collection_names()}

    def experiences(self) -> list[Experience]:
        """Every record, oldest first."""
        by_id: dict[str, Experience] = {}
        with self._reading() as chroma, self._slot.home.lock.exclusive():  # pages must not move under us
            offset = 0
            while (page := chroma.get(include=["metadatas", "documents"], limit=BATCH, offset=offset))["ids"]:
                for record_id, document, metadata in zip(page["ids"], page["documents"] or [], page["metadatas"] or []):
                    by_id[record_id] = from_chroma(record_id, document, metadata)
                offset += len(page["ids"])
        return sorted(by_id.values(), key=lambda experience: (experience.created, experience.id))

    def export_jsonl(self, path: Path) -> int:
        """Write every record as one JSON line (oldest first; embeddings are not exported, import
        recomputes them). Written to a temporary file and renamed, so a crash leaves no half file."""
        path = Path(path)
        experiences = self.experiences()
        partial = path.with_name(path.name + ".partial")
        with self._errors("cannot write the export"):
            with partial.open("w", encoding="utf-8") as out:
                for experience in experiences:
                    out.write(experience.model_dump_json() + "\n")
            os.replace(partial, path)
        return len(experiences)

    # ---------------------------------------------------------------- internals

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except AgentRouteError:
            raise
        except _STORE_ERRORS as error:
            where = self.path if self.path is not None else self.url
            raise MemoryUnavailable(f"{what} experience memory at {where}: {error_line(error)}") from error

    def _present(self) -> None:
        """Refuse to use a store directory whose Chroma file was removed while this process had it
        open (Chroma would go on reading the deleted file and fail on the next write)."""
        if self.path is not None and not (self.path / "chroma.sqlite3").is_file():
            raise MemoryUnavailable(f"experience memory at {self.path} was removed while in use")

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, vector)) for vector in self.embedding_function(texts)]

    def _chroma(self) -> Collection:
        slot = self._slot
        if slot.chroma is None or slot.epoch != slot.home.epoch:
            if slot.read_only:
                slot.chroma = slot.home.client.get_collection(slot.name, embedding_function=self.embedding_function)
            else:
                slot.chroma = slot.home.client.get_or_create_collection(
                    slot.name, embedding_function=self.embedding_function, configuration=HNSW_CONFIGURATION,
                )
            slot.epoch = slot.home.epoch
        return slot.chroma

    def _catch_up(self, *, check_counts: bool = False) -> None:
        """Under the exclusive lock: reload Chroma if another process wrote since this one last
        looked, and rebuild the side index if a write was interrupted (or, at open, if it is behind
        Chroma). At open, Chroma holding fewer records than a clean side index lists is damage."""
        slot = self._slot
        generation, dirty = slot.side.state()
        stale = slot.chroma is None or slot.epoch != slot.home.epoch
        if slot.seen >= 0 and generation != slot.seen:
            slot.home.reopen()
            stale = True
        chroma = self._chroma()
        if stale:  # load the vector index now, while no other process can be persisting it
            chroma.query(query_embeddings=self._embed(["warm up"]), n_results=1, include=[])
        listed, held = (slot.side.count(), chroma.count()) if check_counts else (0, 0)
        if held < listed and not dirty:
            where = self.path if self.path is not None else self.url
            raise MemoryDamaged(f"experience memory at {where} is damaged: Chroma holds {held} records but its side "
                                f"index lists {listed}; nothing was changed: restore the store from a backup, or delete "
                                f"agentroute-{self.collection}.sqlite3 to accept what Chroma holds")
        if dirty or listed != held:
            self._rebuild(chroma)
        else:
            slot.seen = generation

    def _rebuild(self, chroma: Collection) -> None:
        side = self._slot.side
        with side.transaction():
            side.reset()
            offset = 0
            while (page := chroma.get(include=["metadatas", "documents"], limit=BATCH, offset=offset))["ids"]:
                side.put([row_from_metadata(i, m, d) for i, m, d in
                          zip(page["ids"], page["metadatas"] or [], page["documents"] or [])])
                offset += len(page["ids"])
            self._slot.seen = side.finish_write()

    def _evict(self, chroma: Collection) -> None:
        overflow = chroma.count() - self.max_records
        if overflow > 0:
            oldest = self._slot.side.oldest(overflow)
            for start in range(0, len(oldest), BATCH):
                chroma.delete(ids=oldest[start:start + BATCH])
            self._slot.side.remove(oldest)

    @contextmanager
    def _reading(self) -> Iterator[Collection]:
        with self._errors("cannot read"), self._slot.home.lock.local():
            self._present()
            generation, dirty = self._slot.side.state()
            if generation != self._slot.seen or dirty or self._slot.epoch != self._slot.home.epoch:
                with self._slot.home.lock.exclusive():
                    self._catch_up()
            yield self._chroma()

    @contextmanager
    def _writing(self) -> Iterator[Collection]:
        if self.read_only:
            raise AgentRouteError(f"experience memory at {self.path or self.url} is open read-only")
        with self._errors("cannot write"), self._slot.home.lock.exclusive():
            self._present()
            self._catch_up()
            self._slot.side.mark_dirty()
            yield self._chroma()
