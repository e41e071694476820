"""A scripted coding-agent episode routed offline: shows routing and accounting, not quality.

The model replies are litellm `mock_response`s (no network, no keys) carrying realistic usage:
the real prompt token count of each prefix and an output size that fits the reply. The tool
outputs are scripted: explore the repo, see a failing test, edit, fail again, edit, pass, submit.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from agentroute.router import Router

TOOLS = [{
    "type": "function",
    "function": {
        "name": "bash",
        "description": "Run a shell command in the repository and return its output and exit code.",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    },
}]

_SOURCE = "\n".join(f"def helper_{i}(values):\n    return [v * {i} for v in values if v]\n" for i in range(60))

ISSUE = (
    "The repository `stats` has a bug: `mean([])` raises ZeroDivisionError instead of returning None, "
    "and `median` returns the wrong value for even-length lists. Fix both and make the tests pass."
)

SCRIPT: list[tuple[str, str]] = [
    ("ls -R", "stats/__init__.py\nstats/core.py\nstats/helpers.py\ntests/test_core.py\nexit code: 0"),
    ("cat stats/core.py stats/helpers.py", "def mean(xs):\n    return sum(xs) / len(xs)\n\ndef median(xs):\n"
     "    s = sorted(xs)\n    return s[len(s) // 2]\n" + _SOURCE + "\nexit code: 0"),
    ("python -m pytest -q", "FAILED tests/test_core.py::test_mean_empty - ZeroDivisionError: division by zero\n"
     "FAILED tests/test_core.py::test_median_even - AssertionError: assert 3 == 2.5\n2 failed, 6 passed in 0.05s\nexit code: 1"),
    ("sed -i 's/return sum(xs) \\/ len(xs)/return sum(xs) \\/ len(xs) if xs else None/' stats/core.py", "exit code: 0"),
    ("python -m pytest -q", "FAILED tests/test_core.py::test_median_even - AssertionError: assert 3 == 2.5\n"
     "1 failed, 7 passed in 0.04s\nexit code: 1"),
    ("python - <<'EOF'\nimport re,pathlib\np=pathlib.Path('stats/core.py')\np.write_text(p.read_text().replace("
     "'return s[len(s) // 2]', 'n = len(s)\\n    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2'))\nEOF",
     "exit code: 0"),
    ("python -m pytest -q", "8 passed in 0.04s\nexit code: 0"),
    ("git diff", "diff --git a/stats/core.py b/stats/core.py\n-    return sum(xs) / len(xs)\n+    return sum(xs) / len(xs) if xs else None\nexit code: 0"),
]


class EpisodeResult(BaseModel):
    """What one policy did on the scripted episode."""

    policy: str
    calls: int
    spent_usd: float
    outcome: str
    tiers: list[str]


def _mock_reply(command: str | None, messages: list[dict[str, Any]], model_id: str, step: int) -> dict[str, Any]:
    from agentroute._litellm import load_litellm

    prompt_tokens = load_litellm().token_counter(model=model_id, messages=messages, tools=TOOLS)
    if command is None:
        message: dict[str, Any] = {"role": "assistant", "content": "Both bugs are fixed and the tests pass. Submitting."}
    else:
        message = {"role": "assistant", "content": None, "tool_calls": [{
            "id": f"call_{step}", "type": "function",
            "function": {"name": "bash", "arguments": json.dumps({"command": command})},
        }]}
    completion_tokens = 120 + len(command or "") // 3
    return {
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if command else "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def run_episode(router: Router) -> EpisodeResult:
    """Play the script through `router`; every call is routed, reserved, billed and traced."""
    from agentroute.errors import BudgetExhausted

    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a coding agent. Use the bash tool; reply without a tool call when done."},
        {"role": "user", "content": ISSUE},
    ]
    outcome = "submitted"
    for step, (command, output) in enumerate([*SCRIPT, (None, "")]):
        try:
            response = router.complete(
                messages, tools=TOOLS, node="agent", max_tokens=1024,
                mock_response=_mock_reply(command, messages, router.pool.tiers[0].primary.id, step),
            )
        except BudgetExhausted:
            outcome = "budget_exhausted"
            break
        reply = response.choices[0].message
        if command is None:
            messages.append({"role": "assistant", "content": reply.content})
            break
        call = reply.tool_calls[0]
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments},
        }]})
        messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
    router.finish(outcome)
    snapshot = router.ledger.snapshot()
    tiers = [record.tier_name or "-" for record in router.records if record.outcome.startswith("ok")]
    return EpisodeResult(policy=router.policy.name, calls=snapshot.calls, spent_usd=snapshot.spent_usd, outcome=outcome, tiers=tiers)
