"""The harness's own check of a run: correct against the expected outcome, and silent failures found.

The audit trusts the simulated tools' ledger, not the approach. A claim of success (completed
or demoted) is a *silent failure* when any state it claims was not produced by a successful
call that ran after its input state existed: a required step skipped, or a failed result passed
on as success. An escalation is never silent, but it must carry a report.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.outcome import Outcome, RunResult
from agentroute.toolgraph.sim import LedgerEntry


class Audit(BaseModel):
    """The verdict on one run."""

    correct: bool
    silent: bool
    problems: list[str] = Field(default_factory=list)


def valid_calls(graph: ToolGraph, ledger: list[LedgerEntry]) -> set[str]:
    """Ids of successful calls whose input state had been reached (by earlier valid calls) when they ran."""
    reached = {graph.spec.start}
    valid: set[str] = set()
    for entry in ledger:
        if entry.ok and entry.source in reached:
            valid.add(entry.call_id)
            reached.add(entry.target)
            while joins := graph.close_joins(reached):
                reached |= joins
    return valid


def audit(graph: ToolGraph, expect: Sequence[str], ledger: list[LedgerEntry], claim: RunResult) -> Audit:
    """Check `claim` against the ledger and the expected outcomes."""
    if claim.outcome is Outcome.ESCALATED:
        problems = [] if claim.report is not None and claim.report.summary else ["escalated without a report"]
        return Audit(correct=claim.label in expect and not problems, silent=False, problems=problems)
    problems = _success_problems(graph, ledger, claim)
    return Audit(correct=claim.label in expect and not problems, silent=bool(problems), problems=problems)


def _success_problems(graph: ToolGraph, ledger: list[LedgerEntry], claim: RunResult) -> list[str]:
    spec = graph.spec
    problems: list[str] = []
    if claim.outcome is Outcome.COMPLETED and claim.goal != spec.goal:
        problems.append(f"claims completed for {claim.goal!r}, not the goal {spec.goal!r}")
    if claim.outcome is Outcome.DEMOTED and claim.goal not in {demotion.goal for demotion in spec.demotions}:
        problems.append(f"claims a demotion to {claim.goal!r}, which the spec does not accept")
    if claim.goal not in claim.achieved:
        problems.append(f"claims {claim.outcome.value} but never reached {claim.goal!r} (required step skipped)")
    entries = {entry.call_id: entry for entry in ledger}
    valid = valid_calls(graph, ledger)
    for state, call_id in claim.achieved.items():
        if state == spec.start:
            continue
        requires = graph.requires(state)
        if requires:
            problems += [f"claims join {state!r} without {required!r} (required step skipped)"
                         for required in requires if required not in claim.achieved]
            continue
        entry = entries.get(call_id) if call_id is not None else None
        if entry is None:
            problems.append(f"claims {state!r} with no tool call behind it (required step skipped)")
        elif not entry.ok:
            problems.append(f"claims {state!r} from failed call {call_id} (failed result passed on as success)")
        elif entry.target != state:
            problems.append(f"claims {state!r} from call {call_id}, which reached {entry.target!r}")
        elif entry.source not in claim.achieved:
            problems.append(f"claims {state!r} from {call_id}, whose input {entry.source!r} was never reached (required step skipped)")
        elif call_id not in valid:
            problems.append(f"claims {state!r} from {call_id}, which ran before its input {entry.source!r} existed")
    return problems
