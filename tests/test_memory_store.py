"""The experience memory on a real Chroma store in a temp dir: persistence, eviction, credit,
evidence arithmetic (numbers computed by hand), the similarity threshold, JSONL and bad stores."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cli import run_python
from local_server import free_port, wait_until_up

from agentroute.errors import AgentRouteError
from agentroute.memory.errors import MemoryUnavailable
from agentroute.memory.records import Experience
from agentroute.memory.store import ExperienceMemory

DIM = 512


def vec(a: float, b: float) -> list[float]:
    """a·e0 + b·e1 (normalised): cosine similarity with e0 is a / |(a, b)|."""
    norm = math.hypot(a, b)
    vector = [0.0] * DIM
    vector[0], vector[1] = a / norm, b / norm
    return vector


def exp(record_id: str, **fields: object) -> Experience:
    base: dict[str, object] = dict(id=record_id, run_id="run", step=0, created=0.0, text=f"record {record_id}", model="m")
    return Experience.model_validate({**base, **fields})


def ids_in(memory: ExperienceMemory, tmp_path: Path) -> list[str]:
    out = tmp_path / "ids.jsonl"
    memory.export_jsonl(out)
    return [json.loads(line)["id"] for line in out.read_text().splitlines()]


NEAR, FAR = vec(1, 0), vec(0, 1)


@pytest.fixture
def hand_built(tmp_path: Path) -> ExperienceMemory:
    """Group g: three neighbours of e0 and four far records; h1 (group h) and x1 (group x, sim 0.6)
    are neighbours too; x2 (sim 0.1) is not."""
    memory = ExperienceMemory(tmp_path / "store")
    records = [
        (exp("n1", run_id="r1", group="g", model="A", tier=0, success=1.0, cost_usd=0.01), NEAR),
        (exp("n2", run_id="r1", group="g", model="A", tier=0, success=0.0, cost_usd=0.03), NEAR),
        (exp("n3", run_id="r3", group="g", model="B", tier=1, success=1.0, cost_usd=0.10), NEAR),
        (exp("f1", run_id="r2", group="g", model="A", tier=0, success=0.0, cost_usd=0.02), FAR),
        (exp("f2", run_id="r2", group="g", model="A", tier=0, success=0.0, cost_usd=0.02), FAR),
        (exp("f3", run_id="r3", group="g", model="B", tier=1, success=1.0, cost_usd=0.20), FAR),
        (exp("f4", run_id="r3", group="g", model="C", tier=2, success=1.0, cost_usd=0.50), FAR),
        (exp("h1", run_id="r4", group="h", model="A", tier=0, success=1.0, cost_usd=0.0), NEAR),
        (exp("x1", run_id="r5", group="x", model="D", tier=3, success=1.0, cost_usd=0.0), vec(0.6, 0.8)),
        (exp("x2", run_id="r5", group="x", model="D", tier=3, success=0.0, cost_usd=0.0), vec(0.1, math.sqrt(0.99))),
    ]
    memory.add_many([record for record, _ in records], embeddings=[vector for _, vector in records])
    return memory


def test_evidence_is_neighbours_plus_shrink_pseudo_trials_at_the_group_rate(hand_built: ExperienceMemory) -> None:
    evidence = hand_built.evidence("", group="g", embedding=NEAR, shrink=4.0, min_similarity=0.2)
    # Neighbours (sim ≥ 0.2): n1, n2, n3, h1, x1. Group g: A 1/4 (cost 0.08 over 4), B 2/2 (0.30 over 2), C 1/1 (0.50).
    assert evidence.neighbours == 5
    assert evidence.group_trials == 7
    a, b, c, d = (evidence.per_model[m] for m in "ABCD")
    assert (a.successes, a.trials) == pytest.approx((2 + 4 * 0.25, 3 + 4))
    assert a.mean_cost_usd == pytest.approx((0.04 + 4 * 0.02) / (3 + 4))
    assert (b.successes, b.trials, b.mean_cost_usd) == pytest.approx((1 + 4 * 1.0, 1 + 4, (0.10 + 4 * 0.15) / 5))
    assert (c.successes, c.trials, c.mean_cost_usd) == pytest.approx((4 * 1.0, 4, 0.50))  # the group's alone
    assert (d.successes, d.trials, d.mean_cost_usd) == pytest.approx((1, 1, 0.0))  # group g never saw D: no prior
    assert evidence.per_tier[0] == a and evidence.per_tier[3] == d
    assert set(evidence.per_tier) == {0, 1, 2, 3}


def test_no_group_shrinks_toward_the_whole_memory_and_zero_shrink_is_raw_counts(hand_built: ExperienceMemory) -> None:
    whole = hand_built.evidence("", embedding=NEAR)
    # A over the whole memory: n1 1, n2 0, f1 0, f2 0, h1 1 → 2/5, cost 0.06 over 5 records.
    assert (whole.per_model["A"].successes, whole.per_model["A"].trials) == pytest.approx((2 + 4 * 2 / 5, 7))
    assert whole.group_trials == 10
    raw = hand_built.evidence("", group="g", embedding=NEAR, shrink=0.0)
    assert (raw.per_model["A"].successes, raw.per_model["A"].trials) == (2, 3)
    assert raw.per_model["C"].trials == 0


def test_similarity_threshold_excludes_far_neighbours(hand_built: ExperienceMemory) -> None:
    assert hand_built.evidence("", group="zzz", embedding=NEAR, min_similarity=0.5).neighbours == 5  # x1 at 0.6 counts
    strict = hand_built.evidence("", group="zzz", embedding=NEAR, min_similarity=0.7)
    assert strict.neighbours == 4 and "D" not in strict.per_model  # x1 (0.6) and x2 (0.1) are out
    assert hand_built.evidence("", group="zzz", embedding=vec(0, 1), min_similarity=0.999).neighbours == 4  # the far ones (x2 is at 0.995)
    nothing = hand_built.evidence("", group="zzz", embedding=vec(-1, 0))
    assert nothing.neighbours == 0 and nothing.per_model == {} and nothing.group_trials == 0


def test_delayed_credit_reaches_every_record_of_the_run_and_the_task_signal(hand_built: ExperienceMemory, tmp_path: Path) -> None:
    assert hand_built.credit("r1", "resolved", 1.0) == 2
    assert hand_built.credit("no-such-run", "resolved", 1.0) == 0
    task = hand_built.evidence("", group="g", embedding=NEAR, signal="task")
    # Task outcomes: n1 1, n2 1 (credited), f1/f2 0 and h1 1 (uncredited: their step outcome). Group A: 2/4.
    assert (task.per_model["A"].successes, task.per_model["A"].trials) == pytest.approx((3 + 4 * 0.5, 7))
    step = hand_built.evidence("", group="g", embedding=NEAR, signal="step")
    assert step.per_model["A"].successes == pytest.approx(3.0)  # the step signal is untouched
    exported = tmp_path / "credited.jsonl"
    hand_built.export_jsonl(exported)
    credited = {r["id"]: r for r in map(json.loads, exported.read_text().splitlines())}
    assert credited["n2"]["task_outcome"] == "resolved" and credited["n2"]["task_success"] == 1.0
    assert credited["n2"]["success"] == 0.0 and credited["f1"]["task_outcome"] is None


def test_persists_and_reopens_in_another_process(hand_built: ExperienceMemory) -> None:
    code = (
        "from agentroute.memory.store import ExperienceMemory; import sys\n"
        "m = ExperienceMemory(sys.argv[1]); e = m.evidence('', group='g', embedding=[1.0] + [0.0] * 511)\n"
        "print(m.count(), e.neighbours, e.per_model['A'].trials)"
    )
    out = run_python(code, str(hand_built.path), check=True)
    assert out.stdout.split() == ["10", "5", "7.0"]


def test_eviction_keeps_the_newest_max_records(tmp_path: Path) -> None:
    memory = ExperienceMemory(tmp_path / "store", max_records=5)
    for i in range(4):
        memory.add(exp(f"e{i}", created=float(i), model="old" if i < 3 else "new"))
    memory.add_many([exp(f"e{i}", created=float(i), model="new") for i in (7, 5, 6, 4)])
    assert memory.count() == 5
    assert sorted(ids_in(memory, tmp_path)) == ["e3", "e4", "e5", "e6", "e7"]
    stats = memory.stats()
    assert (stats.oldest, stats.newest, stats.per_model) == (3.0, 7.0, {"new": 5})
    memory.add(exp("e8", created=8.0, model="new"))
    assert memory.stats().oldest == 4.0 and memory.count() == 5


def test_adding_an_existing_id_replaces_it(tmp_path: Path) -> None:
    memory = ExperienceMemory(tmp_path / "store")
    memory.add(exp("a", model="first", success=0.0), embedding=NEAR)
    memory.add(exp("a", model="second", success=1.0), embedding=NEAR)
    evidence = memory.evidence("", embedding=NEAR, shrink=0.0)
    assert memory.count() == 1 and set(evidence.per_model) == {"second"} and evidence.per_model["second"].successes == 1
    with pytest.raises(AgentRouteError, match="appears twice"):
        memory.add_many([exp("b"), exp("b")])


def test_jsonl_export_import_round_trip(hand_built: ExperienceMemory, tmp_path: Path) -> None:
    hand_built.credit("r1", "resolved", 1.0)
    first = tmp_path / "first.jsonl"
    assert hand_built.export_jsonl(first) == 10
    copy = ExperienceMemory(tmp_path / "copy")
    assert copy.import_jsonl(first) == 10
    second = tmp_path / "second.jsonl"
    copy.export_jsonl(second)
    assert first.read_text() == second.read_text()
    assert copy.stats().model_dump(exclude={"path"}) == hand_built.stats().model_dump(exclude={"path"})
    assert copy.import_jsonl(first) == 10 and copy.count() == 10  # ids are unique: importing again replaces


@pytest.mark.parametrize(
    ("damage", "line", "why"),
    [
        (lambda lines: lines[:-1] + [lines[-1][:40]], 4, "Invalid JSON"),  # truncated last line
        (lambda lines: lines[:1] + ["{not json"] + lines[1:], 2, "Invalid JSON"),
        (lambda lines: lines[:2] + [lines[2].replace('"model":"m"', '"model":3')], 3, "model"),
        (lambda lines: lines[:2] + [lines[2].replace('"success":null', '"success":1.5')], 3, "success"),
        (lambda lines: lines + [lines[0]], 5, "duplicate experience id"),
    ],
)
def test_corrupt_or_truncated_jsonl_is_one_line_error_and_writes_nothing(tmp_path: Path, damage, line: int, why: str) -> None:
    good = [exp(f"e{i}").model_dump_json() for i in range(4)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(damage(good)) + "\n")
    memory = ExperienceMemory(tmp_path / "store")
    memory.add(exp("kept"))
    with pytest.raises(AgentRouteError) as error:
        memory.import_jsonl(bad)
    message = str(error.value)
    assert "\n" not in message and f"bad.jsonl:{line}:" in message and why in message
    assert ids_in(memory, tmp_path) == ["kept"]


def test_clear_deletes_everything(hand_built: ExperienceMemory) -> None:
    assert hand_built.clear() == 10
    assert hand_built.count() == 0 and hand_built.stats().per_model == {}
    assert hand_built.evidence("", embedding=NEAR).neighbours == 0


def test_corrupt_store_is_one_line_error(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(AgentRouteError) as error:
        ExperienceMemory(store)
    assert "cannot open experience memory" in str(error.value) and "\n" not in str(error.value)
    (tmp_path / "file").write_text("x")
    with pytest.raises(AgentRouteError, match="is a file"):
        ExperienceMemory(tmp_path / "file")
    with pytest.raises(AgentRouteError, match="collection name"):
        ExperienceMemory(tmp_path / "store2", collection="../escape")


def test_path_and_url_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTROUTE_MEMORY", str(tmp_path / "from-env"))
    assert ExperienceMemory().path == (tmp_path / "from-env").resolve()
    monkeypatch.setenv("AGENTROUTE_MEMORY_URL", "http://127.0.0.1:1")
    with pytest.raises(AgentRouteError, match="cannot open experience memory at http://127.0.0.1:1"):
        ExperienceMemory()


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server (`chroma run`, shipped with chromadb) on a free local port."""
    with served_chroma(tmp_path / "server") as (url, _):
        yield url


