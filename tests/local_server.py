"""A server process a test starts on 127.0.0.1: a free port for it, and the wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(server: subprocess.Popen[bytes], url: str, *, seconds: float, log: Path | None = None) -> None:
    """Poll `url` until it answers. The test fails if `server` exits first or `seconds` pass
    (with the tail of the server's `log`, when there is one)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"the server for {url} exited with {server.returncode}{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer within {seconds:.0f} s{_tail(log)}")
            time.sleep(0.2)


def _tail(log: Path | None) -> str:
    return f"\n{log.read_text(errors='replace')[-2000:]}" if log is not None else ""
