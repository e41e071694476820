"""The memory behind the budget-aware policy: context text, groups, and a decision that changes
once evidence accumulates (the C-A-F loop)."""

from __future__ import annotations

from pathlib import Path

from agentroute.context import StepContext
from agentroute.memory.context_text import context_group, context_text
from agentroute.memory.experience import MemoryExperience
from agentroute.memory.records import Retrieval
from agentroute.memory.store import ExperienceMemory
from agentroute.policies.base import Decision, Feedback
from agentroute.policies.budget_aware import BudgetAwarePolicy
from agentroute.signals import extract_signals

TASK = {"dimension": "bug_fixing", "source": "swebench", "text": "TypeError in parser.parse when the input is empty"}


def context(run_id: str, step: int = 3, task: dict | None = None, tool_output: str = "exit code: 0") -> StepContext:
    messages = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Fix the bug."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": '{"command": "cat parser.py"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "def parse(text):\n    return text.split()\n" + tool_output},
    ]
    return StepContext(
        run_id=run_id, step=step, node="agent", messages=messages, max_tokens=1000, cap_usd=5.0, spent_usd=0.1,
        remaining_usd=4.9, tier_reserve_usd=[0.001, 0.01, 0.05], tier_mean_cost_usd=[None, None, None],
        expected_remaining_steps=10, signals=extract_signals(messages), task=TASK if task is None else task,
    )


def test_context_text_and_group() -> None:
    ctx = context("r", tool_output="Traceback (most recent call last)\nTypeError: bad\nexit code: 1")
    text = context_text(ctx)
    assert text.splitlines()[0] == "task: TypeError in parser.parse when the input is empty"
    for part in ("dimension=bug_fixing", "source=swebench", "phase=explore", "step=3", "node=agent", "tool_failed",
                 "error: TypeError: bad", "[tool] def parse(text): return text.split()", "[assistant] bash {\"command\": \"cat parser.py\"}"):
        assert part in text, part
    assert len(text) < 2000
    assert context_group(ctx) == "bug_fixing/swebench"
    assert context_group(context("r", task={"source": "mbpp"})) == "mbpp"
    bare = context("r", task={})
    assert context_group(bare) == "" and context_text(bare).startswith("task: Fix the bug.")


def test_memory_changes_the_budget_aware_decision_after_failures(tmp_path: Path) -> None:
    memory = ExperienceMemory(tmp_path / "store")
    experience = MemoryExperience(memory)
    policy = BudgetAwarePolicy(3, experience=experience)
    assert policy.decide(context("cold")).tier == 0  # explore step: the cheap tier's prior clears τ
    assert experience.estimate(context("cold")) == {}
    for run in range(3):
        ctx = context(f"run-{run}")
        for _ in range(2):
            policy.observe(ctx, Decision(tier=0, reason="test"), Feedback(ok=False, outcome="error", tier=0, model="cheap"))
        policy.finish("unresolved")
    evidence = experience.estimate(context("warm"))
    # Six failed tier-0 steps: the neighbours (6 trials, 0 successes) plus 4 pseudo-trials at the group's rate 0.
    assert evidence[0].successes == 0 and evidence[0].trials == 10
    decision = policy.decide(context("warm"))
    assert decision.tier == 1, decision.reason
    assert memory.stats().groups == {"bug_fixing/swebench": 6}


def test_finish_credits_the_task_outcome_to_the_whole_run(tmp_path: Path) -> None:
    memory = ExperienceMemory(tmp_path / "store")
    experience = MemoryExperience(memory, Retrieval(signal="task"))
    ctx = context("run-1")
    for step in range(3):
        experience.record(ctx.model_copy(update={"step": step}), Decision(tier=1, reason="test"),
                          Feedback(ok=step != 1, outcome="ok", tier=1, model="mid", cost_usd=0.01))
    assert experience.estimate(ctx)[1].successes == 2 + 4 * 2 / 3  # step outcomes until the task ends
    experience.finish("run-1", "resolved")
    assert experience.estimate(ctx)[1].successes == 3 + 4 * 1.0
    experience.finish("run-1", "budget_exhausted")
    assert experience.estimate(ctx)[1].successes == 0
    stats = memory.stats()
    assert stats.per_model == {"mid": 3} and stats.count == 3
