"""The control-plane LLM: consulted through the router only when no tool path reaches the goal.

It is offered the reduced outcomes (demotions) that still have a path and answers in JSON:
demote to one of them, or escalate with a summary for the human taking over. An unreadable
reply, a demotion that was not offered, or a router that cannot call (budget exhausted, every
model failed) all become an escalation — the run never pretends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from agentroute.errors import AgentRouteError
from agentroute.router import Router

SYSTEM_PROMPT = (
    "You are the control plane of a tool-using agent. No working tool path reaches the task's goal. "
    "Either demote the goal to one of the offered reduced outcomes the user accepts, or escalate to a human "
    "with a short summary of what happened and what is left to do. Reply with JSON only: "
    '{"action": "demote", "goal": "<an offered goal>", "summary": "..."} or {"action": "escalate", "summary": "..."}.'
)


class DemotionOption(BaseModel):
    """A reduced outcome that still has a path: its goal state, what the user gets, the path."""

    goal: str
    outcome: str
    path: str


class Situation(BaseModel):
    """What the control plane is told when no path exists."""

    spec: str
    goal: str
    achieved: list[str]
    failed_tools: dict[str, str]
    options: list[DemotionOption]
    reason: str


class Verdict(BaseModel):
    """The control plane's decision."""

    action: Literal["demote", "escalate"]
    goal: str | None = None
    summary: str = ""


OfflineAnswer = Callable[[Situation], str]


def messages_for(situation: Situation) -> list[dict[str, Any]]:
    """The chat messages sent to the control-plane LLM."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": situation.model_dump_json(indent=1)},
    ]


def consult(router: Router, situation: Situation, *, node: str, offline_answer: OfflineAnswer | None = None,
            max_tokens: int = 400) -> Verdict:
    """Ask the control-plane LLM through `router` (tiered, budgeted, traced).

    `offline_answer` computes a reply passed to litellm as `mock_response`, so the call is
    routed, billed and traced without a network (tests, benches, offline demos).
    """
    extra = {"mock_response": offline_answer(situation)} if offline_answer is not None else {}
    try:
        response = router.complete(messages_for(situation), node=node, max_tokens=max_tokens, **extra)
    except AgentRouteError as error:
        return Verdict(action="escalate", summary=f"control-plane LLM unavailable: {error}")
    return parse_verdict(response.choices[0].message.content or "", situation)


def parse_verdict(text: str, situation: Situation) -> Verdict:
    """The verdict in `text`; anything unusable becomes an escalation that says why."""
    start, end = text.find("{"), text.rfind("}")
    try:
        verdict = Verdict.model_validate(json.loads(text[start:end + 1] if start >= 0 else text))
    except (ValueError, ValidationError):
        return Verdict(action="escalate", summary=f"unreadable control-plane reply: {text.strip()[:200]!r}")
    offered = {option.goal for option in situation.options}
    if verdict.action == "demote" and verdict.goal not in offered:
        return Verdict(action="escalate", summary=f"control plane chose demotion {verdict.goal!r}, which was not offered "
                                                  f"({', '.join(sorted(offered)) or 'none'}); {verdict.summary}")
    return verdict


def local_answer(situation: Situation) -> str:
    """A deterministic stand-in for the LLM: demote to the first offered outcome, else escalate."""
    failed = ", ".join(f"{tool} ({error})" for tool, error in situation.failed_tools.items()) or "none"
    if situation.options:
        option = situation.options[0]
        return json.dumps({"action": "demote", "goal": option.goal,
                           "summary": f"failed: {failed}; delivering instead: {option.outcome}"})
    return json.dumps({"action": "escalate",
                       "summary": f"reached {', '.join(situation.achieved)}; failed: {failed}; "
                                  f"no reduced outcome has a path"})
