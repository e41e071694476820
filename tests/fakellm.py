"""A scripted, OpenAI-compatible chat-completions server for tests (stdlib only).

Use in-process (``with FakeLLM() as llm: ...``) or as a subprocess
(``python tests/fakellm.py --port 0 --script replies.json`` prints ``READY <base_url>``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "503", "hang", "malformed", "no_usage", "empty_choices", "trickle", "cut_stream")
_ERRORS: dict[str, tuple[int, str, str]] = {
    "429": (429, "rate_limit_exceeded", "Rate limit reached for requests (fake)."),
    "500": (500, "server_error", "The server had an error while processing your request (fake)."),
    "503": (503, "server_error", "The engine is currently overloaded (fake)."),
}
MALFORMED_BODY = '{"id": "x", "choices": ['


@dataclass
class Reply:
    """One scripted assistant reply, or a fault to inject instead."""

    content: str | None = "ok"
    tool_calls: list[dict[str, Any]] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0
    fault: str | None = None
    usage: dict[str, Any] | None = None  # sent verbatim instead of the computed usage (a lying provider)

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {FAULTS}")


Responder = Callable[[dict[str, Any]], Reply]


@dataclass
class FakeLLM:
    """Serves scripted replies on ``base_url``; records every request in ``requests``."""

    port: int = 0
    hang_seconds: float = 30.0
    trickle_bytes: int = 20
    trickle_seconds: float = 1.5
    stream_chunk_seconds: float = 0.0  # pause after each event of a streamed reply (0: sent at once)
    default_reply: Reply = field(default_factory=Reply)
    responder: Responder | None = None
    requests: list[dict[str, Any]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._queues: dict[str | None, deque[Reply]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopped = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` of the running server."""
        if self._server is None:
            raise RuntimeError("FakeLLM is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        """Bind 127.0.0.1 and serve in a daemon thread."""
        self._stopped.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.llm = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging handlers are woken and dropped, not waited for."""
        self._stopped.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def enqueue(self, reply: Reply, model: str | None = None) -> None:
        """Queue ``reply`` for requests naming ``model`` (None: shared fallback queue)."""
        with self._lock:
            self._queues.setdefault(model, deque()).append(reply)

    def requests_for(self, model: str) -> list[dict[str, Any]]:
        """Recorded requests whose ``model`` field equals ``model``."""
        with self._lock:
            return [r for r in self.requests if r["model"] == model]

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        if self.responder is not None:
            return self.responder(body)
        with self._lock:
            for key in (body.get("model"), None):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
        return self.default_reply

    def _record(self, body: dict[str, Any]) -> None:
        entry = {
            "model": body.get("model"),
            "messages": body.get("messages", []),
            "max_tokens": body.get("max_tokens", body.get("max_completion_tokens")),
            "tools": body.get("tools"),
            "stream": bool(body.get("stream")),
            "body": body,
        }
        with self._lock:
            self.requests.append(entry)

    def _models(self) -> list[str]:
        with self._lock:
            return sorted(k for k in self._queues if k is not None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    llm: FakeLLM


def _content_chars(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(part.get("text") or "") for part in content if isinstance(part, dict))
    return total


def _usage(reply: Reply, messages: list[dict[str, Any]], max_tokens: int | None) -> dict[str, Any]:
    """Usage as a real provider bills it: completion tokens never exceed the request's max_tokens."""
    prompt = reply.prompt_tokens
    if prompt is None:
        prompt = _content_chars(messages) // 4 + 10
    completion = reply.completion_tokens
    if completion is None:
        completion = len(reply.content or "") // 4 + 5 + 20 * len(reply.tool_calls or [])
    if max_tokens is not None:
        completion = min(completion, max_tokens)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") not in ("/v1/models", "/models"):
            return self._json(404, _error_body("not found", "invalid_request_error", None))
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fakellm"}
                for m in self.server.llm._models()]
        self._json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            return self._json(404, _error_body("not found", "invalid_request_error", None))
        llm = self.server.llm
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        except ValueError:
            return self._json(400, _error_body("invalid JSON body", "invalid_request_error", None))
        llm._record(body)
        reply = llm._next_reply(body)
        try:
            self._answer(llm, body, reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired during a "hang")

    def _answer(self, llm: FakeLLM, body: dict[str, Any], reply: Reply) -> None:
        if reply.fault in _ERRORS:
            status, code, message = _ERRORS[reply.fault]
            kind = "requests" if status == 429 else "server_error"
            headers = {"retry-after": "0"} if status == 429 else {}
            return self._json(status, _error_body(message, kind, code), headers)
        if reply.fault == "hang" and llm._stopped.wait(llm.hang_seconds):
            return  # server stopping: drop the connection without answering
        if reply.fault == "malformed":
            return self._send(200, "application/json", MALFORMED_BODY.encode())
        n = next(llm._ids)
        base = {"id": f"chatcmpl-fake-{n}", "created": int(time.time()), "model": body.get("model", "")}
        tool_calls = [_tool_call(tc, llm) for tc in reply.tool_calls or []]
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        usage = None if reply.fault == "no_usage" else reply.usage or _usage(reply, body.get("messages", []), max_tokens)
        finish = "tool_calls" if tool_calls else "stop"
        if body.get("stream"):
            chunks = _stream_chunks(base, reply.content, tool_calls, finish, usage)
            events = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]
            return self._send_events(llm, events, cut=reply.fault == "cut_stream")
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        choices = [] if reply.fault == "empty_choices" else [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}]
        payload: dict[str, Any] = {**base, "object": "chat.completion", "choices": choices}
        if usage is not None:
            payload["usage"] = usage
        if reply.fault == "trickle":
            return self._trickle(llm, json.dumps(payload).encode())
        self._json(200, payload)

    def _trickle(self, llm: FakeLLM, data: bytes) -> None:
        """A valid reply sent a few bytes at a time, slowly enough to keep a per-read timeout happy."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for i in range(0, len(data), llm.trickle_bytes):
            self.wfile.write(data[i:i + llm.trickle_bytes])
            self.wfile.flush()
            if llm._stopped.wait(llm.trickle_seconds):
                return

    def _send_events(self, llm: FakeLLM, events: list[bytes], *, cut: bool = False) -> None:
        """A server-sent event stream, each event flushed and followed by `stream_chunk_seconds`.
        `cut`: the connection drops after half of the events (the rest of the body never comes)."""
        if not llm.stream_chunk_seconds and not cut:
            return self._send(200, "text/event-stream", b"".join(events))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(sum(len(event) for event in events)))
        self.end_headers()
        for event in events[:len(events) // 2] if cut else events:
            self.wfile.write(event)
            self.wfile.flush()
            if llm._stopped.wait(llm.stream_chunk_seconds):
                return

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, "application/json", json.dumps(payload).encode(), headers)

    def _send(self, status: int, ctype: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _error_body(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _tool_call(spec: dict[str, Any], llm: FakeLLM) -> dict[str, Any]:
    args = spec.get("arguments", {})
    return {
        "id": spec.get("id") or f"call_{next(llm._ids)}",
        "type": "function",
        "function": {"name": spec["name"], "arguments": args if isinstance(args, str) else json.dumps(args)},
    }


def _stream_chunks(
    base: dict[str, Any], content: str | None, tool_calls: list[dict[str, Any]],
    finish: str, usage: dict[str, Any] | None,
) -> Iterator[dict[str, Any]]:
    """OpenAI streaming chunks: role, content pieces, tool-call deltas, finish, usage."""

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**base, "object": "chat.completion.chunk", "choices": [choice]}

    yield chunk({"role": "assistant", "content": ""})
    text = content or ""
    for i in range(0, len(text), 8):
        yield chunk({"content": text[i:i + 8]})
    for index, call in enumerate(tool_calls):
        head = {"index": index, "id": call["id"], "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""}}
        yield chunk({"tool_calls": [head]})
        yield chunk({"tool_calls": [{"index": index, "function": {"arguments": call["function"]["arguments"]}}]})
    yield chunk({}, finish)
    if usage is not None:
        yield {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}


def main() -> None:
    """Serve a JSON script of replies until killed; print ``READY <base_url>`` first."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON list of Reply fields, each with an optional 'model'")
    args = parser.parse_args()
    llm = FakeLLM(port=args.port)
    if args.script:
        with open(args.script, encoding="utf-8") as fh:
            for item in json.load(fh):
                model = item.pop("model", None)
                llm.enqueue(Reply(**item), model=model)
    with llm:
        print(f"READY {llm.base_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
