"""Which provider errors are worth retrying on the same model, and which may still be billed."""

from __future__ import annotations

import json
import re

from agentroute._litellm import load_litellm
from agentroute.errors import BadReply, CallerError, DeadlineExceeded


# What litellm and the provider SDKs say when a key or cloud credential is missing or refused;
# litellm reports some of these as a 500 (OpenAI's "Missing credentials") or a connection error.
_CREDENTIALS_TEXT = re.compile(
    r"missing credentials|missing \w+ api key|api_key client option must be set|incorrect api key"
    r"|invalid api key|api key not valid|google cloud sdk not found|unable to locate credentials",
    re.IGNORECASE,
)


def is_credentials_error(error: BaseException) -> bool:
    """A missing, invalid or refused key: retrying cannot help, and nothing was billed."""
    litellm = load_litellm()
    if isinstance(error, (litellm.AuthenticationError, litellm.PermissionDeniedError)):
        return True
    return getattr(error, "status_code", None) in (401, 403) or bool(_CREDENTIALS_TEXT.search(str(error)))


def is_transient(error: BaseException) -> bool:
    """429, 5xx, timeouts, dropped connections, broken JSON bodies (litellm reports a malformed
    200 body as InternalServerError) and unusable replies. A spent deadline and a credentials
    error are final."""
    if isinstance(error, DeadlineExceeded) or is_credentials_error(error):
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
    provider (429, 4xx, 5xx), a refused connection or a missing key is not billed; anything else is."""
    if _never_connected(error) or is_credentials_error(error) or isinstance(error, CallerError):  # a CallerError is raised before sending
        return False
    litellm = load_litellm()
    if isinstance(error, (BadReply, json.JSONDecodeError, TimeoutError, litellm.APIConnectionError)) or "[200 OK]" in str(error):
        return True
    status = getattr(error, "status_code", None)
    return not isinstance(status, int)
