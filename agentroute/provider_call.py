"""One call to a provider, apart from the budget: the litellm completion `Router.complete` makes,
how it connects (api_base / api_key), the wall-clock deadline it runs within, and how the usage of
its reply (plain or streamed) is read."""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from agentroute.errors import BadReply, DeadlineExceeded
from agentroute.pool import Model
from agentroute.usage import Usage, usage_from_openai

Result = TypeVar("Result")


def run_within(seconds: float, function: Callable[[], Result]) -> Result:
    """`function()` in a worker thread, waited for at most `seconds` (a provider trickling bytes
    resets per-read timeouts, not this one). A late call is abandoned: DeadlineExceeded."""
    outcome: dict[str, Any] = {}
    done = threading.Event()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            outcome["result"] = context.run(function)
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=work, name="agentroute-call", daemon=True).start()
    if not done.wait(max(0.0, seconds)):
        raise DeadlineExceeded(f"no reply before the call's deadline ({seconds:.1f}s left when it started)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def litellm_call(
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
    timeout: float,
    litellm_kwargs: dict[str, Any],
) -> tuple[Callable[[Model, int], Any], Callable[[Any], Usage]]:
    """The `invoke` and `usage_of` of `Router.call` for one litellm chat completion. With
    `stream=True` (asking for `stream_options.include_usage` unless set) the reply is read to its
    end inside `invoke` and comes back as a StreamedReply."""
    from agentroute._litellm import load_litellm

    litellm = load_litellm()
    stream = bool(litellm_kwargs.get("stream"))
    if stream:
        litellm_kwargs.setdefault("stream_options", {"include_usage": True})

    def invoke(model: Model, limit: int) -> Any:
        response = litellm.completion(
            model=model.id, messages=list(messages), tools=list(tools) if tools else None,
            max_tokens=limit, timeout=timeout, num_retries=0,
            **connection_kwargs(model), **litellm_kwargs,
        )
        if not stream:
            return response
        chunks = list(response)
        sent = [chunk.usage for chunk in response.chunks if getattr(chunk, "usage", None) is not None]
        return StreamedReply(chunks=chunks, usage=sent[-1] if sent else None)

    return invoke, (stream_usage if stream else reply_usage)


def reply_usage(response: Any) -> Usage:
    """Usage of a litellm reply; a reply without choices is a BadReply (billed at the reserve)."""
    if not response.choices:
        raise BadReply("the reply has no choices")
    return usage_from_openai(response.get("usage"))


class StreamedReply(BaseModel):
    """A streamed reply read to its end: its chunks and the usage the provider itself sent."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    chunks: list[Any]
    usage: Any = None


def stream_usage(reply: StreamedReply) -> Usage:
    """Usage of a streamed reply (absent → billed at the reserve); no choices is a BadReply."""
    if not any(chunk.choices for chunk in reply.chunks):
        raise BadReply("the stream sent no choices")
    return usage_from_openai(reply.usage)


def connection_kwargs(model: Model) -> dict[str, Any]:
    """api_base / api_key for a model whose config sets them."""
    kwargs: dict[str, Any] = {}
    if model.api_base:
        kwargs["api_base"] = model.api_base
    if model.api_key_env:
        kwargs["api_key"] = os.environ.get(model.api_key_env, "")
    elif model.api_base:
        kwargs["api_key"] = os.environ.get("OPENAI_API_KEY", "not-needed")
    return kwargs
