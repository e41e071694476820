"""The side index: a small SQLite table of every record's scalars plus running totals per group.

Chroma holds the records (text, embedding, metadata) and is the source of truth; this index is
derived from it and can always be rebuilt from it. It exists for speed: retrieval reads the
neighbours' outcomes by primary key instead of asking Chroma for their metadata, the group totals
are O(1) to read (one row per (group, model) and (group, tier), kept current in the write path),
and eviction finds the oldest records through an index on `created`.

`meta` holds a `generation` (bumped by every completed write, so other processes can tell that
the store changed) and a `dirty` flag (set before a write touches Chroma, cleared in the same
transaction that records it here: a crash in between leaves `dirty` set and the index is rebuilt).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple

from agentroute.memory.codec import IndexRow

log = logging.getLogger("agentroute.memory")
Signal = Literal["step", "task"]
_CHUNK = 900
_COLUMNS = "id, run_id, created, grp, model, tier, success, task_success, cost, text_key"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0), ('dirty', 0);
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, created REAL NOT NULL, grp TEXT NOT NULL, model TEXT NOT NULL,
  tier INTEGER, success REAL, task_success REAL, cost REAL NOT NULL, text_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_created ON records (created, id);
CREATE INDEX IF NOT EXISTS records_text ON records (text_key);
CREATE TABLE IF NOT EXISTS totals (
  everywhere INTEGER NOT NULL, grp TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
  records INTEGER NOT NULL, cost REAL NOT NULL, step_s REAL NOT NULL, step_n INTEGER NOT NULL,
  task_s REAL NOT NULL, task_n INTEGER NOT NULL,
  PRIMARY KEY (everywhere, grp, kind, key)
);
"""
_UPSERT_TOTALS = """
INSERT INTO totals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (everywhere, grp, kind, key) DO UPDATE SET
  records = records + excluded.records, cost = cost + excluded.cost, step_s = step_s + excluded.step_s,
  step_n = step_n + excluded.step_n, task_s = task_s + excluded.task_s, task_n = task_n + excluded.task_n
"""


class Totals(NamedTuple):
    """Aggregates of one model or tier within a group (or the whole memory)."""

    records: int
    cost_usd: float
    successes: float
    trials: int


class Summary(NamedTuple):
    """Record counts per model and per group, and the oldest and newest `created`."""

    per_model: dict[str, int]
    groups: dict[str, int]
    oldest: float | None
    newest: float | None


