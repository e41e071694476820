"""Routing-server overhead per request and requests/s: `agentroute serve` against LiteLLM's
proxy, both forwarding to the same scripted OpenAI-compatible server, measured in one run.

    python benchmarks/serve_overhead.py [--requests 300] [--seconds 8] [--concurrency 8] [--policy learned]

Each server runs as its own process (the scripted model server too); the client is this process.
Overhead of one request = its latency through a server − the latency of the same request sent
straight to the scripted server just before it (paired, so the model's own time is excluded).
agentroute routes every request as a step of a task (token count, signals, policy, budget
reserve/settle, two trace writes to SQLite); memory off on both sides. LiteLLM's proxy needs
`pip install 'litellm[proxy]==1.106.2'` (a benchmark-only install, not a project dependency).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from conftest import POOL_TOML  # noqa: E402
from router_overhead import prefix  # noqa: E402

from agentroute.trace import TraceStore  # noqa: E402

ENV = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONUNBUFFERED": "1"}
KEY = f"sk-bench-{uuid.uuid4().hex}"  # both servers require it (LiteLLM's proxy refuses to start without one)
AUTH = {"Authorization": f"Bearer {KEY}"}


def start(command: list[str], ready: re.Pattern[str], cwd: Path, timeout: float = 120) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """Start a server process and wait for the line that says where it listens."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV, cwd=cwd)
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        match = ready.search(line)
        if match:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # keep the pipe drained
            return process, match
    process.kill()
    raise RuntimeError(f"{command[:3]} did not start:\n{''.join(seen[-30:])}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} never answered 200")


def start_litellm_proxy(executable: str, upstream: str, workdir: Path) -> tuple[subprocess.Popen[str] | None, str | None, str]:
    """LiteLLM's proxy forwarding model `bench` to the scripted server, or why it cannot run."""
    if not Path(executable).exists():
        return None, None, "the `litellm` CLI is missing: pip install 'litellm[proxy]==1.106.2'"
    config = workdir / "litellm.yaml"
    config.write_text(f"""model_list:
  - model_name: bench
    litellm_params: {{model: openai/tiny, api_base: "{upstream}", api_key: not-needed}}
litellm_settings: {{num_retries: 0, telemetry: false}}
general_settings: {{master_key: "{KEY}"}}
""")
    port = free_port()
    process = subprocess.Popen([executable, "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
                                "--num_workers", "1", "--telemetry", "False"],
                               stdout=(workdir / "litellm.log").open("w"), stderr=subprocess.STDOUT, env=ENV, cwd=workdir)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health/liveliness")
    except RuntimeError:
        process.kill()
        return None, None, "LiteLLM's proxy did not start: " + (workdir / "litellm.log").read_text()[-1500:]
    return process, f"http://127.0.0.1:{port}/v1", ""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


Send = Callable[[httpx.Client], None]


def sender(base_url: str, model: str, headers: dict[str, str], body: dict) -> Send:
    def send(client: httpx.Client) -> None:
        response = client.post(f"{base_url}/chat/completions", json={**body, "model": model}, headers=headers)
        response.raise_for_status()
        if "choices" not in response.json():
            raise RuntimeError(response.text[:200])
    return send


def timed(send: Send, client: httpx.Client) -> float:
    started = time.perf_counter()
    send(client)
    return (time.perf_counter() - started) * 1000


