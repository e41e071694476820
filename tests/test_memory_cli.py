"""`agentroute memory …` as a user runs it: real processes, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli import assert_one_line_error, run_cli

from agentroute.escalation.memory_evidence import MemoryEvidence
from agentroute.escalation.protocol import Attempt, TaskView
from agentroute.memory.records import Experience
from agentroute.memory.store import ExperienceMemory
from agentroute.swe.escalation import COLLECTION


def agentroute(*args: str, memory: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("memory", *args, env={"AGENTROUTE_MEMORY": str(memory), "AGENTROUTE_HOME": str(tmp_path / "home")})


def one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode != 0
    assert_one_line_error(result, text, code=result.returncode)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    memory = ExperienceMemory(tmp_path / "store")
    memory.add_many([
        Experience(id=f"e{i}", run_id="r1", step=i, created=1_700_000_000.0 + i, text=f"step {i}",
                   group="bug_fixing/swebench", model="gpt-5" if i % 2 else "gpt-4o-mini", tier=i % 2, success=1.0)
        for i in range(5)
    ])
    return tmp_path / "store"


def test_stats_export_import_clear(store: Path, tmp_path: Path) -> None:
    stats = agentroute("stats", memory=store, tmp_path=tmp_path)
    assert stats.returncode == 0, stats.stderr
    for text in ("records 5 of 100000", "gpt-4o-mini", "bug_fixing/swebench", "2023-11-14 22:13:20 UTC", str(store)):
        assert text in stats.stdout, text

    exported = tmp_path / "out.jsonl"
    result = agentroute("export", str(exported), memory=store, tmp_path=tmp_path)
    assert result.returncode == 0 and "exported 5 experiences" in result.stdout
    assert [json.loads(line)["id"] for line in exported.read_text().splitlines()] == [f"e{i}" for i in range(5)]

    cleared = agentroute("clear", "--yes", memory=store, tmp_path=tmp_path)
    assert cleared.returncode == 0 and "deleted 5 experiences" in cleared.stdout
    assert ExperienceMemory(store).count() == 0

    other = tmp_path / "other"
    imported = agentroute("import", str(exported), "--path", str(other), memory=store, tmp_path=tmp_path)
    assert imported.returncode == 0 and "imported 5 experiences" in imported.stdout
    assert ExperienceMemory(other).stats().per_model == {"gpt-4o-mini": 3, "gpt-5": 2}


def test_clear_without_yes_refuses_when_not_interactive(store: Path, tmp_path: Path) -> None:
    one_line_error(agentroute("clear", memory=store, tmp_path=tmp_path), "refusing to delete 5 experiences")
    assert ExperienceMemory(store).count() == 5


def test_bad_import_file_is_one_line_error_and_creates_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    good = Experience(id="a", run_id="r", step=0, created=0.0, text="t", model="m").model_dump_json()
    bad.write_text(good + "\n" + good[:30] + "\n")
    target = tmp_path / "new-store"
    one_line_error(agentroute("import", str(bad), memory=target, tmp_path=tmp_path), "bad.jsonl:2: not a valid experience record")
    assert not target.exists()
    one_line_error(agentroute("import", str(tmp_path / "missing.jsonl"), memory=target, tmp_path=tmp_path), "cannot read")


def test_missing_store_and_unreachable_server_are_one_line_errors(tmp_path: Path) -> None:
    one_line_error(agentroute("stats", memory=tmp_path / "nowhere", tmp_path=tmp_path), "no experience memory at")
    assert not (tmp_path / "nowhere").exists()
    one_line_error(agentroute("stats", "--url", "http://127.0.0.1:1", memory=tmp_path, tmp_path=tmp_path),
                   "cannot open experience memory at http://127.0.0.1:1")


def test_cli_import_does_not_load_chromadb() -> None:
    code = "import sys, agentroute.cli.app; print([m for m in ('chromadb', 'litellm', 'langgraph') if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_read_only_commands_report_an_emptied_chroma_and_wipe_nothing(store: Path, tmp_path: Path) -> None:
    chroma, side = store / "chroma.sqlite3", store / "agentroute-experience.sqlite3"
    backup = tmp_path / "chroma.backup"
    shutil.copy(chroma, backup)
    chroma.write_bytes(b"")
    side_before = side.read_bytes()
    one_line_error(agentroute("stats", memory=store, tmp_path=tmp_path), "chroma.sqlite3 is empty but the side index")
    exported = tmp_path / "out.jsonl"
    one_line_error(agentroute("export", str(exported), memory=store, tmp_path=tmp_path), "lists 5 records")
    assert not exported.exists() and side.read_bytes() == side_before and chroma.stat().st_size == 0
    shutil.copy(backup, chroma)  # nothing was lost: the backup brings every record back
    stats = agentroute("stats", memory=store, tmp_path=tmp_path)
    assert stats.returncode == 0 and "records 5 of 100000" in stats.stdout


def test_read_only_commands_read_through_a_damaged_side_index_without_writing_it(store: Path, tmp_path: Path) -> None:
    side = store / "agentroute-experience.sqlite3"
    side.write_bytes(b"garbage" * 1000)
    for journal in ("-wal", "-shm"):  # as after a crash of the last process that had it open
        side.with_name(side.name + journal).unlink(missing_ok=True)
    stats = agentroute("stats", memory=store, tmp_path=tmp_path)
    assert stats.returncode == 0 and "records 5 of 100000" in stats.stdout and "gpt-4o-mini" in stats.stdout
    assert "side index" in stats.stderr and "damaged" in stats.stderr
    exported = tmp_path / "out.jsonl"
    assert agentroute("export", str(exported), memory=store, tmp_path=tmp_path).returncode == 0
    assert len(exported.read_text().splitlines()) == 5
    assert side.read_bytes() == b"garbage" * 1000  # read-only: left for the next writer to rebuild


def test_a_malformed_import_leaves_an_existing_memory_intact(store: Path, tmp_path: Path) -> None:
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    assert agentroute("export", str(before), memory=store, tmp_path=tmp_path).returncode == 0
    good = [Experience(id=f"new{i}", run_id="r", step=0, created=0.0, text="t", model="m").model_dump_json() for i in range(3)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*good, good[0].replace('"model":"m"', '"model":null')]) + "\n")
    one_line_error(agentroute("import", str(bad), memory=store, tmp_path=tmp_path), "bad.jsonl:4: not a valid experience record")
    assert agentroute("export", str(after), memory=store, tmp_path=tmp_path).returncode == 0
    assert after.read_text() == before.read_text()


def test_the_escalation_collection_of_run_attempts_is_listed_read_moved_and_cleared(store: Path, tmp_path: Path) -> None:
    """`agentroute run --attempts` writes its task-level attempts to the store's `escalation`
    collection (through MemoryEvidence, as here); every memory command reaches it by --collection."""
    evidence = MemoryEvidence(ExperienceMemory(store, collection=COLLECTION), run_prefix="swe-batch")
    for index in range(3):
        view = TaskView(task_id=f"t{index}", suite="swe", dimension="swe", source="local/semver", group="local/semver", text="issue")
        evidence.record(view, [Attempt(model="low", cost_usd=0.001, feedback=0.0, applies=True),
                               Attempt(model="mid", cost_usd=0.01, feedback=1.0, applies=True)])

    stats = agentroute("stats", memory=store, tmp_path=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert "collection experience" in stats.stdout and "records 5 of" in stats.stdout
    assert "collections: escalation (6 records) · experience (5 records)" in stats.stdout
    escalation = agentroute("stats", "--collection", "escalation", memory=store, tmp_path=tmp_path)
    assert escalation.returncode == 0, escalation.stderr
    assert "collection escalation" in escalation.stdout and "records 6 of" in escalation.stdout
    assert "local/semver" in escalation.stdout and "gpt-5" not in escalation.stdout

    exported = tmp_path / "escalation.jsonl"
    assert agentroute("export", str(exported), "--collection", "escalation", memory=store, tmp_path=tmp_path).returncode == 0
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert sorted((row["model"], row["success"]) for row in rows) == [("low", 0.0)] * 3 + [("mid", 1.0)] * 3
    other = tmp_path / "other"
    imported = agentroute("import", str(exported), "--collection", "escalation", "--path", str(other), memory=store, tmp_path=tmp_path)
    assert imported.returncode == 0 and "imported 6 experiences" in imported.stdout
    assert ExperienceMemory(other, collection=COLLECTION).count() == 6

    cleared = agentroute("clear", "--yes", "--collection", "escalation", memory=store, tmp_path=tmp_path)
    assert cleared.returncode == 0 and "deleted 6 experiences" in cleared.stdout
    assert ExperienceMemory(store).count() == 5  # the step records are another collection
    one_line_error(agentroute("stats", memory=other, tmp_path=tmp_path), "no collection 'experience' in the experience memory")
    one_line_error(agentroute("stats", "--collection", "nope", memory=store, tmp_path=tmp_path),
                   "(it holds escalation, experience)")