def outcome(row: IndexRow, signal: Signal) -> float | None:
    """A record's success under a signal: the step outcome, or the task outcome once credited."""
    if signal == "task" and row.task_success is not None:
        return row.task_success
    return row.success


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class SideIndex:
    """The SQLite side index of one collection (a file, or in memory when `path` is None)."""

    def __init__(self, path: Path | None) -> None:
        self.db = sqlite3.connect(":memory:" if path is None else str(path), timeout=120.0,
                                  isolation_level=None, check_same_thread=False)
        if path is not None:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")

    @classmethod
    def repaired(cls, path: Path) -> SideIndex:
        """The side index at `path`; a damaged file is removed (it is derived data) and started
        empty, so the count check at open rebuilds it from Chroma."""
        try:
            return cls._checked(cls(path))
        except sqlite3.DatabaseError as error:
            log.warning("warning: the side index %s is damaged (%s); rebuilding it from Chroma", path, error)
        for damaged in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            damaged.unlink(missing_ok=True)
        return cls(path)

    @classmethod
    def snapshot(cls, path: Path) -> SideIndex | None:
        """An in-memory copy of the side index at `path`, the file left as it is; None when the
        file is missing or damaged."""
        if not path.is_file():
            return None
        copy = cls(None)
        try:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                source.backup(copy.db)
            finally:
                source.close()
            return cls._checked(copy)
        except sqlite3.DatabaseError as error:
            log.warning("warning: the side index %s is damaged (%s); reading Chroma without it", path, error)
            return None

    @staticmethod
    def _checked(index: SideIndex) -> SideIndex:
        """The index if SQLite's quick check passes and its tables are readable."""
        problem = index.db.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            index.db.close()
            raise sqlite3.DatabaseError(problem)
        index.state()
        index.count()
        return index

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def state(self) -> tuple[int, bool]:
        """(generation, dirty)."""
        values = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        return int(values["generation"]), bool(values["dirty"])

    def mark_dirty(self) -> None:
        """Commit dirty=1 before a write touches Chroma."""
        self.db.execute("UPDATE meta SET value = 1 WHERE key = 'dirty'")

    def finish_write(self) -> int:
        """Inside the write's transaction: clear dirty, bump and return the generation."""
        self.db.execute("UPDATE meta SET value = 0 WHERE key = 'dirty'")
        self.db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        return self.state()[0]

    def count(self) -> int:
        """Number of records."""
        return int(self.db.execute("SELECT count(*) FROM records").fetchone()[0])

    def rows(self, ids: Sequence[str]) -> dict[str, IndexRow]:
        """The rows of those ids that exist."""
        return self._rows_where("id", ids)

    def rows_with_text(self, keys: Sequence[str]) -> dict[str, IndexRow]:
        """Every row whose context text has one of these keys."""
        return self._rows_where("text_key", keys)

    def _rows_where(self, column: str, values: Sequence[str]) -> dict[str, IndexRow]:
        found: dict[str, IndexRow] = {}
        for chunk in _chunks(values):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT {_COLUMNS} FROM records WHERE {column} IN ({marks})", chunk):
                found[row[0]] = IndexRow(*row)
        return found

    def oldest(self, n: int) -> list[str]:
        """Ids of the n oldest records (by `created`, then id)."""
        return [row[0] for row in self.db.execute("SELECT id FROM records ORDER BY created, id LIMIT ?", (n,))]

    def put(self, rows: Iterable[IndexRow]) -> None:
        """Insert or replace rows, moving the totals by the difference (inside a transaction)."""
        new = {row.id: row for row in rows}
        old = self.rows(list(new))
        self._move_totals(list(old.values()), list(new.values()))
        self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", new.values())

    def remove(self, ids: Sequence[str]) -> None:
        """Delete rows and their share of the totals (inside a transaction)."""
        old = self.rows(ids)
        self._move_totals(list(old.values()), [])
        self.db.executemany("DELETE FROM records WHERE id = ?", [(record_id,) for record_id in old])

    def reset(self) -> None:
        """Delete every row and total (inside a transaction)."""
        self.db.execute("DELETE FROM records")
        self.db.execute("DELETE FROM totals")

    def totals(self, group: str | None, signal: Signal) -> tuple[dict[str, Totals], dict[int, Totals]]:
        """Per-model and per-tier totals of a group, or of the whole memory when group is None."""
        success, trials = ("step_s", "step_n") if signal == "step" else ("task_s", "task_n")
        per_model: dict[str, Totals] = {}
        per_tier: dict[int, Totals] = {}
        for kind, key, records, cost, successes, count in self.db.execute(
            f"SELECT kind, key, records, cost, {success}, {trials} FROM totals WHERE everywhere = ? AND grp = ?",
            (1, "") if group is None else (0, group),
        ):
            totals = Totals(records, cost, successes, count)
            if kind == "model":
                per_model[key] = totals
            else:
                per_tier[int(key)] = totals
        return per_model, per_tier

    def summary(self) -> Summary:
        """Counts per model and per group, oldest and newest `created`."""
        per_model = dict(self.db.execute(
            "SELECT key, records FROM totals WHERE everywhere = 1 AND kind = 'model' ORDER BY key"))
        groups = dict(self.db.execute(
            "SELECT grp, sum(records) FROM totals WHERE everywhere = 0 AND kind = 'model' GROUP BY grp ORDER BY grp"))
        oldest, newest = self.db.execute("SELECT min(created), max(created) FROM records").fetchone()
        return Summary(per_model, groups, oldest, newest)

    def _move_totals(self, removed: list[IndexRow], added: list[IndexRow]) -> None:
        delta: dict[tuple[int, str, str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0.0, 0])
        for sign, rows in ((-1, removed), (1, added)):
            for row in rows:
                step, task = outcome(row, "step"), outcome(row, "task")
                keys = [("model", row.model)] + ([] if row.tier is None else [("tier", str(row.tier))])
                for everywhere, group in ((0, row.group), (1, "")):
                    for kind, key in keys:
                        sums = delta[(everywhere, group, kind, key)]
                        sums[0] += sign
                        sums[1] += sign * row.cost_usd
                        if step is not None:
                            sums[2] += sign * step
                            sums[3] += sign
                        if task is not None:
                            sums[4] += sign * task
                            sums[5] += sign
        self.db.executemany(_UPSERT_TOTALS, [(*key, *sums) for key, sums in delta.items()])
        self.db.execute("DELETE FROM totals WHERE records <= 0")
