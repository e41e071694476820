"""`RoutedChatModel`: a LangChain chat model whose every call is routed, accounted and traced.

Drop it into any agent in place of its chat model (bind_tools works). Each call picks a tier and
model for the current run (the LangGraph thread id), then runs through `ChatLiteLLM` for the
chosen model, so message and tool-call conversion is langchain-litellm's own: `invoke`, `ainvoke`
(litellm's acompletion), and streaming (`stream`, `astream`, `astream_events`) token by token,
each call routed and billed once.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from functools import reduce
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, Field

from agentroute.attempts import CallPlan, arun, astream, run, stream
from agentroute.errors import BadReply, BudgetExhausted
from agentroute.integrations.annotate import stamp
from agentroute.integrations.lc import budget_stop_message, chat_litellm, openai_messages, openai_tools
from agentroute.router import Router
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
        router, plan = self._answer(messages, kwargs)
        timeout = router.settings.timeout
        return run(plan, lambda model, limit: chat_litellm(model, limit, timeout)._generate(messages, stop=stop, **kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        router, plan = self._answer(messages, kwargs)
        timeout = router.settings.timeout
        return await arun(plan, lambda model, limit: chat_litellm(model, limit, timeout)._agenerate(messages, stop=stop, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Tokens as the provider sends them; one routing decision and one bill for the call. The
        last chunk carries the stamp (`response_metadata["agentroute"]`)."""
        router, plan = self._route(messages, kwargs, _chunks_usage)
        timeout = router.settings.timeout
        try:
            yield from stream(plan, lambda model, limit: chat_litellm(model, limit, timeout)._stream(messages, stop=stop, **kwargs))
        except BudgetExhausted as error:
            yield _chunk_of(self._stop_message(error, router))
            return
        yield _stamp_chunk(router)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """`_stream` in the running event loop."""
        router, plan = self._route(messages, kwargs, _chunks_usage)
        timeout = router.settings.timeout
        try:
            async for chunk in astream(plan, lambda model, limit: chat_litellm(model, limit, timeout)._astream(messages, stop=stop, **kwargs)):
                yield chunk
        except BudgetExhausted as error:
            yield _chunk_of(self._stop_message(error, router))
            return
        yield _stamp_chunk(router)

    def _route(self, messages: list[BaseMessage], kwargs: dict[str, Any], usage_of: Callable[[Any], Usage]) -> tuple[Router, CallPlan[Any]]:
        """The router of the current run and the plan of this call (`max_tokens` taken out of kwargs)."""
        router, node = self.agentroute.current_router()
        with router.stopped_on_failure():
            router.check_keys_once()
        max_tokens = kwargs.pop("max_tokens", None)
        plan = router.route(openai_messages(messages), usage_of, tools=kwargs.get("tools"), node=node, max_tokens=max_tokens)
        return router, plan

    def _answer(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> tuple[Router, CallPlan[ChatResult]]:
        """The router and the plan of a call that is not streamed: its reply stamped with the
        routing decision, or (the budget spent) the stop message; a failure marks the run stopped."""
        router, plan = self._route(messages, kwargs, _result_usage)
        return router, self._answered(router, plan)

    def _answered(self, router: Router, plan: CallPlan[ChatResult]) -> CallPlan[ChatResult]:
        try:
            with router.stopped_on_failure():
                result = yield from plan
        except BudgetExhausted as error:
            return ChatResult(generations=[ChatGeneration(message=self._stop_message(error, router))])
        stamp(result.generations[0].message, router)
        return result

    def _stop_message(self, error: BudgetExhausted, router: Router) -> AIMessage:
        if self.raise_on_budget:
            raise error
        return budget_stop_message(error, router.ledger.snapshot())


def _result_usage(result: ChatResult) -> Usage:
    if not result.generations:  # no choices: a provider error, billed at the reserve
        raise BadReply("the reply has no choices")
    return usage_from_langchain(result.generations[0].message.usage_metadata)


def _chunks_usage(chunks: list[ChatGenerationChunk]) -> Usage:
    """Usage of a streamed reply: what its chunks carried (the provider's own count, else none)."""
    if not chunks:
        raise BadReply("the stream sent no chunks")
    return usage_from_langchain(reduce(operator.add, chunks).message.usage_metadata)


def _chunk_of(message: AIMessage) -> ChatGenerationChunk:
    return ChatGenerationChunk(message=AIMessageChunk(content=message.content, response_metadata=message.response_metadata))


def _stamp_chunk(router: Router) -> ChatGenerationChunk:
    """An empty last chunk that stamps the streamed reply with its routing decision and cost."""
    chunk = AIMessageChunk(content="")
    stamp(chunk, router)
    return ChatGenerationChunk(message=chunk)
