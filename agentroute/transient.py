"""Which provider errors are worth retrying on the same model, and which may still be billed."""

from __future__ import annotations

import json

from agentroute._litellm import load_litellm
from agentroute.errors import BadReply, CallerError, DeadlineExceeded


def is_transient(error: BaseException) -> bool:
    """429, 5xx, timeouts, dropped connections, broken JSON bodies (litellm reports a malformed
    200 body as InternalServerError) and unusable replies. A spent deadline is final."""
    if isinstance(error, DeadlineExceeded):
        return False
    litellm = load_litellm()
    transient = (
        litellm.RateLimitError,
        litellm.InternalServerError,
        litellm.ServiceUnavailableError,
        litellm.BadGatewayError,
        litellm.Timeout,
        litellm.APIConnectionError,
        json.JSONDecodeError,
        BadReply,
        TimeoutError,
        ConnectionError,
    )
    if isinstance(error, transient):
        return True
    status = getattr(error, "status_code", None)
    return isinstance(status, int) and (status == 429 or status >= 500)


def _never_connected(error: BaseException) -> bool:
    """Whether the request provably never reached the provider (the connection was refused)."""
    import httpx

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionRefusedError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def may_be_billed(error: BaseException) -> bool:
    """Whether a failed attempt may still be billed: the request ran but its reply timed out, was
    cut off, or arrived unreadable (litellm says "[200 OK]" for those). An error status from the
    provider (429, 4xx, 5xx) or a refused connection is not billed; anything else is."""
    if _never_connected(error) or isinstance(error, CallerError):  # a CallerError is raised before sending
        return False
    litellm = load_litellm()
    if isinstance(error, (BadReply, json.JSONDecodeError, TimeoutError, litellm.APIConnectionError)) or "[200 OK]" in str(error):
        return True
    status = getattr(error, "status_code", None)
    return not isinstance(status, int)
