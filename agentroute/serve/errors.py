"""Errors the server answers in OpenAI's error format (`{"error": {message, type, param, code}}`)."""

from __future__ import annotations

from typing import Any


class ServeError(Exception):
    """A request the server answers with an HTTP error and one-line message."""

    status = 400
    kind = "invalid_request_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param

    def body(self) -> dict[str, Any]:
        """The OpenAI-style error body."""
        return error_body(str(self), self.kind, self.code, self.param)


class BadRequest(ServeError):
    """The client's request is malformed (400: SDKs do not retry it)."""


class Unauthorized(ServeError):
    """Missing or wrong server API key (401)."""

    status = 401
    code = "invalid_api_key"


class UpstreamFailed(ServeError):
    """Every model the router tried failed, after its own retries and fallbacks (502)."""

    status = 502
    kind = "upstream_error"
    code = "all_models_failed"


class UpstreamTimeout(UpstreamFailed):
    """The step ran past the router's deadline (504)."""

    status = 504
    code = "deadline_exceeded"


def error_body(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """`{"error": {...}}` as OpenAI's API sends it."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class NotFound(ServeError):
    """An unknown task (404)."""

    status = 404
    code = "task_not_found"
