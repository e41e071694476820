"""Tests of the FakeLLM test server through litellm's real HTTP path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
import litellm  # noqa: E402

from fakellm import FakeLLM, Reply  # noqa: E402

MESSAGES = [{"role": "user", "content": "hello"}]


def complete(base_url: str, model: str = "openai/tiny", **kwargs: Any) -> Any:
    return litellm.completion(
        model=model, api_base=base_url, api_key="test", messages=MESSAGES,
        max_tokens=50, num_retries=0, **kwargs,
    )


def test_content_usage_and_request_record(llm: FakeLLM) -> None:
    llm.enqueue(Reply(content="scripted", prompt_tokens=120, completion_tokens=7, cached_tokens=64))
    response = complete(llm.base_url)
    assert response.choices[0].message.content == "scripted"
    assert response.choices[0].finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (120, 7)
    assert response.usage.prompt_tokens_details.cached_tokens == 64
    [request] = llm.requests_for("tiny")
    assert request["max_tokens"] == 50
    assert request["messages"] == MESSAGES
    assert request["stream"] is False


def test_estimated_usage_and_default_reply(llm: FakeLLM) -> None:
    response = complete(llm.base_url)
    assert response.choices[0].message.content == "ok"
    assert response.usage.prompt_tokens == len("hello") // 4 + 10
    assert response.usage.completion_tokens == len("ok") // 4 + 5


def test_tool_call(llm: FakeLLM) -> None:
    llm.enqueue(Reply(content=None, tool_calls=[{"name": "read_file", "arguments": {"path": "a.py"}}]))
    response = complete(llm.base_url)
    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "read_file"
    assert json.loads(call.function.arguments) == {"path": "a.py"}
    assert call.id.startswith("call_")
    assert response.choices[0].finish_reason == "tool_calls"


def test_model_queues_responder_and_shared_fallback(llm: FakeLLM) -> None:
    llm.enqueue(Reply(content="for big"), model="big")
    llm.enqueue(Reply(content="shared"))
    assert complete(llm.base_url, model="openai/tiny").choices[0].message.content == "shared"
    assert complete(llm.base_url, model="openai/big").choices[0].message.content == "for big"
    llm.responder = lambda body: Reply(content=f"{len(body['messages'])} message(s)")
    assert complete(llm.base_url).choices[0].message.content == "1 message(s)"
    assert [r["model"] for r in llm.requests] == ["tiny", "big", "tiny"]


@pytest.mark.parametrize(
    ("fault", "exc_type"),
    [
        ("429", litellm.RateLimitError),
        ("500", litellm.InternalServerError),
        ("503", litellm.ServiceUnavailableError),
        # A 200 with an unparseable JSON body surfaces as InternalServerError (status_code 500).
        ("malformed", litellm.InternalServerError),
    ],
)
def test_http_faults(llm: FakeLLM, fault: str, exc_type: type[Exception]) -> None:
    llm.enqueue(Reply(fault=fault))
    with pytest.raises(exc_type) as info:
        complete(llm.base_url)
    assert type(info.value) is exc_type
    assert len(llm.requests) == 1  # num_retries=0: no client-side retry


def test_no_usage_reads_as_zero(llm: FakeLLM) -> None:
    llm.enqueue(Reply(content="bare", fault="no_usage"))
    response = complete(llm.base_url)
    assert response.choices[0].message.content == "bare"
    assert response.usage.total_tokens == 0


def test_hang_times_out_without_blocking_server_or_stop() -> None:
    server = FakeLLM(hang_seconds=5).start()
    server.enqueue(Reply(fault="hang"))
    with pytest.raises(litellm.Timeout):
        complete(server.base_url, timeout=1)
    assert complete(server.base_url, timeout=1).choices[0].message.content == "ok"
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1


def test_streaming_content_tool_calls_and_usage(llm: FakeLLM) -> None:
    llm.enqueue(Reply(
        content="a streamed answer", tool_calls=[{"name": "grep", "arguments": '{"q": "x"}', "id": "t1"}],
        prompt_tokens=30, completion_tokens=9, cached_tokens=5,
    ))
    chunks = list(complete(llm.base_url, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "a streamed answer"
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert deltas[0].id == "t1" and deltas[0].function.name == "grep"
    assert "".join(d.function.arguments or "" for d in deltas) == '{"q": "x"}'
    usage = next(c.usage for c in reversed(chunks) if getattr(c, "usage", None))
    assert (usage.prompt_tokens, usage.completion_tokens) == (30, 9)
    assert usage.prompt_tokens_details.cached_tokens == 5
    assert llm.requests[0]["stream"] is True


def test_standalone_script(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"content": "from script", "model": "tiny"}, {"fault": "429"}]))
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fakellm.py")), "--port", "0", "--script", str(script)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        ready, base_url = proc.stdout.readline().split()
        assert ready == "READY"
        assert complete(base_url).choices[0].message.content == "from script"
        with pytest.raises(litellm.RateLimitError):
            complete(base_url)
    finally:
        proc.kill()
        proc.wait()
