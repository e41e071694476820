"""How the attempts of one routed call are run: blocking, awaited, or streamed.

`Router.route` is the plan of one call (route → reserve → attempt → account, with retries and
fallbacks): a generator that yields each `Attempt` (a model, its max_tokens, the seconds left
before the call's deadline) or a backoff `Pause`, and is sent back what the attempt returned (or
thrown what it raised). A driver carries the plan out: `run` blocks, `arun` awaits, `stream` and
`astream` hand each chunk to the caller as it arrives. So the routing decision, the reserve and
the bill of a call are made once, in one place, whichever way the provider is called.

The four drivers share one loop (`_carried`, a generator of effects: pause, call within a
deadline, deliver a chunk); a blocking shell (`_blocking`) or an awaiting one (`_awaited`)
performs the effects, and an attempt is spelt out as one call (`_called`) or a stream (`_streamed`).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import closing
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


@dataclass(frozen=True)
class _Within:
    """Start `start()` and wait at most `seconds` for what it gives (blocking: its value; in the
    event loop: an awaitable of it)."""

    seconds: float
    start: Callable[[], Any]


@dataclass(frozen=True)
class _Deliver:
    """Hand `chunk` to the caller now."""

    chunk: Any


_Effect = Pause | _Within | _Deliver  # what a shell performs for the core
_Core = Generator[_Effect, Any, Any]
_AttemptSteps = Callable[[Attempt], _Core]


@dataclass(frozen=True)
class _Done:
    """A generator's return value."""

    value: Any


def _resumed(generator: Generator[Any, Any, Any], outcome: Any, error: BaseException | None) -> Any:
    """What `generator` asks for next, told how its last request went (its outcome, or thrown
    the error it raised); `_Done` with its value once it returns."""
    try:
        return generator.send(outcome) if error is None else generator.throw(error)
    except StopIteration as stop:
        return _Done(stop.value)


def _carried(plan: CallPlan[Any], attempt: _AttemptSteps) -> _Core:
    """The one driver loop: the plan's requests as effects (a pause, an attempt spelt out by
    `attempt`) for a blocking or an awaiting shell to perform, and the plan told how each went.
    A stream cut after delivery ends the call with the stream's own error."""
    with closing(plan):
        outcome, error = None, None
        try:
            while not isinstance(request := _resumed(plan, outcome, error), _Done):
                try:
                    outcome, error = ((yield request) if isinstance(request, Pause) else (yield from attempt(request))), None
                except GeneratorExit:  # the caller stopped reading: the plan bills the attempt as interrupted
                    raise
                except BaseException as failure:
                    outcome, error = None, failure
        except StreamCut as cut:
            raise cut.error from cut
        return request.value


def _called(invoke: Callable[[Model, int], Any]) -> _AttemptSteps:
    """An attempt as one call, `invoke(model, max_tokens)`, within the attempt's seconds."""

    def steps(attempt: Attempt) -> _Core:
        return (yield _Within(attempt.seconds, functools.partial(invoke, attempt.model, attempt.max_tokens)))

    return steps


def _streamed(open_source: Callable[[Attempt], Any], read_next: Callable[[Any], Any]) -> _AttemptSteps:
    """An attempt as a stream: each chunk (`read_next(source)`, `_END` at its end) read within
    what is left of the attempt's seconds and delivered at once; the plan is sent the list of
    chunks. A failure after delivery cannot be retried (StreamCut)."""

    def steps(attempt: Attempt) -> _Core:
        source, end, chunks = open_source(attempt), time.monotonic() + attempt.seconds, []
        try:
            while (chunk := (yield _Within(end - time.monotonic(), functools.partial(read_next, source)))) is not _END:
                chunks.append(chunk)
                yield _Deliver(chunk)
        except GeneratorExit:
            raise
        except BaseException as error:
            if chunks:
                raise StreamCut(error, len(chunks))
            raise
        return chunks

    return steps


def _value_delivered(core: _Core) -> _Core:
    """The core, then its value as its last delivery (the one of a call that is not streamed)."""
    yield _Deliver((yield from core))


def _blocking(core: _Core) -> Iterator[Any]:
    """Perform a core's effects in this thread, yielding what it delivers."""
    with closing(core):
        outcome, error = None, None
        while not isinstance(effect := _resumed(core, outcome, error), _Done):
            try:
                outcome, error = (yield effect.chunk) if isinstance(effect, _Deliver) else _perform(effect), None
            except BaseException as failure:
                outcome, error = None, failure


async def _awaited(core: _Core) -> AsyncIterator[Any]:
    """Perform a core's effects in the running event loop, yielding what it delivers."""
    with closing(core):
        outcome, error = None, None
        while not isinstance(effect := _resumed(core, outcome, error), _Done):
            try:
                outcome, error = (yield effect.chunk) if isinstance(effect, _Deliver) else await _aperform(effect), None
            except BaseException as failure:
                outcome, error = None, failure


def _perform(effect: Pause | _Within) -> Any:
    if isinstance(effect, Pause):
        return time.sleep(effect.seconds)
    return run_within(effect.seconds, effect.start)


async def _aperform(effect: Pause | _Within) -> Any:
    if isinstance(effect, Pause):
        return await asyncio.sleep(effect.seconds)
    return await _within(effect.seconds, effect.start())


def run(plan: CallPlan[Result], invoke: Callable[[Model, int], Any]) -> Result:
    """Carry out a plan, blocking: each attempt is `invoke(model, max_tokens)` within its deadline."""
    [result] = _blocking(_value_delivered(_carried(plan, _called(invoke))))
    return result


async def arun(plan: CallPlan[Result], ainvoke: Callable[[Model, int], Awaitable[Any]]) -> Result:
    """Carry out a plan in the running event loop: each attempt is `await ainvoke(model, max_tokens)`
    within its deadline (cancelled when it passes)."""
    [result] = [value async for value in _awaited(_value_delivered(_carried(plan, _called(ainvoke))))]
    return result


def stream(plan: CallPlan[Any], open_stream: Callable[[Model, int], Iterator[Chunk]]) -> Iterator[Chunk]:
    """Carry out a plan, yielding each chunk of `open_stream(model, max_tokens)` as it arrives. The
    plan is sent the list of an attempt's chunks; the deadline bounds the wait for every chunk."""
    return _blocking(_carried(plan, _streamed(functools.partial(_opened_on_first_read, open_stream),
                                              lambda source: next(source, _END))))


def astream(plan: CallPlan[Any], open_stream: Callable[[Model, int], AsyncIterator[Chunk]]) -> AsyncIterator[Chunk]:
    """`stream` in the running event loop, for an async `open_stream`."""
    return _awaited(_carried(plan, _streamed(lambda attempt: open_stream(attempt.model, attempt.max_tokens),
                                             lambda source: anext(source, _END))))


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
