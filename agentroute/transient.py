"""Which provider errors are worth retrying on the same model."""

from __future__ import annotations

import json

from agentroute._litellm import load_litellm


def is_transient(error: BaseException) -> bool:
    """429, 5xx, timeouts, dropped connections and broken JSON bodies (litellm reports a
    malformed 200 body as InternalServerError)."""
    litellm = load_litellm()
    transient = (
        litellm.RateLimitError,
        litellm.InternalServerError,
        litellm.ServiceUnavailableError,
        litellm.BadGatewayError,
        litellm.Timeout,
        litellm.APIConnectionError,
        json.JSONDecodeError,
        TimeoutError,
        ConnectionError,
    )
    if isinstance(error, transient):
        return True
    status = getattr(error, "status_code", None)
    return isinstance(status, int) and (status == 429 or status >= 500)
