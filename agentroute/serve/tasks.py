"""Which task a request belongs to, and the budget it runs under.

A task is named by the `X-AgentRoute-Task` header, else by the request's `user` field, else by its
conversation: a hash of the messages up to and including the first user message (system prompt
and task statement), so one agent trajectory is one task and unrelated conversations never share
a budget. The task's run id is `serve-<task>`, kept apart from runs started any other way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from agentroute.budget import parse_budget
from agentroute.errors import BudgetError
from agentroute.serve.errors import BadRequest
from agentroute.serve.settings import ServeSettings
from agentroute.trace import TraceStore

TASK_HEADER = "x-agentroute-task"
BUDGET_HEADER = "x-agentroute-budget"
NODE_HEADER = "x-agentroute-node"
RUN_PREFIX = "serve-"
TASK_NAME = re.compile(r"[A-Za-z0-9._:@+=-]{1,128}")


class TaskRef(BaseModel):
    """The task of one request: its name, how it was named, its run id and its budget."""

    task: str
    named_by: Literal["header", "user", "conversation"]
    run_id: str
    budget_usd: float


def conversation_task(messages: Sequence[Mapping[str, Any]]) -> str:
    """`conv-<hash>` of the messages up to and including the first user message."""
    opening: list[Any] = []
    for message in messages:
        opening.append([message.get("role"), message.get("content")])
        if message.get("role") == "user":
            break
    digest = hashlib.sha256(json.dumps(opening, sort_keys=True, default=str).encode()).hexdigest()
    return f"conv-{digest[:16]}"


def _named(headers: Mapping[str, str], user: Any, messages: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    if headers.get(TASK_HEADER):
        return headers[TASK_HEADER], "header"
    if isinstance(user, str) and user:
        return user, "user"
    return conversation_task(messages), "conversation"


def _budget(headers: Mapping[str, str], settings: ServeSettings) -> float | None:
    text = headers.get(BUDGET_HEADER)
    if text is None:
        return None
    try:
        budget = parse_budget(text.strip(), "X-AgentRoute-Budget")
    except BudgetError as error:
        raise BadRequest(str(error)) from None
    if budget > settings.budget_ceiling_usd:
        raise BadRequest(f"X-AgentRoute-Budget: ${budget:g} is above this server's per-task limit "
                         f"${settings.budget_ceiling_usd:g} (agentroute serve --max-budget)")
    return budget


def resolve_task(headers: Mapping[str, str], user: Any, messages: Sequence[Mapping[str, Any]],
                 settings: ServeSettings, store: TraceStore) -> TaskRef:
    """The request's task and budget; BadRequest for a malformed name or budget, or for a budget
    that differs from the one the task already runs under (a task's cap is fixed when it starts)."""
    task, named_by = _named(headers, user, messages)
    if not TASK_NAME.fullmatch(task):
        raise BadRequest(f"task name {task[:40]!r} (from the {named_by}) must be 1-128 characters of "
                         "letters, digits and ._:@+=-")
    run_id = RUN_PREFIX + task
    asked = _budget(headers, settings)
    existing = store.find_run(run_id)
    if existing is not None and asked is not None and asked != existing.cap_usd:
        raise BadRequest(f"task {task!r} already runs under a ${existing.cap_usd:g} budget; "
                         f"X-AgentRoute-Budget ${asked:g} cannot change it (use a new task name)")
    budget = existing.cap_usd if existing is not None else asked or settings.budget_usd
    return TaskRef(task=task, named_by=named_by, run_id=run_id, budget_usd=budget)
