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

from agentroute.errors import BadReply, CallerError, DeadlineExceeded
from agentroute.pool import Model, Pool
from agentroute.usage import Usage, usage_from_openai

Result = TypeVar("Result")

# Keywords of the litellm completion the router sets itself on every call (model and budget-fitted
# output limit per tier, its own timeout and retries); a caller passing one is a caller error.
ROUTER_KEYWORDS = {
    "model": "the router picks the model per call from the pool",
    "messages": "pass the messages as the first argument",
    "tools": "pass tools= to the router",
    "max_completion_tokens": "pass max_tokens= (the router caps it to what the budget allows)",
    "timeout": "set RouterSettings.timeout",
    "num_retries": "the router retries and falls back itself (RouterSettings.attempts_per_model)",
}
# Connection keywords a caller may only repeat, each with the keyword the pool's value is sent as.
CONNECTION_KEYWORDS = {"api_base": "api_base", "base_url": "api_base", "api_key": "api_key"}


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
            max_tokens=limit, timeout=timeout, num_retries=0, **call_kwargs(model, litellm_kwargs),
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


def call_kwargs(model: Model, caller: dict[str, Any]) -> dict[str, Any]:
    """The caller's litellm keywords plus the model's connection. Where each tier's models live and
    which key they get belongs to the pool: a caller's api_base / base_url / api_key is accepted
    only when it repeats what the pool sends to this model (a caller's key would otherwise reach
    every tier's provider). Anything else, and the router's own keywords, is a CallerError."""
    reserved = sorted(caller.keys() & ROUTER_KEYWORDS.keys())
    if reserved:
        raise CallerError(f"{reserved[0]}= is set by the router on every call: {ROUTER_KEYWORDS[reserved[0]]}")
    connection = connection_kwargs(model)
    for keyword in sorted(caller.keys() & CONNECTION_KEYWORDS.keys()):
        sent = connection.get(CONNECTION_KEYWORDS[keyword])
        if caller[keyword] != sent:
            shown = "" if keyword == "api_key" else f"={caller[keyword]!r}"
            pool = "sends another key" if keyword == "api_key" else f"sends {sent!r}" if sent else "sets none"
            raise CallerError(f"{keyword}{shown} given by the caller, but the pool {pool} for model {model.id}: "
                              f"set connections in the pool file (api_base, api_key_env), not per call")
    return {**{key: value for key, value in caller.items() if key not in CONNECTION_KEYWORDS}, **connection}


def check_call_kwargs(pool: Pool, caller: dict[str, Any]) -> None:
    """Raise a CallerError now if `caller`'s keywords would clash with any model of the pool."""
    for tier in pool.tiers:
        for model in tier.models:
            call_kwargs(model, caller)
