"""The routed coding agent: a LangGraph loop of model → tools until the model submits.

    setup ─▶ model ─▶ tools ─▶ model ─▶ … ─▶ finish
               └──(budget exhausted / all models failed)──▶ finish
                        └──(submitted / step limit)────────▶ finish

Every model call is `router.complete(...)` on the router of the run (one per thread id), so each
call is routed with the whole prefix in view (failing tests, repeated commands, phase, spend)
under the task's hard budget. The tools run in the task's sandboxed workspace. `finish` takes
the workspace diff as the patch and, if the agent submitted, decides resolved / unresolved with
the task's tests and runs the attempt's check (verified / unverified, agentroute/swe/verify.py).
Outcomes: resolved, unresolved, budget_exhausted, step_limit, error.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agentroute.app import AgentRoute, run_id_of
from agentroute.errors import AllModelsFailed, BudgetExhausted
from agentroute.swe.evaluate import evaluate_patch
from agentroute.swe.task import SweTask, load_tasks
from agentroute.swe.tools import TOOLS, run_tool
from agentroute.swe.verify import not_submitted, run_check, tests_verdict
from agentroute.swe.workspace import SandboxSettings, Workspace

SYSTEM_PROMPT = """You are a careful software engineer. The repository of the issue below is your working directory.
Find the cause, fix it in the source with the smallest sound change, check the fix by running code or tests, then call `submit`.
Tools: `bash` runs one command in the repository root ({timeout:g}s limit, no network, output truncated), `edit` replaces exact text in a file, `submit` ends the task with the repository's changes as the patch.
Use one tool per reply. Do not change existing tests unless the issue requires it."""

class TaskInterrupted(Exception):
    """The run was asked to stop (Ctrl-C); the task resumes from its last checkpoint next time."""


NUDGE = "Reply with a tool call: bash to explore or test, edit to change a file, submit when the fix is done."


class AgentSettings(BaseModel):
    """Limits of one agent run, and the check of its submitted work (`verify`: a command run in
    the workspace; None: the task's own tests, see agentroute/swe/verify.py)."""

    max_steps: int = Field(default=40, gt=0)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    keep_workspace: bool = False
    verify: str | None = None
    verify_timeout: float = Field(default=300.0, gt=0)


class AgentState(TypedDict, total=False):
    """What the graph checkpoints: the task, its workspace, the transcript and the result."""

    task: dict[str, Any] | str
    workspace: str
    messages: Annotated[list[dict[str, Any]], operator.add]
    steps: int
    stop: str | None
    error: str | None
    patch: str
    outcome: str
    evaluation: dict[str, Any] | None
    verdict: dict[str, Any]


def task_of(value: dict[str, Any] | str) -> SweTask:
    """The task in a state: a SweTask dict, or a task directory path (handy from LangGraph Studio)."""
    return load_tasks(Path(value))[0] if isinstance(value, str) else SweTask.model_validate(value)


def _assistant_message(response: Any) -> dict[str, Any]:
    """The OpenAI-format dict of a litellm response's message (tool calls kept, nothing else)."""
    message = response.choices[0].message
    calls = [{"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}
             for call in (message.tool_calls or [])]
    # content "" rather than None: llama.cpp's server rejects a tool-call message without text
    return {"role": "assistant", "content": message.content or "", **({"tool_calls": calls} if calls else {})}


def build_agent(route: AgentRoute, settings: AgentSettings | None = None, *, checkpointer: Any = None) -> CompiledStateGraph:
    """The coding-agent graph. One router, budget and trace per run: the `agentroute_run_id` of the
    config's `configurable`, else its thread id (so all runs on one thread share one budget). A `stop` event there, once set, interrupts before the next call."""
    settings = settings or AgentSettings()

    def workspace_of(state: AgentState) -> Workspace:
        return Workspace(Path(state["workspace"]), settings.sandbox)

    def router_of(config: RunnableConfig) -> Any:
        return route.router(run_id_of(config))

    def setup(state: AgentState) -> dict[str, Any]:
        task = task_of(state["task"])
        workspace = Workspace.create(task.repo_dir, base_commit=task.base_commit, settings=settings.sandbox)
        return {
            "task": task.model_dump(mode="json"),  # a task given as a path is read once, here
            "workspace": str(workspace.root), "steps": 0, "stop": None,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT.format(timeout=settings.sandbox.timeout)},
                         {"role": "user", "content": f"<issue>\n{task.problem_statement}\n</issue>"}],
        }

    def model(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        stop = (config.get("configurable") or {}).get("stop")
        if stop is not None and stop.is_set():
            raise TaskInterrupted()
        router = router_of(config)
        try:
            # an explicit "auto": OpenAI's default, and what makes llama.cpp's server call tools at all
            response = router.complete(state["messages"], tools=TOOLS, node="model", tool_choice="auto")
        except BudgetExhausted as exhausted:
            return {"stop": "budget_exhausted", "error": str(exhausted)}
        except AllModelsFailed as failed:
            return {"stop": "error", "error": str(failed)}
        return {"messages": [_assistant_message(response)], "steps": state.get("steps", 0) + 1}

    def tools(state: AgentState) -> dict[str, Any]:
        calls = state["messages"][-1].get("tool_calls") or []
        workspace = workspace_of(state)
        replies: list[dict[str, Any]] = []
        submitted = False
        for call in calls:
            result = run_tool(workspace, call["function"]["name"], call["function"]["arguments"])
            replies.append({"role": "tool", "tool_call_id": call["id"], "content": result.content})
            submitted = submitted or result.submitted
        if not calls:
            replies.append({"role": "user", "content": NUDGE})
        stop = "submitted" if submitted else "step_limit" if state.get("steps", 0) >= settings.max_steps else None
        return {"messages": replies, "stop": stop}

    def finish(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        task = SweTask.model_validate(state["task"])
        workspace = workspace_of(state)
        patch = workspace.diff()
        evaluation = None
        outcome = state.get("stop") or "error"
        verdict = not_submitted(outcome)
        if outcome == "submitted":
            evaluation = evaluate_patch(task, patch)
            outcome = "resolved" if evaluation.resolved else "unresolved"
            verdict = (run_check(task, patch, settings.verify, settings.verify_timeout) if settings.verify
                       else tests_verdict(evaluation))
        router_of(config).finish(outcome)
        if not settings.keep_workspace:
            workspace.remove()
        return {"patch": patch, "outcome": outcome, "evaluation": evaluation.model_dump() if evaluation else None,
                "verdict": verdict.model_dump()}

    def after_model(state: AgentState) -> str:
        return "finish" if state.get("stop") else "tools"

    def after_tools(state: AgentState) -> str:
        return "finish" if state.get("stop") else "model"

    builder = StateGraph(AgentState)
    builder.add_node("setup", setup)
    builder.add_node("model", model)
    builder.add_node("tools", tools)
    builder.add_node("finish", finish)
    builder.add_edge(START, "setup")
    builder.add_edge("setup", "model")
    builder.add_conditional_edges("model", after_model, ["tools", "finish"])
    builder.add_conditional_edges("tools", after_tools, ["model", "finish"])
    builder.add_edge("finish", END)
    # two supersteps per step (model, tools) plus setup and finish: LangGraph's default of 25 is too few
    return builder.compile(checkpointer=checkpointer).with_config(recursion_limit=2 * settings.max_steps + 10)
