"""The executor: runs a task over the tool graph and heals it when tools fail.

Each step: plan from where the task stands (Dijkstra, `planner.py`), let the monitors judge
the last call, then act on the strongest signal — escalate (risk, no progress), pause (only a
rate window stands in the way), reroute (the failed tool's edge is now infinite; the new plan
is logged with the path before and after) — or simply take the plan's next step. When no path
reaches the goal and waiting would not help, the control-plane LLM is consulted through the
router (`control.py`) to demote the goal to a reduced outcome or to escalate with a report.

Binary observability: every failed call ends in a logged reroute, a pause, a demotion or an
explicit escalation, each written as an `Event` and, via `Router.note`, into the same decision
trace as the model calls. A run never reports success for a state no successful call reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentroute.errors import ConfigError
from agentroute.router import Router
from agentroute.toolgraph.calls import ToolCall, ToolFn, ToolResult
from agentroute.toolgraph.control import DemotionOption, OfflineAnswer, Situation, consult
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.health import HealthBoard
from agentroute.toolgraph.monitors import DEFAULT_MONITORS, Action, Monitor, Observation, Signal, strongest
from agentroute.toolgraph.outcome import CallRecord, EscalationReport, Event, Outcome, RunResult
from agentroute.toolgraph.planner import Plan, Step, plan
from agentroute.config_files import error_line

_TRACE_OUTCOME = {"plan": "ok", "reroute": "rerouted", "pause": "paused", "demote": "demoted", "escalation": "escalated"}


def check_functions(graph: ToolGraph, tools: Mapping[str, ToolFn]) -> None:
    """ConfigError unless every tool of the graph has a function."""
    missing = [tool.name for tool in graph.tools if tool.name not in tools]
    if missing:
        raise ConfigError(f"tool graph {graph.name!r}: no function for tool(s) {', '.join(missing)}")


class Executor:
    """Runs a task over one tool graph with the given tool functions, under one run's router."""

    def __init__(
        self,
        graph: ToolGraph,
        tools: Mapping[str, ToolFn],
        *,
        router: Router,
        board: HealthBoard | None = None,
        monitors: Sequence[Monitor] = DEFAULT_MONITORS,
        node: str = "toolgraph",
        offline_answer: OfflineAnswer | None = None,
    ) -> None:
        check_functions(graph, tools)
        self.graph = graph
        self.tools = dict(tools)
        self.router = router
        self.board = board or HealthBoard(graph)
        self.monitors = tuple(monitors)
        self.node = node
        self.offline_answer = offline_answer

    def run(self, goal: str | None = None) -> RunResult:
        """Run one task from the spec's start to `goal` (default: the spec's goal)."""
        goal = goal or self.graph.spec.goal
        if goal not in self.graph.digraph:
            raise ConfigError(f"tool graph {self.graph.name!r} has no state {goal!r}")
        return _Run(self, goal).execute()


