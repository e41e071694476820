"""`agentroute run evals/swe --attempts 3 --verify CMD` end to end, against the scripted fake server.

The scripted model has three tiers of skill. `tiny` (tier low) submits at once without a change.
`mid-a` (tier mid) solves the "easy" third of the suite; `big` (tier high) also the "hard" third.
On the rest ("impossible") each of them writes a wrong fix that breaks the package (the
`--verify` check, the repository's own tests, then fails). With `--policy always:low` every call of
an attempt goes to its tier floor, so an attempt's floor is its model. The escalation policy starts
cold (a fresh memory) and learns from each finished task, tasks run one at a time: the run is
deterministic. Everything between the server and the outputs is the product's path.

`--passes N` (default 2) runs over the suite: a cold one (a fresh memory), then warm ones, each a
new `agentroute run` into another output directory with the memory of the passes before (its
escalation collection holds every attempt they made). Per pass and task it prints the attempts with their floor and
verdict (and the outcome of an attempt that did not finish), spend against the budget, and how
the task ended, from the `stop_reason` of results.jsonl: verified; stopped early with attempts
left, because its top-tier attempt failed or by the policy's own decision (no further attempt
worth its expected cost, its estimates printed); or out of attempts.

The policy's units are r = score − 0.1·cost in USD, so an attempt of a few cents is worth trying
at almost any chance of success. `--price-scale K` multiplies the pool's prices by K: the fake's
prompts are far shorter than a real agent's, and K = 10 gives attempts a real attempt's cost (a
high-tier attempt ≈ $0.1–0.6).

    python benchmarks/run_attempts.py [--budget 0.5] [--attempts 3] [--price-scale 1] [--passes 2] [--suite evals/swe]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import make_pool, priced_pool_toml  # noqa: E402
from fakellm import FakeLLM, Reply  # noqa: E402
from scripted_solver import ScriptedSolver  # noqa: E402

from agentroute.swe.task import SweTask, load_tasks  # noqa: E402
from agentroute.swe.workspace import patched_files  # noqa: E402

VERIFY = "python -m pytest -q -p no:cacheprovider"
SKILL = ("easy", "hard", "impossible")  # by the task's position in the suite, round robin
SOLVES = {"tiny": (), "mid-a": ("easy",), "big": ("easy", "hard")}


def wrong_fix(task: SweTask) -> list[dict[str, Any]]:
    """A fix that is no fix: the first file the reference patch touches now raises on import."""
    path = patched_files(task.patch)[0]
    return [{"name": "bash", "arguments": {"command": f"echo 'raise RuntimeError(\"wrong fix\")' >> {path}"}},
            {"name": "submit", "arguments": {}}]


class Model:
    """The fake server's responder: each model solves the tasks of its skill, botches the others."""

    def __init__(self, tasks: list[SweTask]) -> None:
        self.skill = {task.problem_statement: SKILL[index % len(SKILL)] for index, task in enumerate(tasks)}
        self.solve, self.botch = ScriptedSolver(tasks), ScriptedSolver(tasks, script=wrong_fix)

    def __call__(self, request: dict[str, Any]) -> Reply:
        if request["model"] == "tiny":
            return Reply(content=None, tool_calls=[{"name": "submit", "arguments": {}}], completion_tokens=10)
        issue = next(m["content"] for m in request["messages"] if m["role"] == "user")
        skill = next(level for statement, level in self.skill.items() if statement in issue)
        return (self.solve if skill in SOLVES[request["model"]] else self.botch)(request)


