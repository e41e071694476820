"""The decision trace: one record per model attempt (and per budget stop), and the store of runs.

An attempt is written twice: as `pending` with its reserve before the call, then with what it
billed. A resumed run rebuilds its ledger from these records, counting a still-pending attempt at
its reserve. `TraceStore(location)` opens the backend a location names, as `pathlib.Path` picks
its flavour: SQLite on this machine (agentroute/store/sqlite.py, the default) or the central
Postgres store (agentroute/store/postgres.py), which also keeps each run's budget ledger.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agentroute.budget import LocalAccount, validate_cap
from agentroute.errors import UnknownRun
from agentroute.money import usd

if TYPE_CHECKING:
    from agentroute.budget import Account


class TraceRecord(BaseModel):
    """One attempt of one step: what was chosen, why, what it used and what it cost."""

    run_id: str
    step: int
    attempt: int = 0
    kind: str = "model"
    node: str | None = None
    tier: int | None = None
    tier_name: str | None = None
    model: str | None = None
    reason: str = ""
    max_tokens: int | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reserved_nanos: int = 0
    cost_nanos: int = 0
    reported_cost_nanos: int | None = None
    overrun: bool = False
    outcome: str = "ok"
    error: str | None = None
    latency_ms: float = 0.0
    ts: float = Field(default_factory=time.time)

    @property
    def cost_usd(self) -> float:
        """Billed cost in USD."""
        return usd(self.cost_nanos)

    @property
    def attempt_key(self) -> str | None:
        """Identity of a model attempt within its run (its pending and billed records share it)."""
        return f"{self.step}:{self.attempt}" if self.kind == "model" else None


class RunInfo(BaseModel):
    """A run's header: its budget, pool, policy and outcome."""

    run_id: str
    created: float
    cap_usd: float
    pool: str
    policy: str
    outcome: str | None = None
    task: dict[str, Any] = Field(default_factory=dict)


class TraceStore(ABC):
    """Run headers and trace records. `TraceStore(location)` opens a postgresql:// URL in
    Postgres and a path in SQLite; no location means $AGENTROUTE_DB if set, else
    $AGENTROUTE_HOME/runs.sqlite. `where` names the store in messages."""

    where: str

    def __new__(cls, location: str | Path | None = None, **options: Any) -> TraceStore:
        if cls is TraceStore:
            from agentroute.store.location import is_postgres, store_location

            if is_postgres(store_location(location)):
                from agentroute.store.postgres import PostgresTraceStore as cls  # noqa: N813
            else:
                from agentroute.store.sqlite import SqliteTraceStore as cls  # noqa: N813
        return super().__new__(cls)

    @abstractmethod
    def start_run(self, info: RunInfo) -> RunInfo:
        """Record a new run, or return the stored header when the run already exists."""

    @abstractmethod
    def finish_run(self, run_id: str, outcome: str) -> None:
        """Set a run's outcome."""

    @abstractmethod
    def append(self, record: TraceRecord) -> None:
        """Store one record, replacing the earlier record of the same attempt."""

    @abstractmethod
    def find_run(self, run_id: str) -> RunInfo | None:
        """The run's header, or None."""

    @abstractmethod
    def run_ids(self) -> list[str]:
        """Every run id, newest first."""

    @abstractmethod
    def records(self, run_id: str) -> list[TraceRecord]:
        """The run's records (one per attempt, the latest state) in the order first written."""

    @abstractmethod
    def flush(self, timeout: float | None = None) -> int:
        """Wait until every record is written (or timeout seconds); how many remain unwritten."""

    @abstractmethod
    def close(self) -> None:
        """Write what is pending and close the store."""

    def ledger_account(self, run_id: str, cap_usd: float) -> Account:
        """Where the run's budget totals live: this process's memory here (a resumed run gets its
        spend back from its records); a shared store keeps them for every process."""
        return LocalAccount(validate_cap(cap_usd))

    def run(self, run_id: str) -> RunInfo:
        """The run's header, or UnknownRun."""
        info = self.find_run(run_id)
        if info is None:
            raise UnknownRun(f"no run {run_id!r} in trace store {self.where}")
        return info

    def runs(self) -> list[RunInfo]:
        """All runs, newest first."""
        return [self.run(run_id) for run_id in self.run_ids()]

    def spent_nanos(self, run_id: str) -> int:
        """Everything billed to the run so far (a pending attempt counts at its reserve)."""
        return sum(record.cost_nanos for record in self.records(run_id))

    def records_of(self, run_ids: Sequence[str]) -> list[TraceRecord]:
        """The records of several runs (a task's attempts), one run after another."""
        return [record for run_id in run_ids for record in self.records(self.run(run_id).run_id)]

    def export_jsonl(self, run_id: str | Sequence[str], path: Path) -> int:
        """Write the run's records (or those of several runs, one run after another) as JSON lines;
        returns how many were written."""
        return write_jsonl(self.records_of([run_id] if isinstance(run_id, str) else run_id), path)


def write_jsonl(records: list[TraceRecord], path: Path) -> int:
    """Write trace records as JSON lines; returns how many were written."""
    with path.open("w") as out:
        for record in records:
            out.write(record.model_dump_json() + "\n")
    return len(records)