def throughput(make_send: Callable[[int], Send], seconds: float, concurrency: int) -> float:
    """Requests/s completed by `concurrency` client threads in `seconds`."""
    done = [0] * concurrency
    stop = time.monotonic() + seconds

    def work(index: int) -> None:
        send = make_send(index)
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < stop:
                send(client)
                done[index] += 1

    threads = [threading.Thread(target=work, args=(index,)) for index in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--policy", default="learned")
    parser.add_argument("--messages", type=int, default=20, help="messages in each request's prefix")
    parser.add_argument("--litellm", default=shutil.which("litellm") or str(Path(sys.executable).with_name("litellm")),
                        help="LiteLLM's CLI (e.g. from a separate venv with litellm[proxy]==1.106.2)")
    args = parser.parse_args()
    body = {"messages": prefix(args.messages), "max_tokens": 64}
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        fake, ready = start([sys.executable, str(ROOT / "tests" / "fakellm.py"), "--port", "0"], re.compile(r"READY (\S+)"), workdir)
        upstream = ready.group(1)
        (workdir / "pool.toml").write_text(POOL_TOML.format(base_url=upstream))
        serve, ready = start([sys.executable, "-m", "agentroute.cli.app", "serve", "--port", "0", "--pool", "pool.toml",
                              "--policy", args.policy, "--budget", "1000", "--no-memory", "--store", "runs.sqlite", "--api-key", KEY],
                             re.compile(r"http://127\.0\.0\.1:(\d+)/v1"), workdir)
        agentroute_url = f"http://127.0.0.1:{ready.group(1)}/v1"
        proxy, proxy_url, why_not = start_litellm_proxy(args.litellm, upstream, workdir)
        try:
            targets = {"direct": sender(upstream, "tiny", {}, body)}
            targets["agentroute serve"] = sender(agentroute_url, "x", {**AUTH, "X-AgentRoute-Task": f"bench-{run}"}, body)
            if proxy_url:
                targets["litellm proxy"] = sender(proxy_url, "bench", AUTH, body)
            clients = {name: httpx.Client(timeout=60) for name in targets}
            for _ in range(20):  # warm up connections, imports and caches
                for name, send in targets.items():
                    send(clients[name])
            latency: dict[str, list[float]] = {name: [] for name in targets}
            overhead: dict[str, list[float]] = {name: [] for name in targets if name != "direct"}
            for _ in range(args.requests):
                direct = timed(targets["direct"], clients["direct"])
                latency["direct"].append(direct)
                for name in overhead:
                    took = timed(targets[name], clients[name])
                    latency[name].append(took)
                    overhead[name].append(took - direct)
            # agentroute's own part: latency through it − the provider call as its trace timed it (latency_ms)
            billed = [record for record in TraceStore(workdir / "runs.sqlite").records(f"serve-bench-{run}")
                      if record.outcome == "ok"][20:]
            own = [took - record.latency_ms for took, record in zip(latency["agentroute serve"], billed, strict=True)]
            print(f"{args.requests} sequential requests ({args.messages}-message prefix, policy {args.policy}), "
                  f"{os.cpu_count()} cores; overhead = latency − paired direct latency")
            print(f"{'target':18} {'latency p50 ms':>15} {'overhead p50 ms':>16} {'overhead p99 ms':>16} {'req/s':>8}")
            for name in targets:
                def per_thread(index: int, name: str = name) -> Send:  # agentroute: one task per client thread
                    if name != "agentroute serve":
                        return targets[name]
                    return sender(agentroute_url, "x", {**AUTH, "X-AgentRoute-Task": f"bench-{run}-{index}"}, body)

                rps = throughput(per_thread, args.seconds, args.concurrency)
                over = overhead.get(name)
                p50, p99 = (f"{percentile(over, 50):.2f}", f"{percentile(over, 99):.2f}") if over else ("-", "-")
                print(f"{name:18} {statistics.median(latency[name]):15.2f} {p50:>16} {p99:>16} {rps:8.1f}")
            print(f"agentroute serve outside its provider call (litellm.completion, timed in the trace): "
                  f"p50 {percentile(own, 50):.2f} ms, p99 {percentile(own, 99):.2f} ms; the call itself: p50 "
                  f"{statistics.median(record.latency_ms for record in billed):.2f} ms")
            if why_not:
                print(f"litellm proxy: not measured: {why_not}")
        finally:
            for process in (serve, proxy, fake):
                if process is not None:
                    process.terminate()
                    process.wait(10)


if __name__ == "__main__":
    main()
