"""What the codes in a decision trace mean: the reason grammar, outcomes and record kinds.

A model record's reason is `;`-separated segments: the policy's evidence (comma-separated), its
numbers (`p= τ= ρ=`), then what the router changed (`budget: …`, `tier … failed, try …`). This
module is the one legend: `agentroute trace --legend` prints it, docs/reasons.md explains it, and
a test checks that every reason a real run writes is covered by it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from agentroute.policies.features import FEATURE_NAMES


class Code(NamedTuple):
    """One reason code: how it is written, the pattern it matches and what it means."""

    code: str
    pattern: str
    meaning: str


_NUMBER = r"(?:\d+(?:\.\d+)?|inf)"

REASON_CODES: tuple[Code, ...] = (
    Code("learned n=N", r"learned n=\d+",
         "learned policy (the default): P(tier sufficient) from a model fitted on N labeled steps (shipped seed + memory)"),
    Code("FEATURE+ / FEATURE-", rf"(?:{'|'.join(FEATURE_NAMES)})[+-]",
         "the two step features that moved the learned estimate most: + toward a cheaper tier, - toward a stronger one"),
    Code("untrained", "untrained", "learned policy with nothing to fit on (--no-seed, empty memory): the hand-set table below decides"),
    Code("first call", "first call", "the task's first call: it plans (hand-set difficulty at least 0.45)"),
    Code("phase=P", r"phase=(?:explore|verify|submit|edit)",
         "the phase read from the transcript; hand-set difficulty explore 0.15, verify 0.25, submit 0.45, edit 0.55"),
    Code("N failing tests / tool failed", r"(?:\d+ failing tests|tool failed)", "the last tool call failed (+0.15)"),
    Code("N failures in a row", r"\d+ failures in a row", "consecutive failed tool calls (+0.10 each after the first, at most +0.20)"),
    Code("repeated command", "repeated command", "the same command was run twice or more (+0.20)"),
    Code("previous call OUTCOME", r"previous call \S+", "the previous model call did not end ok (+0.10)"),
    Code("long prefix", "long prefix", "the transcript is over 60,000 characters (+0.10)"),
    Code("tests fixed", "tests fixed", "tests went from failing to passing (-0.15)"),
    Code("d=D", rf"d={_NUMBER}", "hand-set difficulty of the step, 0 (trivial) to 1 (hardest)"),
    Code("memory N trials", rf"memory {_NUMBER} trials", "budget-aware: the estimate was blended with N similar past steps of the experience memory"),
    Code("escalate", "escalate", "two failures in a row (or a failed call): the tier must be above the previous one"),
    Code("p=P", rf"p={_NUMBER}", "estimated probability that the chosen tier succeeds (is sufficient) at this step"),
    Code("τ=T", rf"τ={_NUMBER}",
         "the threshold p had to clear: learned 0.80, budget-aware 0.50 (+0.05 when ρ < 0.25), divided by ρ when ρ > 1"),
    Code("ρ=R", rf"ρ={_NUMBER}",
         "budget pressure: expected remaining steps × cost per step / remaining budget (inf: nothing left)"),
    Code("cascade: stay at tier N", r"cascade: stay at tier \d+", "cascade policy: no failure yet at this tier"),
    Code("cascade: K failure(s), escalate to tier N", r"cascade: \d+ failure\(s\), escalate to tier \d+",
         "cascade policy: K failures at the previous tier, one tier up"),
    Code("always:TIER", r"always:\S+", "fixed-tier baseline (--policy always:TIER): every call on that tier"),
    Code("random", "random", "random baseline: a uniformly random tier"),
    Code("budget: tier A→B", r"budget: tier \S+→\S+", "the router moved the choice down: tier A's reserve did not fit the remaining budget, B's did"),
    Code("budget: max_tokens X→Y", r"budget: (?:tier \S+→\S+, )?max_tokens \d+→\d+",
         "the router lowered the output cap so the call's worst case fits the remaining budget"),
    Code("tier A failed, try B", r"tier \S+ failed, try \S+", "every model of tier A failed; the policy was asked again and steered to B"),
)

OUTCOMES: dict[str, str] = {
    "ok": "answered and billed at the provider's reported usage",
    "ok_usage_missing": "answered without trustworthy usage: billed at the full reserve",
    "ok_overrun": "the provider billed more than the reserve: charged at the reserve, flagged, run stopped",
    "pending": "reserved, not answered yet (or the process died mid-call): counted at its reserve",
    "retry": "transient error (rate limit, timeout, 5xx): retried with backoff on the same model",
    "error": "failed: the tier's next model is tried, then another tier",
    "skipped": "the model's reserve did not fit the remaining budget",
    "interrupted": "Ctrl-C during the call: billed at the reserve",
    "budget_exhausted": "no tier fits what is left: the task stops here instead of overspending",
    "rerouted / paused / demoted / escalated": "tool-graph events (kind reroute, pause, demote, escalation)",
}

KINDS: dict[str, str] = {
    "model": "one model attempt (a step can have several: retries, fallbacks, other tiers)",
    "plan / reroute / pause / demote / escalation": "a tool-graph event; its reason is plain text (see tools/README.md)",
}

_COMPILED = [re.compile(code.pattern) for code in REASON_CODES]
_SEGMENT_PARTS = re.compile(r", | (?=[pτρd]=)")


def _known(part: str) -> bool:
    return any(pattern.fullmatch(part) for pattern in _COMPILED)


def unexplained(reason: str) -> list[str]:
    """The parts of a model record's reason that no code of the legend explains (empty: all of it)."""
    unknown = []
    for segment in filter(None, reason.split("; ")):
        if not _known(segment):
            unknown += [part for part in _SEGMENT_PARTS.split(segment) if part and not _known(part)]
    return unknown
