"""Several processes on one embedded store: concurrent writers lose nothing, a writer killed
mid-series loses no acknowledged record, and a long-lived reader sees other processes' writes.

The writers cross Chroma's HNSW sync threshold (1,000 records) so each persists its index to disk
while the other is writing: the case that corrupts a store when a stale process persists.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from cli import CliProcess, start_python

from agentroute.memory.store import ExperienceMemory

WRITER = r"""
import sys
from agentroute.memory.records import Experience
from agentroute.memory.store import ExperienceMemory

path, prefix, batches, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
start = int(sys.argv[5]) if len(sys.argv) > 5 else 0
memory = ExperienceMemory(path)
batch = start
while batches < 0 or batch < start + batches:
    memory.add_many([
        Experience(id=f"{prefix}-{batch}-{i}", run_id=f"{prefix}-run-{batch // 10}", step=i, created=batch + i / 100,
                   text=f"{prefix} batch {batch} item {i} word{batch * 7 + i} other{i * 13 + batch}",
                   group=prefix, model=f"{prefix}-model", tier=i % 3, success=float(i % 2))
        for i in range(size)
    ])
    if batch % 10 == 9:
        memory.credit(f"{prefix}-run-{batch // 10}", "resolved", 1.0)
    print(batch, flush=True)
    batch += 1
"""


def text(prefix: str, batch: int, i: int) -> str:
    return f"{prefix} batch {batch} item {i} word{batch * 7 + i} other{i * 13 + batch}"


def writer(path: Path, prefix: str, batches: int, size: int, start: int = 0) -> CliProcess:
    return start_python(WRITER, str(path), prefix, str(batches), str(size), str(start))


def exported(memory: ExperienceMemory, tmp_path: Path) -> dict[str, dict]:
    out = tmp_path / "export.jsonl"
    memory.export_jsonl(out)
    return {record["id"]: record for record in map(json.loads, out.read_text().splitlines())}


def assert_consistent(memory: ExperienceMemory, sample: list[tuple[str, int, int]]) -> None:
    """Counts agree between Chroma and the side index, and the vector index finds each sampled record."""
    stats = memory.stats()
    assert sum(stats.per_model.values()) == stats.count == memory.count()
    for prefix, batch, i in sample:
        assert memory.evidence(text(prefix, batch, i), min_similarity=0.999, shrink=0).neighbours >= 1, (prefix, batch, i)


def test_two_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    writers = [writer(store, prefix, 24, 50) for prefix in ("a", "b")]
    for process in writers:
        done = process.result(timeout=180)
        assert done.returncode == 0, done.stderr
    memory = ExperienceMemory(store)
    records = exported(memory, tmp_path)
    expected = {f"{prefix}-{batch}-{i}" for prefix in "ab" for batch in range(24) for i in range(50)}
    assert set(records) == expected
    assert memory.stats().per_model == {"a-model": 1200, "b-model": 1200}
    assert all(records[f"{p}-{batch}-0"]["task_outcome"] == "resolved" for p in "ab" for batch in range(20))
    assert all(records[f"{p}-{batch}-0"]["task_outcome"] is None for p in "ab" for batch in range(20, 24))
    rng = random.Random(0)
    assert_consistent(memory, [(p, rng.randrange(24), rng.randrange(50)) for p in "ab" for _ in range(25)])


def test_writer_killed_mid_series_keeps_every_acknowledged_record(tmp_path: Path) -> None:
    store = tmp_path / "store"
    rng = random.Random(7)
    acknowledged: list[int] = []
    next_batch = 0
    for kill_after in (rng.randrange(20, 40), rng.randrange(45, 70)):  # the second run crosses 1,000 records
        process = writer(store, "w", -1, 20, next_batch)
        # batches print in order, so the first line starting with this number is that number
        process.wait_for_line(str(next_batch + kill_after - 1), timeout=120)
        process.kill()  # SIGKILL at once, most likely inside the next add
        printed = process.result(timeout=60).stdout
        acknowledged += [int(line) for line in printed.splitlines()]  # every batch printed before the kill
        memory = ExperienceMemory(store)
        records = exported(memory, tmp_path)
        missing = {f"w-{batch}-{i}" for batch in acknowledged for i in range(20)} - set(records)
        assert not missing
        assert len(records) <= (acknowledged[-1] + 2) * 20  # at most the add in flight got in
        next_batch = max(int(record_id.split("-")[1]) for record_id in records) + 1
        assert_consistent(memory, [("w", rng.choice(acknowledged), rng.randrange(20)) for _ in range(20)])


def test_a_long_lived_reader_sees_other_processes_writes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    reader = ExperienceMemory(store)
    assert reader.count() == 0
    process = writer(store, "x", 30, 40)  # 1,200 records: the writer persists its index to disk
    done = process.result(timeout=120)
    assert done.returncode == 0, done.stderr
    assert reader.count() == 1200
    assert_consistent(reader, [("x", batch, 39) for batch in range(0, 30, 3)])
    assert reader.evidence(text("x", 5, 5), group="x").group_trials == 1200
    assert reader.clear() == 1200
    assert writer(store, "y", 1, 10).result(timeout=60).returncode == 0
    assert reader.count() == 10 and reader.stats().per_model == {"y-model": 10}
