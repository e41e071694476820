"""The two baselines the self-healing executor is measured against, on the same simulated tools.

- `run_static`: a hand-wired workflow (the scenario file's `static_workflow`). Each step tries
  its pre-wired tools in order, every call under LangGraph's default retry policy (3 attempts,
  0.5 s then 1 s backoff). When all of a step's tools fail, a `stop` step hands the task to a
  human; a `continue` step logs the error and passes the step's last result on — the usual
  fail-open wiring for best-effort steps. No LLM call, no rerouting beyond the wiring.
- `run_react`: a ReAct-style agent that asks the LLM (through the router) for every next
  action — call a tool, wait, demote, finish or escalate. The LLM is answered offline by
  `react_answer`, a deterministic policy that reads the observations the agent collected and
  plans over the graph, so the agent is as correct as a good model; what it costs is one
  control-plane call per step.
"""

from __future__ import annotations

import json
import math
from typing import Any

from agentroute.errors import AgentRouteError
from agentroute.toolgraph.calls import ToolCall, ToolResult
from agentroute.toolgraph.graph import ToolGraph
from agentroute.toolgraph.outcome import CallRecord, EscalationReport, Outcome, RunResult
from agentroute.toolgraph.planner import Weigh, plan
from agentroute.toolgraph.spec import ToolSpec
from agentroute.toolgraph.trial import Trial
from agentroute.toolgraph.weights import tool_weight

STATIC_ATTEMPTS = 3
STATIC_BACKOFF_S = 0.5
REACT_MAX_TURNS = 60
REACT_MAX_WAIT_S = 60.0
REACT_SYSTEM = (
    "You are a tool-using agent. After each observation reply with one JSON action: "
    '{"action": "call", "tool": NAME}, {"action": "wait", "seconds": S}, {"action": "demote", "goal": STATE}, '
    '{"action": "finish"} or {"action": "escalate", "summary": TEXT}.'
)


def _close_joins(graph: ToolGraph, achieved: dict[str, str | None]) -> None:
    while joins := graph.close_joins(set(achieved)):
        for join in sorted(joins):
            achieved[join] = None


def _record(tool: ToolSpec, result: ToolResult) -> CallRecord:
    return CallRecord(tool=tool.name, source=tool.source, target=tool.target, ok=result.ok, error=result.error,
                      rate_limited=result.rate_limited, retry_after_s=result.retry_after_s, call_id=result.call_id)


def run_static(trial: Trial) -> RunResult:
    """Run the scenario's hand-wired static workflow."""
    spec = trial.graph.spec
    functions = trial.world.functions()
    achieved: dict[str, str | None] = {spec.start: None}
    calls: list[CallRecord] = []
    for step in trial.family.static_workflow:
        done = False
        for name in step.tools:
            tool = trial.graph.tool(name)
            for attempt in range(STATIC_ATTEMPTS):
                result = functions[name](ToolCall(tool=name, source=tool.source, target=tool.target))
                calls.append(_record(tool, result))
                if result.ok:
                    achieved[step.state] = result.call_id
                    done = True
                    break
                if attempt + 1 < STATIC_ATTEMPTS:
                    trial.clock.sleep(STATIC_BACKOFF_S * 2**attempt)
            if done:
                break
        if not done and step.on_failure == "stop":
            failed = {call.tool: call.error or "" for call in calls if not call.ok}
            report = EscalationReport(spec=spec.name, goal=spec.goal, original_goal=spec.goal, monitor="static",
                                      reason=f"step {step.state} failed with every wired tool", achieved=list(achieved),
                                      failed_tools=failed, summary=f"handed to a human at step {step.state}")
            return RunResult(spec=spec.name, outcome=Outcome.ESCALATED, goal=spec.goal, original_goal=spec.goal,
                             achieved=achieved, calls=calls, report=report)
        if not done:
            achieved[step.state] = calls[-1].call_id
        _close_joins(trial.graph, achieved)
    return RunResult(spec=spec.name, outcome=Outcome.COMPLETED, goal=spec.goal, original_goal=spec.goal,
                     achieved=achieved, calls=calls)


