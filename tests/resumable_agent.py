"""A routed agent run in a child process by the kill-and-resume tests (forked by cli.start_script).

usage: python resumable_agent.py BASE_URL HOME DOOR MODE [THREAD_ID]
  DOOR: supervised (RoutedChatModel agent inside `supervise`) or middleware (create_agent with
        AgentRouteMiddleware and a SQLite checkpointer)
  MODE: first (the tool blocks at step 2 so the parent can kill the process) or resume
  THREAD_ID: the run's thread id (default job-DOOR)
With $AGENTROUTE_DB set, the trace store, budget ledger and checkpoints are in that Postgres
database instead of SQLite files under HOME.
Prints `TOOL n` as each tool call runs and `RESULT {json}` at the end.
"""

from __future__ import annotations

import json
import os
import sys
import time

from conftest import make_pool
from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langchain_litellm import ChatLiteLLM

from agentroute.app import AgentRoute
from agentroute.integrations.supervisor import sqlite_checkpointer
from agentroute.store import open_checkpointer
from agentroute.router_settings import RouterSettings

base_url, home, door, mode = sys.argv[1:5]
thread_id = sys.argv[5] if len(sys.argv) > 5 else f"job-{door}"
db = os.environ.get("AGENTROUTE_DB")


@tool
def work(n: int) -> str:
    """Do step n of the job."""
    print(f"TOOL {n}", flush=True)
    if n == 2 and mode == "first":
        time.sleep(120)
    return f"step {n} done\nexit code: 0"


agentroute = AgentRoute(pool=make_pool(base_url), policy="cascade", budget_usd=1.0, store=db or f"{home}/runs.sqlite",
                        settings=RouterSettings(max_tokens=200, backoff_initial=0, backoff_max=0, timeout=5))
checkpointer = open_checkpointer(db) if db else sqlite_checkpointer(f"{home}/checkpoints.sqlite")
if door == "supervised":
    app = agentroute.supervise(create_agent(agentroute.chat_model(), tools=[work]), checkpointer=checkpointer)
else:
    unrouted = ChatLiteLLM(model="openai/unrouted", api_base=base_url, api_key="test")
    app = create_agent(unrouted, tools=[work], middleware=[agentroute.middleware()], checkpointer=checkpointer)
config = {"configurable": {"thread_id": thread_id}}
# durability="sync": each step's checkpoint is written before the next step starts, so a kill loses
# no finished step (LangGraph's default "async" may lose the last one, which would then run again).
state = app.invoke({"messages": [("user", "do the three steps")]} if mode == "first" else None, config, durability="sync")
router = agentroute.router(thread_id)
print("RESULT " + json.dumps({
    "spent_nanos": router.ledger.spent_nanos,
    "steps": [record.step for record in router.records],
    "final": next(m.content for m in reversed(state["messages"]) if isinstance(m, AIMessage)),
    "tools_seen": sum(1 for m in state["messages"] if m.type == "tool"),
    "outcome": state.get("outcome"),
}), flush=True)
