"""A run's output directory: one atomic record per finished task, and the files derived from them.

    out/run.json                 the batch id and the options a re-run must repeat
    out/records/<id>.json        one finished task (written to a temporary file, then renamed)
    out/results.jsonl            derived: every record, one line each, sorted by instance id
    out/predictions.jsonl        derived: SWE-bench's format, one line per record
    out/traces/<id>.jsonl        the decision trace of the task's attempts, exported before its record

A task is finished once its record exists: a kill at any point leaves it whole or absent, never
half written. The derived files are rewritten whole (temporary file, then rename) after each
record, and on opening the directory when they do not match the records, so a prediction is
never duplicated and a cut line is reported and repaired. Lines of a `results.jsonl` that have no
record yet (written by an older agentroute) become records; a cut last line among them is
dropped with a note (its task runs, or is re-written from its checkpoint, again).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from agentroute.errors import AgentRouteError, ConfigError
from agentroute.trace import TraceRecord, write_jsonl
from agentroute.swe.verify import VerdictName

Outcome = Literal["resolved", "unresolved", "budget_exhausted", "step_limit", "error"]


class AttemptResult(BaseModel):
    """One attempt at a task (`run --attempts`): its tier floor, how it ended, its check's verdict
    and what it cost. Each attempt is its own run in the trace store (`run_id`)."""

    attempt: int
    run_id: str
    tier_floor: str
    outcome: Outcome
    verdict: VerdictName
    reason: str
    spent_usd: float
    cap_usd: float
    steps: int


class TaskResult(BaseModel):
    """How one task ended and what it cost: the totals over its attempts, and the kept attempt's
    run id, outcome, patch, error and evaluation (the verified attempt, else the last)."""

    instance_id: str
    run_id: str
    outcome: Outcome
    spent_usd: float
    cap_usd: float
    steps: int
    tier_calls: dict[str, int]
    seconds: float
    patch: str = ""
    error: str | None = None
    evaluation: dict[str, Any] | None = None
    workspace: str | None = None  # kept only with AgentSettings.keep_workspace (--keep-workspaces)
    attempts: list[AttemptResult] = Field(default_factory=list)  # empty in records of older agentroutes
    # with --attempts > 1: why no further attempt ran ("verified", "error", "out of attempts", "budget spent",
    # "no tier above … left to try", or "policy: …", the escalation policy's own decision with its estimates)
    stop_reason: str | None = None

    def run_ids(self) -> list[str]:
        """The run of each attempt (one run for a task of one attempt)."""
        return [attempt.run_id for attempt in self.attempts] or [self.run_id]

    @computed_field
    @property
    def calls(self) -> int:
        """Billed model calls (all tiers)."""
        return sum(self.tier_calls.values())


class RunIdentity(BaseModel):
    """What a re-run into the same output directory must repeat to continue its runs."""

    batch: str
    budget_usd: float
    policy: str
    pool: str
    max_steps: int
    attempts: int = 1
    verify: str | None = None


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` whole: a temporary file beside it, flushed to disk, then renamed."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                     delete=False) as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)


class OutputDir:
    """The run's output files (thread-safe).

    One process at a time: it holds an exclusive lock on the directory until `close`. Its
    `run.json` fixes the batch id (run ids are swe-<batch>-<instance_id>) and the options a
    re-run must repeat, so a continued task keeps one budget. `notes` says what opening repaired."""

    def __init__(self, path: Path, wanted: RunIdentity, model_name: str) -> None:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"output directory {path} is a file")
        self.path = path
        self.model_name = model_name
        self.traces = path / "traces"
        self.records = path / "records"
        self.predictions = path / "predictions.jsonl"
        self.results = path / "results.jsonl"
        self.notes: list[str] = []
        self._lock = threading.Lock()
        try:
            self.traces.mkdir(parents=True, exist_ok=True)
            self.records.mkdir(exist_ok=True)
            self._held = (path / "lock").open("w")
        except OSError as error:
            raise ConfigError(f"cannot write to output directory {path}: {error.strerror}") from None
        try:
            fcntl.flock(self._held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._held.close()
            raise ConfigError(f"another agentroute run is writing to {path}; wait for it or use another --out") from None
        self.identity = self._identity(wanted)
        self.batch = self.identity.batch

    def _identity(self, wanted: RunIdentity) -> RunIdentity:
        saved_file = self.path / "run.json"
        if not saved_file.exists():
            write_atomically(saved_file, wanted.model_dump_json(indent=2))
            return wanted
        try:
            saved = RunIdentity.model_validate_json(saved_file.read_text())
        except ValueError:
            raise ConfigError(f"{saved_file} is not an agentroute run file; use another --out") from None
        differ = [name for name in ("budget_usd", "policy", "pool", "max_steps", "attempts", "verify")
                  if getattr(saved, name) != getattr(wanted, name)]
        if differ:
            was = ", ".join(f"{name}={getattr(saved, name)}" for name in differ)
            raise ConfigError(f"{self.path} continues a run started with {was}; repeat those options or use another --out")
        return saved

    def close(self) -> None:
        """Release the directory."""
        self._held.close()

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finished(self) -> dict[str, TaskResult]:
        """The finished tasks, after adopting older result lines and repairing the derived files."""
        for stale in [*self.path.glob(".*.tmp"), *self.records.glob(".*.tmp")]:  # a write a killed process left
            stale.unlink()
        done = self._all_records()
        for result in self._legacy_results():
            if result.instance_id not in done:
                write_atomically(self.records / f"{result.instance_id}.json", result.model_dump_json())
                done[result.instance_id] = result
        self._derive(done, repair=True)
        return done

    def _read_record(self, path: Path) -> TaskResult:
        try:
            return TaskResult.model_validate_json(path.read_bytes())
        except ValueError:
            raise AgentRouteError(f"{path}: not a task result; move it away or use another --out") from None

    def _legacy_results(self) -> list[TaskResult]:
        """Results in `results.jsonl`; a cut last line is left out with a note, any other bad line is an error."""
        if not self.results.exists():
            return []
        text = self.results.read_bytes().decode("utf-8", "replace")
        lines = text.split("\n")
        results = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                results.append(TaskResult.model_validate_json(line))
            except ValueError:
                if number < len(lines) or text.endswith("\n"):
                    raise AgentRouteError(f"{self.results}:{number}: not a task result; use another --out") from None
                self.notes.append(f"{self.results}:{number}: a cut last line (the process was killed while "
                                  f"writing it); dropped, its task is finished again")
        return results

    def _derive(self, done: dict[str, TaskResult], *, repair: bool = False) -> None:
        """Rewrite results.jsonl and predictions.jsonl from the records (on repair, only when they differ)."""
        ordered = [done[instance_id] for instance_id in sorted(done)]
        results = "".join(result.model_dump_json() + "\n" for result in ordered)
        predictions = "".join(json.dumps({"instance_id": result.instance_id, "model_name_or_path": self.model_name,
                                          "model_patch": result.patch}) + "\n" for result in ordered)
        for path, text in ((self.results, results), (self.predictions, predictions)):
            if repair:
                if (path.read_text(errors="replace") if path.exists() else "") == text:
                    continue
                if path.exists() or text:
                    self.notes.append(f"{path} did not match {self.records}/ (a kill while writing it); rewritten")
            write_atomically(path, text)

    def write(self, result: TaskResult, trace: list[TraceRecord]) -> None:
        """Export the task's decision trace, commit its record, and rewrite the derived files."""
        with self._lock:
            write_jsonl(trace, self.traces / f"{result.instance_id}.jsonl")
            write_atomically(self.records / f"{result.instance_id}.json", result.model_dump_json())
            self._derive(self._all_records())

    def _all_records(self) -> dict[str, TaskResult]:
        """Every record on disk, by instance id."""
        return {result.instance_id: result for result in map(self._read_record, sorted(self.records.glob("*.json")))}