@contextmanager
def served_chroma(path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`chroma run` on `path` and a free local port: (its URL, its process)."""
    executable = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("the chroma server command is not installed")
    port = free_port()
    server = subprocess.Popen([executable, "run", "--path", str(path), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, f"{url}/api/v2/heartbeat", seconds=30)
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_server_mode_shares_one_memory_between_clients(chroma_server: str, tmp_path: Path) -> None:
    writer = ExperienceMemory(url=chroma_server, collection="shared")
    writer.add_many([exp(f"w{i}", run_id="r", group="g", model="A", tier=0, success=1.0) for i in range(3)],
                    embeddings=[NEAR] * 3)
    reader = ExperienceMemory(url=chroma_server, collection="shared")  # built from the server on open
    assert reader.count() == 3 and reader.stats().per_model == {"A": 3}
    writer.add(exp("late", group="g", model="B", tier=1, success=0.0), embedding=NEAR)
    live = reader.evidence("", group="g", embedding=NEAR, shrink=0.0)
    assert live.neighbours == 4 and live.per_model["B"].trials == 1  # neighbours are live
    assert writer.credit("r", "resolved", 0.0) == 3
    assert writer.evidence("", group="g", embedding=NEAR, signal="task", shrink=0.0).per_model["A"].successes == 0
    assert writer.export_jsonl(tmp_path / "server.jsonl") == 4


def test_a_server_that_goes_away_is_memory_unavailable(tmp_path: Path) -> None:
    with served_chroma(tmp_path / "server") as (url, server):
        memory = ExperienceMemory(url=url)
        memory.add(exp("a"), embedding=NEAR)
        server.terminate()
        server.wait(timeout=10)
        with pytest.raises(MemoryUnavailable, match=f"cannot read experience memory at {url}"):
            memory.evidence("", embedding=NEAR)


def test_collections_in_one_directory_are_separate_and_threads_share_one_store(tmp_path: Path) -> None:
    first = ExperienceMemory(tmp_path / "store", collection="first")
    second = ExperienceMemory(tmp_path / "store", collection="second")
    first.add(exp("only-first", model="A"))
    assert (first.count(), second.count()) == (1, 0)

    def write(thread: int) -> None:
        memory = ExperienceMemory(tmp_path / "store", collection="second")
        for i in range(10):
            memory.add(exp(f"t{thread}-{i}", model=f"thread-{thread}"))

    threads = [threading.Thread(target=write, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert second.count() == 40 and second.stats().per_model == {f"thread-{t}": 10 for t in range(4)}
    assert first.stats().per_model == {"A": 1}


def test_identical_contexts_count_together_so_evidence_is_deterministic(tmp_path: Path) -> None:
    """30 records share one text (Chroma alone would return an arbitrary 10 of the ties)."""
    results = []
    for trial in range(2):
        memory = ExperienceMemory(tmp_path / f"store{trial}")
        memory.add_many([exp(f"{trial}-{i}", step=i, text="same context", model=f"m{i % 3}", success=float(i % 2))
                         for i in range(30)] + [exp(f"{trial}-other", text="another context", model="m0", success=1.0)])
        evidence = memory.evidence("same context", k=10, shrink=0.0, min_similarity=0.9)
        results.append(evidence)
    assert results[0] == results[1]
    assert results[0].neighbours == 30 and results[0].per_model["m0"].trials == 10
