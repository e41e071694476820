"""The FastAPI application: `/v1/chat/completions`, `/v1/models`, and task finishing.

Handlers are plain functions (FastAPI runs them in its thread pool) because a routed step is a
blocking call through the router; the reply is complete before the response starts, so the
X-AgentRoute-* headers describe the step in streaming mode too.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from agentroute.app import AgentRoute
from agentroute.serve.errors import BadRequest, NotFound, ServeError, Unauthorized, UpstreamFailed, error_body
from agentroute.serve.redact import redact, secret_values
from agentroute.serve.replies import budget_stop_body, budget_stop_events, completion_body, stream_events
from agentroute.serve.request import ChatRequest
from agentroute.serve.settings import ServeSettings
from agentroute.serve.step import routed_step
from agentroute.serve.tasks import NODE_HEADER, RUN_PREFIX, TASK_NAME, resolve_task

log = logging.getLogger("agentroute.serve")


class FinishRequest(BaseModel):
    """The outcome a client reports for a task that ended (credited to its steps in the memory)."""

    outcome: str = "completed"


def build_route(settings: ServeSettings) -> AgentRoute:
    """The routing configuration a server runs with."""
    memory = None
    if settings.use_memory:
        from agentroute.memory.slots import where_memory_lives
        from agentroute.memory.store import ExperienceMemory

        path, url = where_memory_lives(settings.memory, None)
        memory = ExperienceMemory(path, url=url)
    return AgentRoute(pool=settings.pool, policy=settings.policy, budget_usd=settings.budget_usd,
                      store=settings.store, memory=memory, task={"source": "serve"})


def create_app(settings: ServeSettings, route: AgentRoute | None = None) -> FastAPI:
    """The OpenAI-compatible routing server for `settings` (or for an existing `route`)."""
    route = route or build_route(settings)
    hidden = secret_values([model.api_key_env for tier in route.pool.tiers for model in tier.models if model.api_key_env])
    if settings.api_key is not None:
        hidden.append(settings.api_key.get_secret_value())
    app = FastAPI(title="agentroute", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.route = route

    def authorized(request: Request) -> None:
        if settings.api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip(), settings.api_key.get_secret_value()):
            raise Unauthorized("missing or wrong API key: send 'Authorization: Bearer <key>' (agentroute serve --api-key)")

    @app.exception_handler(ServeError)
    def _serve_error(_: Request, error: ServeError) -> JSONResponse:
        body = error.body()
        body["error"]["message"] = redact(body["error"]["message"], hidden)
        # the router already retried and fell back: tell OpenAI SDKs not to retry on top (x-should-retry)
        headers = {"x-should-retry": "false"} if isinstance(error, UpstreamFailed) else None
        return JSONResponse(body, status_code=error.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        return JSONResponse(error_body(message, "invalid_request_error", param=where or None), status_code=400)

    @app.get("/v1/models", dependencies=[Depends(authorized)])
    def models() -> dict[str, Any]:
        entry = {"id": settings.routed_model_name, "object": "model", "created": 0, "owned_by": "agentroute"}
        return {"object": "list", "data": [entry]}

    @app.post("/v1/chat/completions", dependencies=[Depends(authorized)])
    def chat_completions(body: ChatRequest, request: Request) -> Any:
        ref = resolve_task(request.headers, body.user, body.messages, settings, route.store)
        result = routed_step(route, ref, body, request.headers.get(NODE_HEADER))
        report, headers = result.report, result.report.headers()
        if result.reply is None:
            log.info("task %s stopped: %s", ref.task, report.outcome)
            if body.stream:
                return StreamingResponse(budget_stop_events(report, body.model, body.wants_usage_chunk),
                                         media_type="text/event-stream", headers=headers)
            return JSONResponse(budget_stop_body(report, body.model), headers=headers)
        if body.stream:
            return StreamingResponse(stream_events(result.reply, body.wants_usage_chunk),
                                     media_type="text/event-stream", headers=headers)
        return JSONResponse(completion_body(result.reply, report), headers=headers)

    @app.post("/v1/agentroute/tasks/{task}/finish", dependencies=[Depends(authorized)])
    def finish(task: str, body: FinishRequest) -> dict[str, Any]:
        if not TASK_NAME.fullmatch(task) or not TASK_NAME.fullmatch(body.outcome):
            raise BadRequest("task and outcome must be 1-128 characters of letters, digits and ._:@+=-")
        info = route.store.find_run(RUN_PREFIX + task)
        if info is None:
            raise NotFound(f"no task {task!r} on this server")
        route.router(info.run_id).finish(body.outcome)
        return {"task": task, "run_id": info.run_id, "outcome": body.outcome}

    return app
