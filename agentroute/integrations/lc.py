"""LangChain plumbing shared by the doors, reusing langchain-litellm's conversions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_litellm import ChatLiteLLM
from langchain_litellm.chat_models.litellm import _convert_message_to_dict

from agentroute.budget import BudgetSnapshot
from agentroute.errors import BudgetExhausted
from agentroute.pool import Model
from agentroute.provider_call import connection_kwargs


def openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages in the OpenAI format litellm (and the token counter) take."""
    return [_convert_message_to_dict(message) for message in messages]


def openai_tools(tools: Sequence[Any] | None) -> list[dict[str, Any]] | None:
    """Tools (BaseTool, functions, dicts) as OpenAI tool schemas."""
    if not tools:
        return None
    return [convert_to_openai_tool(tool) for tool in tools]


def chat_litellm(model: Model, max_tokens: int, timeout: float) -> ChatLiteLLM:
    """A ChatLiteLLM for one model with our retry policy in charge (its own retries off)."""
    connection = connection_kwargs(model)
    return ChatLiteLLM(
        model=model.id,
        max_tokens=max_tokens,
        request_timeout=timeout,
        max_retries=1,
        api_base=connection.get("api_base"),
        api_key=connection.get("api_key"),
        model_kwargs={"num_retries": 0},
    )


def budget_stop_message(error: BudgetExhausted, snapshot: BudgetSnapshot) -> AIMessage:
    """The final message a door returns when the budget cannot pay for another call."""
    return AIMessage(
        content=f"[agentroute] Stopping: {error}",
        response_metadata={"agentroute_outcome": "budget_exhausted", "budget": snapshot.model_dump()},
    )
