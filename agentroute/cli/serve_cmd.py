"""`agentroute serve`: run the OpenAI-compatible routing server (see docs/serve.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agentroute.cli.options import BudgetOption, PolicyOption, PoolOption
from agentroute.cli.output import console, fail


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")] = 8787,
    budget: BudgetOption = 0.50,
    max_budget: Annotated[Optional[float], typer.Option(
        "--max-budget", help="Most a client may ask for per task with X-AgentRoute-Budget. Default: --budget.")] = None,
    pool_file: PoolOption = None,
    policy: PolicyOption = "learned",
    api_key: Annotated[Optional[str], typer.Option(
        "--api-key", envvar="AGENTROUTE_SERVER_KEY", show_envvar=True,
        help="Require 'Authorization: Bearer KEY' on every request.")] = None,
    memory: Annotated[Optional[Path], typer.Option("--memory", help="Experience memory. Default: $AGENTROUTE_MEMORY or ./memory/chroma.")] = None,
    no_memory: Annotated[bool, typer.Option("--no-memory", help="Route without the experience memory.")] = False,
    store: Annotated[Optional[Path], typer.Option("--store", help="Trace store. Default: $AGENTROUTE_HOME/runs.sqlite.")] = None,
) -> None:
    """Serve /v1/chat/completions: every request is one routed step of its task, under the task's budget."""
    import socket

    from pydantic import SecretStr

    from agentroute._litellm import load_litellm
    from agentroute.credentials import require_keys
    from agentroute.serve.app import build_route, create_app
    from agentroute.serve.server import run_server
    from agentroute.serve.settings import ServeSettings

    settings = ServeSettings(budget_usd=budget, max_budget_usd=max_budget, pool=pool_file, policy=policy, store=store,
                             memory=memory, use_memory=not no_memory, api_key=SecretStr(api_key) if api_key else None)
    route = build_route(settings)
    require_keys(route.pool)
    load_litellm()  # imported now, not during the first request
    try:
        listener = socket.create_server((host, port))
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    bound = listener.getsockname()[1]
    auth = "API key required" if api_key else "no API key (anyone who can reach it may spend)"
    console.print(f"agentroute serve: http://{host}:{bound}/v1 · pool {route.pool.source} · policy {policy} · "
                  f"budget ${budget:g} per task · {auth}", highlight=False, soft_wrap=True)
    run_server(create_app(settings, route), listener)
