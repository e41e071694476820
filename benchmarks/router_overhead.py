"""Router decision overhead on a 50-message prefix, excluding the LLM call.

Measures what `Router.call` does before it sends a request: count prompt tokens (litellm's
counter), build the step context (signals from the prefix), let the policy decide (the learned
default: step features, the fitted model, and the kNN evidence of an experience memory holding
`--memory` records), and fit the decision to the budget.

    python benchmarks/router_overhead.py [--calls 500] [--memory 10000] [--policy learned]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from agentroute.memory.experience import MemoryExperience
from agentroute.memory.records import Experience, Retrieval
from agentroute.memory.store import ExperienceMemory
from agentroute.pool import load_pool
from agentroute.policies import make_policy
from agentroute.router import Router


def prefix(n_messages: int) -> list[dict]:
    """A realistic agent prefix: system, issue, then assistant tool calls and tool outputs."""
    messages = [{"role": "system", "content": "You are a coding agent. " * 40},
                {"role": "user", "content": "Fix the failing test in parser.py. " * 20}]
    step = 0
    while len(messages) < n_messages:
        command = ["ls -R", "cat parser.py", "python -m pytest -q", "sed -i 's/a/b/' parser.py"][step % 4]
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": f"c{step}", "type": "function",
            "function": {"name": "bash", "arguments": json.dumps({"command": command})}}]})
        output = "line of output from the tool\n" * 30 + ("1 failed, 4 passed\nexit code: 1" if "pytest" in command else "exit code: 0")
        messages.append({"role": "tool", "tool_call_id": f"c{step}", "content": output})
        step += 1
    return messages[:n_messages]


def filled_memory(records: int, n_tiers: int) -> MemoryExperience:
    """An in-process experience memory of `records` credited steps of varied prefixes."""
    memory = ExperienceMemory(in_process=True, max_records=max(records, 1))
    experiences = []
    for index in range(records):
        length = 3 + index % 40
        experiences.append(Experience(
            id=f"e{index}", run_id=f"r{index // 30}", step=index % 30, created=float(index),
            text=f"task {index % 97}: fix parser bug {index % 13}\n" + "\n".join(
                str(message.get("content") or "")[:80] for message in prefix(length)[-3:]) + f" step={index % 30}",
            tier=index % n_tiers, model=f"tier-{index % n_tiers}", success=1.0, task_success=float(index % 3 != 0),
        ))
    memory.add_many(experiences)
    return MemoryExperience(memory, Retrieval(signal="task"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--memory", type=int, default=10_000, help="experiences in the memory (0: no memory)")
    parser.add_argument("--policy", default="learned")
    args = parser.parse_args()
    pool = load_pool()
    experience = filled_memory(args.memory, pool.size) if args.memory else None
    router = Router(pool, make_policy(args.policy, pool, experience=experience), budget_usd=5.0, run_id="bench")
    messages = prefix(50)
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}}]
    router.count_prompt_tokens(pool.tiers[0].primary, messages, tools)  # warm the tokenizer
    timings = []
    for _ in range(args.calls):
        started = time.perf_counter()
        counted = router.count_prompt_tokens(pool.tiers[0].primary, messages, tools)
        context = router.context(messages, tools=tools, node="agent", prompt_tokens=counted)
        decision = router.policy.decide(context)
        router.fit(decision, counted, context.max_tokens)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(json.dumps({"policy": args.policy, "memory_records": args.memory, "messages": len(messages),
                      "prompt_tokens": counted, "calls": args.calls,
                      "p50_ms": round(p50, 3), "p99_ms": round(p99, 3)}))


if __name__ == "__main__":
    main()
