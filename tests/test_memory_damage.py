"""A damaged or vanishing experience memory, on real Chroma stores in temp dirs: damage is found
when the memory opens and never read as an empty memory, the derived side index is rebuilt, and a
store removed mid-run turns the memory off for that run instead of failing it."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from cli import run_cli, run_python
from conftest import FAST, POOL_TOML
from fakellm import FakeLLM, Reply
from scripted_solver import ScriptedSolver

from agentroute.app import AgentRoute
from agentroute.errors import AgentRouteError
from agentroute.memory.errors import MemoryDamaged, MemoryUnavailable
from agentroute.memory.store import ExperienceMemory
from agentroute.pool import Pool
from agentroute.swe.task import load_tasks

FILL = r"""
import sys
from agentroute.memory.records import Experience
from agentroute.memory.store import ExperienceMemory
from agentroute.pool import Pool
from agentroute.swe.task import load_tasks
ExperienceMemory(sys.argv[1]).add_many([
    Experience(id=f"e{i}", run_id=f"r{i % 3}", step=i, created=float(i), text=f"step {i} reads file{i % 7}",
               group="g", model="A" if i % 2 else "B", tier=i % 2, success=1.0) for i in range(int(sys.argv[2]))
])
"""


def filled(path: Path, records: int = 300) -> Path:
    """A store written by another process (so this process holds no handle on it)."""
    run_python(FILL, str(path), str(records), check=True)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def in_own_process(path: Path, code: str, *, read_only: bool = False) -> subprocess.CompletedProcess[str]:
    """Open the store in a process of its own (as the CLI and a new run do) and run `code` with it as `m`."""
    script = (f"import sys\nfrom agentroute.memory.store import ExperienceMemory\n"
              f"m = ExperienceMemory(sys.argv[1], read_only={read_only})\n{code}")
    return run_python(script, str(path))


@pytest.mark.parametrize("damage", ["emptied", "deleted"])
def test_a_lost_chroma_file_is_damage_not_an_empty_memory(tmp_path: Path, damage: str) -> None:
    store = filled(tmp_path / "store")
    chroma, side = store / "chroma.sqlite3", store / "agentroute-experience.sqlite3"
    backup = tmp_path / "chroma.backup"
    shutil.copy(chroma, backup)
    side_before = digest(side)
    if damage == "emptied":
        chroma.write_bytes(b"")
    else:
        chroma.unlink()
    with pytest.raises(MemoryDamaged) as error:
        ExperienceMemory(store)
    message = str(error.value)
    assert "\n" not in message and "lists 300 records" in message and f"chroma.sqlite3 is {'empty' if damage == 'emptied' else 'missing'}" in message
    assert digest(side) == side_before  # the side index still lists the 300
    assert chroma.exists() == (damage == "emptied")  # Chroma did not start an empty store there
    shutil.copy(backup, chroma)  # restored from the backup, as the message says: every record is back
    assert in_own_process(store, "print(m.count(), m.stats().per_model)").stdout.split("\n")[0] == "300 {'A': 150, 'B': 150}"


def test_chroma_holding_fewer_records_than_the_side_index_is_damage(tmp_path: Path) -> None:
    store = filled(tmp_path / "store")
    lose = ("import chromadb\nfrom chromadb.config import Settings\n"
            "c = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))\n"
            "c.get_collection('experience', embedding_function=None).delete(ids=[f'e{i}' for i in range(100)])")
    run_python("import sys\n" + lose, str(store), check=True)  # records lost behind our back
    side_before = digest(store / "agentroute-experience.sqlite3")
    with pytest.raises(MemoryDamaged, match="Chroma holds 200 records but its side index lists 300"):
        ExperienceMemory(store)
    assert digest(store / "agentroute-experience.sqlite3") == side_before
    (store / "agentroute-experience.sqlite3").unlink()  # accepting what Chroma holds, as the message says
    assert ExperienceMemory(store).count() == 200


@pytest.mark.parametrize("damage", ["garbage", "truncated", "behind"])
def test_a_damaged_or_stale_side_index_is_rebuilt_from_chroma(tmp_path: Path, damage: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    store = filled(tmp_path / "store")
    side = store / "agentroute-experience.sqlite3"
    if damage == "behind":  # an older copy of the index: it misses the last 100 records
        older = filled(tmp_path / "older", records=200) / "agentroute-experience.sqlite3"
        shutil.copy(older, side)
    elif damage == "garbage":
        side.write_bytes(b"garbage" * 1000)
    else:
        side.write_bytes(side.read_bytes()[: side.stat().st_size // 2])
    # a fresh process opens it (read-only first: it must not write the file), then a writer repairs it
    before = digest(side)
    assert in_own_process(store, "print(m.count(), m.stats().per_model)", read_only=True).stdout.strip() == "300 {'A': 150, 'B': 150}"
    assert digest(side) == before
    with caplog.at_level(logging.WARNING, logger="agentroute.memory"):
        memory = ExperienceMemory(store)
    assert memory.count() == 300 and memory.stats().per_model == {"A": 150, "B": 150}
    assert memory.evidence("step 7 reads file0", group="g", shrink=0).neighbours > 0
    assert ("damaged" in caplog.text) == (damage != "behind")
    assert in_own_process(store, "print(m.stats().per_model)").stdout.strip() == "{'A': 150, 'B': 150}"


def test_a_store_removed_while_in_use_fails_every_call_and_is_not_recreated(tmp_path: Path) -> None:
    store = filled(tmp_path / "store", records=10)
    memory = ExperienceMemory(store)
    assert memory.evidence("step 1 reads file1").neighbours > 0
    shutil.rmtree(store)
    for call in (lambda: memory.evidence("step 1 reads file1"), memory.count,
                 lambda: memory.credit("r0", "resolved", 1.0)):
        with pytest.raises(MemoryUnavailable, match="removed while in use"):
            call()
    assert not store.exists()


def test_a_read_only_memory_refuses_writes(tmp_path: Path) -> None:
    store = filled(tmp_path / "store", records=5)
    memory = ExperienceMemory(store, read_only=True)
    with pytest.raises(AgentRouteError, match="read-only"):
        memory.clear()
    assert ExperienceMemory(store).count() == 5
    (tmp_path / "empty").mkdir()
    for nowhere in (tmp_path / "nowhere", tmp_path / "empty"):
        with pytest.raises(MemoryUnavailable, match="no experience memory"):
            ExperienceMemory(nowhere, read_only=True)
    assert not (tmp_path / "nowhere").exists() and list((tmp_path / "empty").iterdir()) == []


SUITE = Path(__file__).resolve().parents[1] / "evals" / "swe"


def test_a_batch_whose_memory_is_deleted_mid_run_still_completes_with_results(tmp_path: Path, llm: FakeLLM) -> None:
    """`agentroute run` of two suite tasks, one worker: the memory directory vanishes during the
    first task's third call. Both tasks still run to their result, each warning once."""
    tasks = [task for task in load_tasks(SUITE) if task.instance_id in ("local__semver-1", "local__slugify-1")]
    solver = ScriptedSolver(tasks)
    memory, out = tmp_path / "memory", tmp_path / "out"

    def responder(request: dict) -> Reply:
        if len(llm.requests) == 3:
            shutil.rmtree(memory)
        return solver(request)

    llm.responder = responder
    (tmp_path / "pool.toml").write_text(POOL_TOML.format(base_url=llm.base_url))
    result = run_cli("run", str(SUITE), *[arg for task in tasks for arg in ("--instance", task.instance_id)],
                     "--budget", "0.5", "--pool", str(tmp_path / "pool.toml"), "--out", str(out), "--memory", str(memory),
                     "--workers", "1", env={"AGENTROUTE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted((row["instance_id"], row["outcome"]) for row in rows) == [(task.instance_id, "resolved") for task in tasks]
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if "removed while in use" in line]
    # each run warns once; the second task's learned policy also fits without the memory, and says so
    assert sum("continues without the experience memory" in line for line in warnings) == 2, output
    assert sum("the learned policy fits without the memory" in line for line in warnings) == 1, output
    assert len(warnings) == 3, output
    assert not memory.exists()  # never silently restarted as an empty memory


def test_a_routed_chat_model_routes_on_when_its_memory_vanishes(llm: FakeLLM, pool: Pool, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """The same seam serves the LangChain doors: two runs of one AgentRoute answer after the store
    is removed during the first, each warning once."""
    from langchain.agents import create_agent
    from langchain_core.messages import HumanMessage

    memory = filled(tmp_path / "memory", records=10)
    route = AgentRoute(pool=pool, budget_usd=0.5, store=tmp_path / "runs.sqlite", settings=FAST, memory=memory)
    agent = create_agent(route.chat_model(), tools=[])

    def responder(request: dict) -> Reply:
        if memory.exists():
            shutil.rmtree(memory)
        return Reply(content="done")

    llm.responder = responder
    with caplog.at_level(logging.WARNING, logger="agentroute.memory"):
        for run in ("first", "second"):
            state = agent.invoke({"messages": [HumanMessage("Fix it.")]}, {"configurable": {"thread_id": run}})
            assert state["messages"][-1].content == "done"
            assert [record.outcome for record in route.store.records(run)] == ["ok"]
    lost = [record.getMessage() for record in caplog.records if "removed while in use" in record.getMessage()]
    assert [("run first" in line, "run second" in line) for line in lost] == [(True, False), (False, True)]
