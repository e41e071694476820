"""`RoutedChatModel`: a LangChain chat model whose every call is routed, accounted and traced.

Drop it into any agent in place of its chat model (bind_tools works). Each call picks a tier and
model for the current run (the LangGraph thread id), then runs through `ChatLiteLLM` for the
chosen model, so message and tool-call conversion is langchain-litellm's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, Field

from agentroute.errors import BadReply, BudgetExhausted
from agentroute.integrations.annotate import stamp
from agentroute.integrations.lc import budget_stop_message, chat_litellm, openai_messages, openai_tools
from agentroute.pool import Model
from agentroute.usage import Usage, usage_from_langchain

_TOOL_CHOICE_KEYWORDS = ("auto", "none", "required")


class RoutedChatModel(BaseChatModel):
    """A chat model that routes each call through an `AgentRoute` configuration.

    When the budget cannot pay for another call it returns a final message without tool calls
    (so agent loops end cleanly) unless `raise_on_budget` is set.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    agentroute: Any = Field(exclude=True)
    raise_on_budget: bool = False

    @property
    def _llm_type(self) -> str:
        return "agentroute-routed"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in OpenAI format, as ChatLiteLLM does."""
        if tool_choice is True or tool_choice == "any":
            tool_choice = "required"
        elif isinstance(tool_choice, str) and tool_choice not in _TOOL_CHOICE_KEYWORDS:
            tool_choice = {"type": "function", "function": {"name": tool_choice}}
        if tool_choice not in (None, False):
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=openai_tools(tools), **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        router, node = self.agentroute.current_router()
        max_tokens = kwargs.pop("max_tokens", None)
        timeout = router.settings.timeout

        def invoke(model: Model, limit: int) -> ChatResult:
            return chat_litellm(model, limit, timeout)._generate(messages, stop=stop, **kwargs)

        def usage_of(result: ChatResult) -> Usage:
            if not result.generations:  # no choices: a provider error, billed at the reserve
                raise BadReply("the reply has no choices")
            return usage_from_langchain(result.generations[0].message.usage_metadata)

        try:
            result = router.call(
                openai_messages(messages), invoke, usage_of,
                tools=kwargs.get("tools"), node=node, max_tokens=max_tokens, check_keys=True,
            )
        except BudgetExhausted as error:
            if self.raise_on_budget:
                raise
            return ChatResult(generations=[ChatGeneration(message=budget_stop_message(error, router.ledger.snapshot()))])
        stamp(result.generations[0].message, router)
        return result