class _Run:
    """The state of one run: what is achieved, what failed, what was decided."""

    def __init__(self, executor: Executor, goal: str) -> None:
        self.executor = executor
        self.spec = executor.graph.spec
        self.goal = goal
        self.original_goal = goal
        self.achieved: dict[str, str | None] = {self.spec.start: None}
        self.outputs: dict[str, Any] = {}
        self.failed: dict[str, str] = {}
        self.calls: list[CallRecord] = []
        self.events: list[Event] = []
        self.tried_demotions: set[str] = set()
        self.failures_without_progress = 0
        self.paused_s = 0.0
        self.control_calls = 0
        self.last: CallRecord | None = None
        self.path_at_call: str | None = None

    # -- planning ---------------------------------------------------------------------------
    def plan(self, goal: str | None = None, *, ignore_rate: bool = False) -> Plan | None:
        weigh = self.executor.board.weigh(set(self.failed), ignore_rate=ignore_rate)
        return plan(self.executor.graph, self.achieved, goal or self.goal, weigh)

    def wait_for_path(self) -> float | None:
        """Seconds until rate windows free enough for a path, if within the pause budget."""
        hoped = self.plan(ignore_rate=True)
        if hoped is None:
            return None
        wait = max((self.executor.board.free_in(tool) for tool in hoped.tools), default=0.0)
        budget = self.spec.settings.max_pause_s - self.paused_s
        return wait if 0 < wait <= budget else None

    # -- the loop ---------------------------------------------------------------------------
    def execute(self) -> RunResult:
        first = self.plan()
        skipped = self.executor.board.open_breakers()
        self.note(Event(kind="plan", reason=f"plan to {self.goal}: {first.describe() if first else 'no path'}"
                        + (f" (circuit open: {', '.join(skipped)})" if skipped else ""),
                        path_after=first.describe() if first else None))
        while True:
            done = self.goal in self.achieved
            current = None if done else self.plan()
            observation = Observation(
                last=self.last, plan=current, wait_s=self.wait_for_path() if current is None and not done else None,
                failures_without_progress=self.failures_without_progress, settings=self.spec.settings,
            )
            signal = strongest(self.executor.monitors, observation)
            last, self.last = self.last, None
            if signal is not None and signal.action is Action.ESCALATE:
                return self.escalate(signal.reason, monitor=signal.monitor)
            if done:
                return self.result(Outcome.COMPLETED if self.goal == self.original_goal else Outcome.DEMOTED)
            if signal is not None and signal.action is Action.PAUSE:
                self.pause(signal, last)
                continue
            if current is None:
                escalated = self.consult(last)
                if escalated is not None:
                    return escalated
                continue
            if last is not None and not last.ok:
                self.reroute(signal, last, current)
            self.call(current.steps[0], current)

    def call(self, step: Step, current: Plan) -> None:
        """Run one tool and account for its result."""
        self.path_at_call = current.describe()
        request = ToolCall(tool=step.tool, source=step.source, target=step.target, inputs=dict(self.outputs))
        try:
            result = self.executor.tools[step.tool](request)
        except Exception as error:  # a tool is user code: any exception is a failed call, never a crash
            result = ToolResult(ok=False, error=error_line(error))
        self.executor.board.record(step.tool, result)
        record = CallRecord(tool=step.tool, source=step.source, target=step.target, ok=result.ok,
                            error=None if result.ok else (result.error or "failed without an error message"),
                            rate_limited=result.rate_limited, retry_after_s=result.retry_after_s,
                            risk=list(result.risk), call_id=result.call_id)
        self.calls.append(record)
        self.last = record
        if not result.ok:
            self.failures_without_progress += 1
            if not result.rate_limited:
                self.failed[step.tool] = record.error or ""
            return
        self.failures_without_progress = 0
        self.achieved[step.target] = result.call_id
        self.outputs[step.target] = result.output
        while joins := self.executor.graph.close_joins(set(self.achieved)):
            for join in sorted(joins):
                self.achieved[join] = None

    # -- decisions --------------------------------------------------------------------------
    def reroute(self, signal: Signal | None, last: CallRecord, current: Plan) -> None:
        reason = signal.reason if signal is not None else f"{last.tool} failed: {last.error}"
        self.note(Event(kind="reroute", reason=f"{reason}; path {self.path_at_call} ⇒ {current.describe()}",
                        tool=last.tool, failed=[last.tool], path_before=self.path_at_call,
                        path_after=current.describe(), monitor=signal.monitor if signal else None))

    def pause(self, signal: Signal, last: CallRecord | None) -> None:
        self.executor.board.clock.sleep(signal.wait_s)
        self.paused_s += signal.wait_s
        failed = [last.tool] if last is not None and not last.ok else []
        cause = f"{last.tool} failed: {last.error}; " if failed and last is not None else ""
        self.note(Event(kind="pause", reason=f"{cause}{signal.reason}; paused {signal.wait_s:.1f} s", tool=last.tool if last else None,
                        failed=failed, path_before=self.path_at_call, monitor=signal.monitor))

    def consult(self, last: CallRecord | None) -> RunResult | None:
        """No path: ask the control-plane LLM. Returns the escalated result, or None after a demotion."""
        options: list[tuple[float, DemotionOption]] = []
        for demotion in self.spec.demotions:
            if demotion.goal in self.tried_demotions or demotion.goal == self.goal:
                continue
            found = self.plan(demotion.goal)
            if found is not None:
                options.append((found.cost, DemotionOption(goal=demotion.goal, outcome=demotion.outcome, path=found.describe())))
        options.sort(key=lambda pair: pair[0])
        offered = [option for _, option in options]
        reason = f"no path to {self.goal}" + (f" after {last.tool} failed" if last and not last.ok else "")
        situation = Situation(spec=self.spec.name, goal=self.goal, achieved=list(self.achieved), failed_tools=dict(self.failed),
                              options=offered, reason=reason)
        self.control_calls += 1
        verdict = consult(self.executor.router, situation, node=self.executor.node, offline_answer=self.executor.offline_answer)
        if verdict.action == "demote" and verdict.goal is not None:
            before, self.goal = self.goal, verdict.goal
            self.tried_demotions.add(verdict.goal)
            after = self.plan()
            self.note(Event(kind="demote", reason=f"{reason}; goal demoted {before} → {self.goal}: {verdict.summary}",
                            tool=last.tool if last else None, failed=sorted(self.failed), path_before=self.path_at_call,
                            path_after=after.describe() if after else None, monitor="control_plane"))
            return None
        return self.escalate(reason, monitor="control_plane", summary=verdict.summary, options=[o.goal for o in offered])

    def escalate(self, reason: str, *, monitor: str, summary: str = "", options: list[str] | None = None) -> RunResult:
        report = EscalationReport(
            spec=self.spec.name, goal=self.goal, original_goal=self.original_goal, reason=reason, monitor=monitor,
            achieved=list(self.achieved), failed_tools=dict(self.failed), options_considered=options or [],
            summary=summary or reason,
        )
        self.note(Event(kind="escalation", reason=f"{reason}; {summary}" if summary else reason,
                        failed=sorted(self.failed), path_before=self.path_at_call, monitor=monitor))
        return self.result(Outcome.ESCALATED, report)

    # -- records ----------------------------------------------------------------------------
    def note(self, event: Event) -> None:
        self.events.append(event)
        latest = {call.tool: call.error for call in self.calls if not call.ok}
        errors = "; ".join(f"{tool}: {latest[tool]}" for tool in event.failed if tool in latest)
        self.executor.router.note(event.kind, event.reason, node=self.executor.node, outcome=_TRACE_OUTCOME[event.kind],
                                  error=errors or None)

    def result(self, outcome: Outcome, report: EscalationReport | None = None) -> RunResult:
        return RunResult(spec=self.spec.name, outcome=outcome, goal=self.goal, original_goal=self.original_goal,
                         achieved=dict(self.achieved), calls=list(self.calls), events=list(self.events), report=report,
                         control_calls=self.control_calls)