def run(suite: Path, options: argparse.Namespace, base_url: str, scratch: Path, out: str) -> tuple[list[dict[str, Any]], float]:
    """One `agentroute run` of the suite in a fresh process, with the memory and trace store under
    `scratch` (shared by the passes) and its output in `scratch/out`: its results rows and wall seconds."""
    pool = scratch / "pool.toml"
    pool.write_text(priced_pool_toml(options.price_scale).format(base_url=base_url))
    args = ["run", str(suite), "--budget", str(options.budget), "--attempts", str(options.attempts), "--verify", VERIFY,
            "--pool", str(pool), "--policy", "always:low", "--out", str(scratch / out), "--memory", str(scratch / "memory")]
    env = {**os.environ, "AGENTROUTE_HOME": str(scratch / "home"), "COLUMNS": "160"}
    started = time.perf_counter()
    finished = subprocess.run([sys.executable, "-m", "agentroute.cli.app", *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        sys.exit(f"agentroute run failed ({finished.returncode}): {finished.stderr.strip()[-500:]}")
    return [json.loads(line) for line in (scratch / out / "results.jsonl").read_text().splitlines()], seconds


def ending(row: dict[str, Any]) -> str:
    """How the task ended, from its recorded stop reason."""
    reason = row["stop_reason"]
    if reason.startswith("policy:"):
        return "stopped: policy"
    if reason.startswith("no tier above"):
        return "stopped: top tier failed"
    return reason


def report(name: str, rows: list[dict[str, Any]], skill: dict[str, str], budget: float, seconds: float) -> None:
    """The pass's table and summary line."""
    print(f"\n{name}\n{'task':<22} {'skill':<10} {'attempts (floor verdict)':<28} {'$ spent':>9} {'of $':>6}  ending")
    for row in sorted(rows, key=lambda r: r["instance_id"]):
        tries = " ".join(f"{a['tier_floor']}{'✓' if a['verdict'] == 'verified' else '✗'}"
                         + ("" if a["outcome"] in ("resolved", "unresolved") else f"({a['outcome']})") for a in row["attempts"])
        print(f"{row['instance_id']:<22} {skill[row['instance_id']]:<10} {tries:<28} {row['spent_usd']:>9.5f} "
              f"{budget:>6g}  {ending(row)}")
    for row in rows:
        if ending(row) == "stopped: policy":
            print(f"  {row['instance_id']}: {row['stop_reason']}")
    endings = [ending(row) for row in rows]
    never = [row for row in rows if skill[row["instance_id"]] == "impossible"]
    print(f"summary: {len(rows)} tasks · {endings.count('verified')} verified · "
          f"{sum(e.startswith('stopped') for e in endings)} stopped early ({endings.count('stopped: policy')} by the policy) · "
          f"{endings.count('out of attempts')} out of attempts · {sum(len(r['attempts']) for r in rows)} attempts · "
          f"${sum(r['spent_usd'] for r in rows):.5f} spent (${sum(r['spent_usd'] for r in never):.5f} on the "
          f"{len(never)} tasks no tier solves) · max ${max(r['spent_usd'] for r in rows):.5f} of ${budget:g} "
          f"per task · {seconds:.0f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=ROOT / "evals" / "swe")
    parser.add_argument("--budget", type=float, default=0.5)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--price-scale", type=float, default=1.0)
    parser.add_argument("--passes", type=int, default=2)
    options = parser.parse_args()
    tasks = load_tasks(options.suite)
    skill = {task.instance_id: SKILL[index % len(SKILL)] for index, task in enumerate(tasks)}
    with FakeLLM() as llm, tempfile.TemporaryDirectory(prefix="agentroute-attempts-bench-") as scratch:
        llm.responder = Model(tasks)
        top_tier = make_pool(llm.base_url).tiers[-1].name
        print(f"pool prices × {options.price_scale:g}, budget ${options.budget:g}, --attempts {options.attempts}, top tier {top_tier}")
        for number in range(1, options.passes + 1):
            rows, seconds = run(options.suite.resolve(), options, llm.base_url, Path(scratch), f"pass{number}")
            name = "a fresh memory" if number == 1 else f"the memory of pass{'es 1–' if number > 2 else ' '}{number - 1}"
            report(f"pass {number} ({name})", rows, skill, options.budget, seconds)


if __name__ == "__main__":
    main()
