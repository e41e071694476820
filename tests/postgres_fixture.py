"""A throwaway Postgres cluster for the tests: Debian's `postgresql` server binaries, initdb in a
temporary directory, pg_ctl on a free 127.0.0.1 port, stopped when the session ends.

As root the cluster runs as the `postgres` user (initdb refuses root), through `runuser`. Set
AGENTROUTE_TEST_DB to a postgresql:// URL to use a running server instead. A cluster that cannot
start fails the tests that need it (never a skip).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _server_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        pytest.fail("no Postgres server binaries: install Debian's `postgresql` package (.ci/run does)")
    return Path(pg_ctl).resolve().parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """One private cluster in `directory` (data, socket and log), owned by a non-root user."""

    def __init__(self, directory: Path) -> None:
        self.bin = _server_bin()
        self.directory = directory
        self.data = directory / "data"
        self.port = _free_port()
        self.runner: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(directory, user.pw_uid, user.pw_gid)
            self.runner = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.runner, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = (self.directory / "log").read_text() if (self.directory / "log").exists() else ""
            pytest.fail(f"{' '.join(command[:2])} failed: {done.stderr.strip()[-1500:]} {log[-1500:]}")

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8", "--no-instructions")
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"),
                  "-w", "-t", "60", "start")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run([*self.runner, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A postgresql:// URL of a running server for this test session."""
    given = os.environ.get("AGENTROUTE_TEST_DB")
    if given:
        yield given
        return
    directory = Path(tempfile.mkdtemp(prefix="agentroute-pg-"))
    cluster = Cluster(directory)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
