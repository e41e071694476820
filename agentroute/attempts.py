"""How the attempts of one routed call are run: blocking, awaited, or streamed.

`Router.route` is the plan of one call (route → reserve → attempt → account, with retries and
fallbacks): a generator that yields each `Attempt` (a model, its max_tokens, the seconds left
before the call's deadline) or a backoff `Pause`, and is sent back what the attempt returned (or
thrown what it raised). A driver carries the plan out: `run` blocks, `arun` awaits, `stream` and
`astream` hand each chunk to the caller as it arrives. So the routing decision, the reserve and
the bill of a call are made once, in one place, whichever way the provider is called.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import BaseRetrying, DoAttempt, DoSleep, RetryCallState

from agentroute.errors import DeadlineExceeded
from agentroute.pool import Model
from agentroute.provider_call import run_within

Result = TypeVar("Result")
Chunk = TypeVar("Chunk")


@dataclass(frozen=True)
class Attempt:
    """Call `model` with at most `max_tokens` output tokens, within `seconds`."""

    model: Model
    max_tokens: int
    seconds: float


@dataclass(frozen=True)
class Pause:
    """Wait `seconds` before the next attempt (backoff after a transient error)."""

    seconds: float


CallPlan = Generator[Attempt | Pause, Any, Result]


class StreamCut(BaseException):
    """A stream failed after some of its chunks reached the caller: the attempt is billed at its
    reserve and the call ends (a retry would repeat what the caller already has)."""

    def __init__(self, error: BaseException, chunks: int) -> None:
        super().__init__(f"the stream broke after {chunks} chunk(s): {type(error).__name__}: {error}")
        self.error = error


def retried(retrying: BaseRetrying, attempt: Callable[[], Generator[Attempt | Pause, Any, Result]]) -> Generator[Attempt | Pause, Any, Result]:
    """`retrying(attempt)` inside a plan: tenacity decides when to retry and how long to wait,
    and the wait is yielded as a `Pause` for the driver to sleep (blocking or awaited)."""
    retrying.begin()
    state = RetryCallState(retrying, fn=None, args=(), kwargs={})
    while True:
        do = retrying.iter(state)
        if isinstance(do, DoAttempt):
            try:
                result = yield from attempt()
            except BaseException:  # handed to tenacity, which re-raises what it does not retry
                state.set_exception(sys.exc_info())  # type: ignore[arg-type]
            else:
                state.set_result(result)
        elif isinstance(do, DoSleep):
            state.prepare_for_next_attempt()
            yield Pause(float(do))
        else:
            return do


class _Carrying:
    """A plan being carried out: the request in hand (`request`, until `done` with `value`), and the
    plan told how each went. A stream cut after delivery ends the call with the stream's own error."""

    def __init__(self, plan: CallPlan[Any]) -> None:
        self.plan = plan
        self.request: Attempt | Pause = Pause(0.0)
        self.done = False
        self.value: Any = None
        self._advance(lambda: next(plan))

    def returned(self, outcome: Any) -> None:
        self._advance(lambda: self.plan.send(outcome))

    def failed(self, error: BaseException, delivered: int = 0) -> None:
        """The request failed; after `delivered` chunks reached the caller, it cannot be retried."""
        self._advance(lambda: self.plan.throw(StreamCut(error, delivered) if delivered else error))

    def _advance(self, step: Callable[[], Attempt | Pause]) -> None:
        try:
            self.request = step()
        except StopIteration as stop:
            self.done, self.value = True, stop.value
        except StreamCut as cut:
            raise cut.error from cut


def run(plan: CallPlan[Result], invoke: Callable[[Model, int], Any]) -> Result:
    """Carry out a plan, blocking: each attempt is `invoke(model, max_tokens)` within its deadline."""
    carrying = _Carrying(plan)
    try:
        while not carrying.done:
            request = carrying.request
            try:
                if isinstance(request, Pause):
                    outcome = time.sleep(request.seconds)
                else:
                    outcome = run_within(request.seconds, functools.partial(invoke, request.model, request.max_tokens))
            except BaseException as error:
                carrying.failed(error)
            else:
                carrying.returned(outcome)
        return carrying.value
    finally:
        plan.close()


async def arun(plan: CallPlan[Result], ainvoke: Callable[[Model, int], Awaitable[Any]]) -> Result:
    """Carry out a plan in the running event loop: each attempt is `await ainvoke(model, max_tokens)`
    within its deadline (cancelled when it passes)."""
    carrying = _Carrying(plan)
    try:
        while not carrying.done:
            request = carrying.request
            try:
                if isinstance(request, Pause):
                    outcome = await asyncio.sleep(request.seconds)
                else:
                    outcome = await _within(request.seconds, ainvoke(request.model, request.max_tokens))
            except BaseException as error:
                carrying.failed(error)
            else:
                carrying.returned(outcome)
        return carrying.value
    finally:
        plan.close()


def stream(plan: CallPlan[Any], open_stream: Callable[[Model, int], Iterator[Chunk]]) -> Iterator[Chunk]:
    """Carry out a plan, yielding each chunk of `open_stream(model, max_tokens)` as it arrives. The
    plan is sent the list of an attempt's chunks; the deadline bounds the wait for every chunk."""
    carrying = _Carrying(plan)
    try:
        while not carrying.done:
            request, chunks = carrying.request, []
            try:
                if isinstance(request, Pause):
                    time.sleep(request.seconds)
                else:
                    source, end = _opened_on_first_read(open_stream, request), time.monotonic() + request.seconds
                    while (chunk := run_within(end - time.monotonic(), lambda: next(source, _END))) is not _END:
                        chunks.append(chunk)
                        yield chunk
            except GeneratorExit:  # the caller stopped reading: the plan bills the attempt as interrupted
                raise
            except BaseException as error:
                carrying.failed(error, len(chunks))
            else:
                carrying.returned(chunks)
    finally:
        plan.close()


async def astream(plan: CallPlan[Any], open_stream: Callable[[Model, int], AsyncIterator[Chunk]]) -> AsyncIterator[Chunk]:
    """`stream` in the running event loop, for an async `open_stream`."""
    carrying = _Carrying(plan)
    try:
        while not carrying.done:
            request, chunks = carrying.request, []
            try:
                if isinstance(request, Pause):
                    await asyncio.sleep(request.seconds)
                else:
                    source, end = open_stream(request.model, request.max_tokens), time.monotonic() + request.seconds
                    while (chunk := await _within(end - time.monotonic(), anext(source, _END))) is not _END:
                        chunks.append(chunk)
                        yield chunk
            except GeneratorExit:
                raise
            except BaseException as error:
                carrying.failed(error, len(chunks))
            else:
                carrying.returned(chunks)
    finally:
        plan.close()


_END = object()


def _opened_on_first_read(open_stream: Callable[[Model, int], Iterator[Chunk]], attempt: Attempt) -> Iterator[Chunk]:
    """The attempt's stream, opened (request sent) by the first read, so within its deadline."""
    yield from open_stream(attempt.model, attempt.max_tokens)


async def _within(seconds: float, awaitable: Awaitable[Result]) -> Result:
    """`await awaitable`, cancelled with DeadlineExceeded once `seconds` have passed."""
    scope = asyncio.timeout(max(0.0, seconds))
    try:
        async with scope:
            return await awaitable
    except TimeoutError:
        if scope.expired():
            raise DeadlineExceeded(f"no reply before the call's deadline ({seconds:.1f}s left)") from None
        raise
