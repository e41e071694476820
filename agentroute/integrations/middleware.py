"""`AgentRouteMiddleware`: routes every model request of a LangChain v1 agent (`create_agent`).

Its `wrap_model_call` hook (`awrap_model_call` for async agents) picks a tier and model for the
request, swaps the request's model for a `ChatLiteLLM` of that model (`request.override(model=...)`),
and accounts the reply's usage.
When the budget cannot pay for another call it answers with a final message, ending the agent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage

from agentroute.errors import BudgetExhausted
from agentroute.integrations.annotate import stamp
from agentroute.integrations.lc import budget_stop_message, chat_litellm, openai_messages, openai_tools
from agentroute.pool import Model
from agentroute.router import Router
from agentroute.usage import Usage, usage_from_langchain


def _reply(response: Any) -> AIMessage | None:
    """The AIMessage of a handler's response (ModelResponse, ExtendedModelResponse or AIMessage)."""
    if isinstance(response, AIMessage):
        return response
    inner = getattr(response, "model_response", response)
    for message in reversed(getattr(inner, "result", [])):
        if isinstance(message, AIMessage):
            return message
    return None


class AgentRouteMiddleware(AgentMiddleware):
    """Route each model call of a `create_agent` agent through an `AgentRoute` configuration,
    under `invoke`/`stream` (`wrap_model_call`) and `ainvoke`/`astream_events` (`awrap_model_call`)."""

    def __init__(self, agentroute: Any) -> None:
        super().__init__()
        self.agentroute = agentroute

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], Any]) -> Any:
        """Route, call through the handler with the chosen model, account, stamp the reply."""
        router, node = self.agentroute.current_router()
        try:
            response = router.call(_prefix(request), _on_model(request, handler, router), _usage_of, **_where(request, node), check_keys=True)
        except BudgetExhausted as error:
            return _stopped(error, router)
        return _stamped(response, router)

    async def awrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[Any]]) -> Any:
        """`wrap_model_call` for async agents: the same routing, the handler awaited."""
        router, node = self.agentroute.current_router()
        try:
            response = await router.acall(_prefix(request), _on_model(request, handler, router), _usage_of, **_where(request, node), check_keys=True)
        except BudgetExhausted as error:
            return _stopped(error, router)
        return _stamped(response, router)


def _prefix(request: ModelRequest) -> list[dict[str, Any]]:
    """The request's system message and messages, in OpenAI format."""
    return openai_messages(([request.system_message] if request.system_message is not None else []) + list(request.messages))


def _where(request: ModelRequest, node: str | None) -> dict[str, Any]:
    """The tools, node and max_tokens `Router.call` takes for this request."""
    return {"tools": openai_tools(request.tools), "node": node, "max_tokens": request.model_settings.get("max_tokens")}


def _on_model(request: ModelRequest, handler: Callable[[ModelRequest], Any], router: Router) -> Callable[[Model, int], Any]:
    """The router's `invoke`: the handler, with the request's model swapped for the chosen one."""
    timeout = router.settings.timeout
    return lambda model, limit: handler(request.override(model=chat_litellm(model, limit, timeout)))


def _usage_of(response: Any) -> Usage:
    reply = _reply(response)
    return usage_from_langchain(reply.usage_metadata if reply is not None else None)


def _stopped(error: BudgetExhausted, router: Router) -> ModelResponse:
    return ModelResponse(result=[budget_stop_message(error, router.ledger.snapshot())])


def _stamped(response: Any, router: Router) -> Any:
    reply = _reply(response)
    if reply is not None:
        stamp(reply, router)
    return response
