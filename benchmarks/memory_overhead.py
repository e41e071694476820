"""Experience-memory decision overhead at 100k records, excluding embedding; embedding timed apart.

Fills an embedded store with synthetic experiences (precomputed embeddings, `add_many` in batches
of 5,000), then times `ExperienceMemory.evidence(...)` with a precomputed query embedding (kNN +
side-index reads + group totals + shrinkage) over distinct queries, and the embedding of a
realistic step context (`context_text` of a 50-message agent prefix). Prints one JSON object.

    python benchmarks/memory_overhead.py [--records 100000] [--queries 500] [--store DIR]

With --store, an existing store that already holds enough records is reused (no refill).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from router_overhead import prefix  # noqa: E402

from agentroute.context import StepContext  # noqa: E402
from agentroute.embedding import embed  # noqa: E402
from agentroute.memory.context_text import context_text  # noqa: E402
from agentroute.memory.records import Experience  # noqa: E402
from agentroute.memory.store import BATCH, ExperienceMemory  # noqa: E402
from agentroute.signals import extract_signals  # noqa: E402

DIMENSIONS = ["bug_fixing", "code_generation", "code_review", "refactoring", "testing", "documentation",
              "debugging", "optimization", "translation"]
SOURCES = ["swebench", "mbpp", "bcb", "humaneval"]
MODELS = [f"model-{i}" for i in range(8)]
PHASES = ["explore", "edit", "verify", "submit"]
WORDS = [f"{stem}{i}" for stem in ("parse", "test", "error", "file", "func", "class", "value", "token") for i in range(250)]


def synthetic_text(rng: random.Random, dimension: str, source: str) -> str:
    """A context-shaped text: task words, labels, signals, a tool output."""
    task = " ".join(rng.choices(WORDS, k=25))
    output = " ".join(rng.choices(WORDS, k=30))
    return (f"task: {task}\ndimension={dimension} source={source}\nphase={rng.choice(PHASES)} step={rng.randrange(60)} "
            f"node=agent\n[tool] {output} exit code: {rng.choice([0, 0, 1])}")


def fill(memory: ExperienceMemory, records: int, rng: random.Random) -> dict[str, float]:
    """Add `records` synthetic experiences; returns the seconds spent embedding and adding."""
    embed_seconds = add_seconds = 0.0
    for start in range(0, records, BATCH):
        batch = []
        for i in range(start, min(records, start + BATCH)):
            dimension, source = rng.choice(DIMENSIONS), rng.choice(SOURCES)
            model = rng.randrange(len(MODELS))
            batch.append(Experience(
                id=f"bench-{i}", run_id=f"run-{i // 40}", step=i % 40, created=1_700_000_000.0 + i,
                text=synthetic_text(rng, dimension, source), group=f"{dimension}/{source}", model=MODELS[model],
                tier=model // 2, success=float(rng.random() < 0.3 + 0.08 * model), cost_usd=0.001 * (model + 1),
            ))
        started = time.perf_counter()
        vectors = embed([experience.text for experience in batch]).tolist()
        embed_seconds += time.perf_counter() - started
        started = time.perf_counter()
        memory.add_many(batch, embeddings=vectors)
        add_seconds += time.perf_counter() - started
        print(f"filled {start + len(batch)}/{records}", file=sys.stderr, flush=True)
    return {"embed_s": round(embed_seconds, 1), "add_s": round(add_seconds, 1)}


def percentiles(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {"p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--store", type=Path, default=None, help="Store directory (default: a temporary one).")
    args = parser.parse_args()
    rng = random.Random(0)
    store = args.store or Path(tempfile.mkdtemp(prefix="agentroute-memory-bench-")) / "chroma"
    memory = ExperienceMemory(store, max_records=max(args.records, 1))
    filled: dict[str, float] = {}
    if memory.count() < args.records:
        memory.clear()
        filled = fill(memory, args.records, rng)

    queries = []
    for _ in range(args.queries):
        dimension, source = rng.choice(DIMENSIONS), rng.choice(SOURCES)
        queries.append((synthetic_text(rng, dimension, source), f"{dimension}/{source}"))
    vectors = embed([text for text, _ in queries]).tolist()
    for (text, group), vector in list(zip(queries, vectors))[:20]:  # warm up
        memory.evidence(text, group=group, k=args.k, embedding=vector)
    timings, neighbours = [], []
    for (text, group), vector in zip(queries, vectors):
        started = time.perf_counter()
        evidence = memory.evidence(text, group=group, k=args.k, embedding=vector)
        timings.append((time.perf_counter() - started) * 1000)
        neighbours.append(evidence.neighbours)

    messages = prefix(50)
    context = StepContext(
        run_id="bench", step=25, node="agent", messages=messages, max_tokens=2000, cap_usd=5.0, spent_usd=1.0,
        remaining_usd=4.0, tier_reserve_usd=[0.001, 0.01, 0.05, 0.2], tier_mean_cost_usd=[None] * 4,
        expected_remaining_steps=20, signals=extract_signals(messages),
        task={"dimension": "bug_fixing", "source": "swebench", "text": "Fix the failing test in parser.py."},
    )
    render, embedding = [], []
    for _ in range(args.queries):
        started = time.perf_counter()
        text = context_text(context)
        rendered = time.perf_counter()
        embed([text])
        render.append((rendered - started) * 1000)
        embedding.append((time.perf_counter() - rendered) * 1000)

    print(json.dumps({
        "records": memory.count(), "k": args.k, "queries": args.queries, "fill": filled,
        "evidence_excluding_embedding": percentiles(timings),
        "mean_neighbours": round(statistics.mean(neighbours), 1),
        "context_text": {**percentiles(render), "chars": len(text)},
        "embedding": percentiles(embedding),
    }))


if __name__ == "__main__":
    main()
