"""`AgentRouteMiddleware`: routes every model request of a LangChain v1 agent (`create_agent`).

Its `wrap_model_call` hook picks a tier and model for the request, swaps the request's model for
a `ChatLiteLLM` of that model (`request.override(model=...)`), and accounts the reply's usage.
When the budget cannot pay for another call it answers with a final message, ending the agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage

from agentroute.errors import BudgetExhausted
from agentroute.integrations.annotate import stamp
from agentroute.integrations.lc import budget_stop_message, chat_litellm, openai_messages, openai_tools
from agentroute.pool import Model
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
    """Route each model call of a `create_agent` agent through an `AgentRoute` configuration."""

    def __init__(self, agentroute: Any) -> None:
        super().__init__()
        self.agentroute = agentroute

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], Any]) -> Any:
        """Route, call through the handler with the chosen model, account, stamp the reply."""
        router, node = self.agentroute.current_router()
        prefix = ([request.system_message] if request.system_message is not None else []) + list(request.messages)
        timeout = router.settings.timeout

        def invoke(model: Model, limit: int) -> Any:
            return handler(request.override(model=chat_litellm(model, limit, timeout)))

        def usage_of(response: Any) -> Usage:
            reply = _reply(response)
            return usage_from_langchain(reply.usage_metadata if reply is not None else None)

        try:
            response = router.call(
                openai_messages(prefix), invoke, usage_of, tools=openai_tools(request.tools),
                node=node, max_tokens=request.model_settings.get("max_tokens"), check_keys=True,
            )
        except BudgetExhausted as error:
            return ModelResponse(result=[budget_stop_message(error, router.ledger.snapshot())])
        reply = _reply(response)
        if reply is not None:
            stamp(reply, router)
        return response
