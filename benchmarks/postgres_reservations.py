"""Budget reservations per second on the central Postgres store: W writer processes on ONE task.

Each writer opens its own connection (as a worker on another machine would) and loops
reserve → settle (billed at a random part of the reserve) for `--seconds`, every reserve one
atomic conditional UPDATE on the task's ledger row, so all writers contend for the same row
lock. The cap is set so reserves never run out. Prints reservations per second for 1 writer and
for `--writers` writers, and checks that the ledger's spend equals what the writers billed.

    python benchmarks/postgres_reservations.py --db postgresql://USER@HOST:PORT/DB [--writers 2] [--seconds 5]

(Default URL: $AGENTROUTE_DB. A throwaway server: `initdb -D DIR -U postgres --auth=trust` and
`pg_ctl -D DIR -o "-p 55432 -c listen_addresses=127.0.0.1" -l DIR/log -w start`, as a non-root user.)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import time
import uuid
from typing import Any

from agentroute.budget import BudgetLedger
from agentroute.pool import Price
from agentroute.store import database_url
from agentroute.trace import TraceStore
from agentroute.usage import Usage

CAP_USD = 1_000_000.0
PRICE = Price(input=1.0, output=1.0)


def writer(url: str, run_id: str, seconds: float, seed: int, start: Any, results: Any) -> None:
    """Reserve and settle in a loop until the time is up; report the count and the spend."""
    store = TraceStore(url)
    ledger = BudgetLedger(CAP_USD, account=store.ledger_account(run_id, CAP_USD))
    rng = random.Random(seed)
    start.wait()
    count = billed = 0
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        reservation = ledger.reserve(rng.randint(1_000, 100_000), step=count, node=None, model="m", tier=0)
        assert reservation is not None
        tokens = rng.randint(0, reservation.nanos // 1_000)  # at $1 per 1M tokens, 1 token = 1,000 nanos
        billed += ledger.settle(reservation, Usage(prompt_tokens=tokens, completion_tokens=0), PRICE).cost_nanos
        count += 1
    results.put({"reservations": count, "billed": billed})
    store.close()


def measure(url: str, writers: int, seconds: float) -> dict[str, Any]:
    """Run `writers` processes on one fresh task; reservations per second in total."""
    context = multiprocessing.get_context("spawn")
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    start, results = context.Barrier(writers), context.Queue()
    processes = [context.Process(target=writer, args=(url, run_id, seconds, seed, start, results)) for seed in range(writers)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    store = TraceStore(url)
    ledger = BudgetLedger(CAP_USD, account=store.ledger_account(run_id, CAP_USD))
    reservations = sum(outcome["reservations"] for outcome in outcomes)
    return {
        "writers": writers,
        "reservations": reservations,
        "per_second": round(reservations / seconds),
        "ledger_equals_billed": ledger.spent_nanos == sum(outcome["billed"] for outcome in outcomes),
        "held_after": ledger.reserved_nanos,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="postgresql:// URL (default $AGENTROUTE_DB)")
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    url = database_url(args.db)
    if url is None:
        parser.error("give --db URL or set AGENTROUTE_DB")
    rows = [measure(url, 1, args.seconds), measure(url, args.writers, args.seconds)]
    for row in rows:
        print(f"{row['writers']} writer(s) on one task: {row['per_second']:,} reservations/s "
              f"(reserve+settle pairs; ledger == billed: {row['ledger_equals_billed']}, held after: {row['held_after']})")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