def react_answer(graph: ToolGraph, *, achieved: set[str], goal: str, failed: set[str], blocked_until: dict[str, float],
                 tried: set[str], now: float) -> dict[str, Any]:
    """The deterministic stand-in for the ReAct LLM: the next action from what the agent observed."""
    if goal in achieved:
        return {"action": "finish"}
    latency_value = graph.spec.settings.latency_usd_per_s

    def weigh(blocked: bool) -> Weigh:
        def weight(tool: ToolSpec) -> float:
            if tool.name in failed or (blocked and blocked_until.get(tool.name, 0.0) > now):
                return math.inf
            return tool_weight(tool, latency_usd_per_s=latency_value)
        return weight

    found = plan(graph, achieved, goal, weigh(blocked=True))
    if found is not None:
        return {"action": "call", "tool": found.steps[0].tool}
    hoped = plan(graph, achieved, goal, weigh(blocked=False))
    if hoped is not None:
        wait = max(blocked_until.get(tool, 0.0) - now for tool in hoped.tools)
        if 0 < wait <= REACT_MAX_WAIT_S:
            return {"action": "wait", "seconds": wait}
    for demotion in graph.spec.demotions:
        if demotion.goal not in tried and demotion.goal != goal and plan(graph, achieved, demotion.goal, weigh(blocked=True)) is not None:
            return {"action": "demote", "goal": demotion.goal}
    return {"action": "escalate", "summary": f"no tool path to {goal}; failed: {', '.join(sorted(failed)) or 'none'}"}


def run_react(trial: Trial) -> RunResult:
    """Run the scenario as a ReAct agent: one routed LLM call per action."""
    graph, spec, router = trial.graph, trial.graph.spec, trial.router
    functions = trial.world.functions()
    tools = "\n".join(f"- {tool.name}: {tool.source} → {tool.target}. {tool.description}" for tool in spec.tools)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": REACT_SYSTEM},
        {"role": "user", "content": f"Task: reach {spec.goal} from {spec.start}. Tools:\n{tools}"},
    ]
    achieved: dict[str, str | None] = {spec.start: None}
    calls: list[CallRecord] = []
    failed: set[str] = set()
    blocked_until: dict[str, float] = {}
    tried: set[str] = set()
    goal = spec.goal
    for _ in range(REACT_MAX_TURNS):
        answer = react_answer(graph, achieved=set(achieved), goal=goal, failed=failed, blocked_until=blocked_until,
                              tried=tried, now=trial.clock.now())
        response = router.complete(messages, node="react", max_tokens=200, mock_response=json.dumps(answer))
        content = response.choices[0].message.content or ""
        messages.append({"role": "assistant", "content": content})
        action = json.loads(content)
        kind = action["action"]
        if kind == "call":
            tool = graph.tool(action["tool"])
            result = functions[tool.name](ToolCall(tool=tool.name, source=tool.source, target=tool.target))
            calls.append(_record(tool, result))
            if result.ok:
                achieved[tool.target] = result.call_id
                _close_joins(graph, achieved)
            elif result.rate_limited:
                blocked_until[tool.name] = trial.clock.now() + (result.retry_after_s or 0.0)
            else:
                failed.add(tool.name)
            messages.append({"role": "user", "content": "Observation: " + result.model_dump_json(exclude_none=True)})
        elif kind == "wait":
            trial.clock.sleep(float(action["seconds"]))
            messages.append({"role": "user", "content": f"Observation: waited {action['seconds']:.1f} s"})
        elif kind == "demote":
            goal = action["goal"]
            tried.add(goal)
            messages.append({"role": "user", "content": f"Observation: goal is now {goal}"})
        elif kind == "finish":
            outcome = Outcome.COMPLETED if goal == spec.goal else Outcome.DEMOTED
            return RunResult(spec=spec.name, outcome=outcome, goal=goal, original_goal=spec.goal, achieved=achieved, calls=calls)
        else:
            report = EscalationReport(spec=spec.name, goal=goal, original_goal=spec.goal, monitor="react",
                                      reason="the agent escalated", achieved=list(achieved),
                                      failed_tools={call.tool: call.error or "" for call in calls if not call.ok},
                                      summary=action.get("summary", ""))
            return RunResult(spec=spec.name, outcome=Outcome.ESCALATED, goal=goal, original_goal=spec.goal,
                             achieved=achieved, calls=calls, report=report)
    raise AgentRouteError(f"react agent did not finish within {REACT_MAX_TURNS} turns")
