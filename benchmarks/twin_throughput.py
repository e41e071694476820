"""Throughput of the TwinRouterBench static-track scorer on a 10,000-row synthetic bank.

Run: /tmp/venv/bin/python benchmarks/twin_throughput.py [--rows 10000] [--steps 5]

Writes a bank of multi-step trajectories with tool calls (random words, seeded), then times each
stage separately: loading + validation, token counting (litellm, offline; its import excluded),
and scoring one router's picks once the token facts exist (the part repeated per router).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

BENCHMARKS = ("swebench", "bfcl", "mtrag", "qmsum", "pinchbench")


def words(generator: random.Random, vocabulary: list[str], count: int) -> str:
    return " ".join(generator.choice(vocabulary) for _ in range(count))


def synthetic_bank(path: Path, rows: int, steps: int, seed: int = 7) -> None:
    """`rows` rows as trajectories of `steps` steps, each step adding a tool call and its output."""
    generator = random.Random(seed)
    vocabulary = [f"{generator.choice('abcdefghij')}{word}" for word in
                  ("parser", "test", "fix", "module", "error", "return", "value", "config", "path", "line", "assert",
                   "import", "class", "def", "self", "none", "true", "false", "json", "file", "read", "write")] * 3
    vocabulary += [str(number) for number in range(200)]
    with path.open("w") as out:
        for trajectory in range(rows // steps):
            benchmark = BENCHMARKS[trajectory % len(BENCHMARKS)]
            messages = [{"role": "system", "content": "You are a coding agent. " + words(generator, vocabulary, 60)},
                        {"role": "user", "content": words(generator, vocabulary, 40)}]
            for step in range(1, steps + 1):
                gold = generator.choice((0, 0, 0, 1, 2, 3))
                out.write(json.dumps({
                    "id": f"{benchmark}_{trajectory}_step_{step}", "benchmark": benchmark,
                    "instance_id": f"{benchmark}_{trajectory}", "step_index": step, "total_steps": steps,
                    "messages": messages, "target_tier_id": gold,
                }) + "\n")
                call_id = f"c{step}"
                messages = messages + [
                    {"role": "assistant", "content": words(generator, vocabulary, 15),
                     "tool_calls": [{"id": call_id, "type": "function",
                                     "function": {"name": "bash", "arguments": json.dumps({"cmd": words(generator, vocabulary, 6)})}}]},
                    {"role": "tool", "tool_call_id": call_id, "content": words(generator, vocabulary, 120)},
                ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=5)
    options = parser.parse_args()

    from agentroute._litellm import load_litellm
    from agentroute.twin.records import load_bank
    from agentroute.twin.scorer import score
    from agentroute.twin.tokens import count_bank

    started = time.perf_counter()
    load_litellm()
    import_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.jsonl"
        synthetic_bank(path, options.rows, options.steps)
        size_mb = path.stat().st_size / 1e6
        started = time.perf_counter()
        bank = load_bank(path)
        load_s = time.perf_counter() - started

    started = time.perf_counter()
    tokens = count_bank(bank)
    tokens_s = time.perf_counter() - started

    generator = random.Random(1)
    routers = {
        "always-high": [3] * len(bank.rows),
        "random": [generator.randrange(4) for _ in bank.rows],
        "gold": [row.gold for row in bank.rows],
    }
    score_s = {}
    for name, picks in routers.items():
        started = time.perf_counter()
        result = score(bank, tokens, picks, name)
        score_s[name] = time.perf_counter() - started
        assert name != "always-high" or result.costsave == 0.0

    n = len(bank.rows)
    per_router = sum(score_s.values()) / len(score_s)
    print(f"synthetic bank: {n} rows, {len(bank.trajectories)} trajectories of {options.steps} steps, {size_mb:.1f} MB")
    print(f"litellm import (once per process): {import_s:.2f} s")
    print(f"load + validate:   {load_s:6.2f} s  {n / load_s:10,.0f} rows/s")
    print(f"token counting:    {tokens_s:6.2f} s  {n / tokens_s:10,.0f} rows/s")
    for name, seconds in score_s.items():
        print(f"score {name:<12} {seconds:6.2f} s  {n / seconds:10,.0f} rows/s")
    total = load_s + tokens_s + per_router
    print(f"end to end, one router (load + tokens + score): {total:.2f} s  {n / total:,.0f} rows/s")


if __name__ == "__main__":
    main()
