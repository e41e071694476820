"""A task's private workspace: a copy of the repository, and a sandbox to run commands in it.

Layout of one workspace root (a fresh temporary directory per task):
`repo/` (the copy the agent works on, a git repository whose first commit is the task's base),
`home/` and `tmp/` (HOME and TMPDIR of the agent's commands).

What a command run here gets (see docs/swe.md for what is and is not guaranteed):
- a clean environment: PATH (this Python's bin first), HOME, TMPDIR, locale, and nothing else —
  no API keys or other variables of the calling process;
- confinement (agentroute/swe/sandbox.py): bubblewrap namespaces that show it only the workspace
  and system files, with no network, plus Landlock (no writes outside the workspace root);
- a timeout that kills the command and everything it started (its whole PID namespace);
- output captured in a file capped at 64 MiB and shown to the model truncated to its head and tail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel, Field

from agentroute.errors import AgentRouteError
from agentroute.swe.sandbox import ConfinedCommand, Layer, Requested, confined, resolve_layer, sandbox_uid

EDIT_SCRIPT = Path(__file__).with_name("edit_file.py")
_GIT_IDENTITY = ["-c", "user.name=agentroute", "-c", "user.email=agentroute@localhost", "-c", "commit.gpgsign=false"]
_IGNORED = ("__pycache__/", "*.pyc", ".pytest_cache/")
# the task base: a repository (unless the copy is one), the ignored patterns (stdin), a commit, the tag
_BASE_SCRIPT = """set -e
[ -e .git ] || git init -q
mkdir -p .git/info && cat >> .git/info/exclude
git "$@" add -A
git "$@" commit -q --allow-empty --no-verify -m "agentroute: task base"
git "$@" tag -f agentroute-base
"""
GIT_TIMEOUT = 600.0  # agentroute's own git calls: a hook or filter planted in .git cannot hang a task forever
_PATCHED_FILE = re.compile(r"^diff --git a/(\S+) b/(\S+)$", re.MULTILINE)


class SandboxSettings(BaseModel):
    """Limits of the commands the agent runs."""

    timeout: float = Field(default=60.0, gt=0)
    output_limit: int = Field(default=10_000, ge=200)
    layer: Requested = "auto"


class CommandResult(BaseModel):
    """What one command did."""

    command: str
    exit_code: int | None
    output: str
    timed_out: bool = False
    elided_chars: int = 0

    def render(self) -> str:
        """The text the model sees: the output, then the exit code (or the timeout)."""
        status = "timed out: the command was killed" if self.timed_out else f"exit code: {self.exit_code}"
        return f"{self.output.rstrip()}\n{status}" if self.output.strip() else status


def clean_environment(root: Path) -> dict[str, str]:
    """The whole environment of an agent command: nothing inherited but this Python on PATH."""
    python_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
        "PAGER": "cat",
        "GIT_PAGER": "cat",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        # pytest plugins of agentroute's own dependencies (langsmith, hypothesis, …) are not the task's
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


def _head_and_tail(handle: BinaryIO, limit: int) -> tuple[str, int]:
    """The file's text, or its first and last limit/2 characters and how many were left out."""
    size = os.fstat(handle.fileno()).st_size
    handle.seek(0)
    if size <= limit:
        return handle.read().decode("utf-8", "replace"), 0
    head = handle.read(limit // 2).decode("utf-8", "replace")
    handle.seek(size - limit // 2)
    tail = handle.read().decode("utf-8", "replace")
    elided = size - 2 * (limit // 2)
    return f"{head}\n[… {elided} bytes of output elided …]\n{tail}", elided


def patched_files(patch: str) -> list[str]:
    """Paths a git diff touches (its b/ side)."""
    return [match.group(2) for match in _PATCHED_FILE.finditer(patch)]


def _chown_tree(root: Path, uid: int) -> None:
    """Give `root` and everything under it (symlinks themselves, not their targets) to `uid`."""
    os.lchown(root, uid, uid)
    for directory, names, files in os.walk(root):
        for name in (*names, *files):
            os.lchown(os.path.join(directory, name), uid, uid)


class Workspace:
    """A private copy of a task's repository with a sandbox for commands."""

    def __init__(self, root: Path, settings: SandboxSettings | None = None) -> None:
        self.root = root
        self.repo = root / "repo"
        self.settings = settings or SandboxSettings()
        self.layer: Layer = resolve_layer(self.settings.layer)

    @classmethod
    def create(cls, source: Path, *, base_commit: str | None = None, settings: SandboxSettings | None = None,
               parent: Path | None = None) -> Workspace:
        """Copy `source` (at `base_commit`, if given) into a fresh temporary workspace."""
        if not source.is_dir():
            raise AgentRouteError(f"task repository {source} does not exist")
        root = Path(tempfile.mkdtemp(prefix="agentroute-ws-", dir=parent))
        workspace = cls(root, settings)
        try:
            shutil.copytree(source, workspace.repo, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc"))
            (root / "home").mkdir()
            (root / "tmp").mkdir()
            if (uid := sandbox_uid(workspace.layer)) is not None:
                _chown_tree(root, uid)
            workspace._commit_base(base_commit)
        except BaseException:
            workspace.remove()
            raise
        return workspace

    def _confine(self, argv: Sequence[str | Path]) -> ConfinedCommand:
        """`argv` run in the repository, confined to the workspace (Path items: host scripts it reads)."""
        return confined(self.layer, self.root, self.repo, argv)

    def _execute(self, argv: Sequence[str | Path], stdin: str | None = None,
                 timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run `argv` confined, wait for it (at most `timeout` seconds) and capture its output."""
        try:
            command = self._confine(argv)
            return subprocess.run(command.argv, cwd=self.repo, input=stdin, text=True, capture_output=True,
                                  env=clean_environment(self.root), timeout=timeout, pass_fds=command.pass_fds)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(argv, -signal.SIGKILL, "", f"{argv[0]} timed out")

    def _git(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        # confined too: the agent's commands can change .git/config (hooks, fsmonitor, filters)
        result = self._execute(["git", *_GIT_IDENTITY, *args], stdin=stdin)
        if check and result.returncode != 0:
            raise AgentRouteError(f"git {args[0]} failed in {self.repo}: {(result.stderr or result.stdout).strip()[:300]}")
        return result

    def _commit_base(self, base_commit: str | None) -> None:
        """Make the copy a git repository whose `agentroute-base` tag is the task's starting state."""
        if base_commit and (self.repo / ".git").exists():
            self._git("checkout", "-q", "-f", base_commit)
            self._git("clean", "-q", "-fdx")
        # one confined script (each confined command starts a sandbox); confined because the task's
        # repository may hold symlinks in .git
        result = self._execute(["sh", "-c", _BASE_SCRIPT, "sh", *_GIT_IDENTITY], stdin="\n".join(_IGNORED) + "\n")
        if result.returncode != 0:
            raise AgentRouteError(f"git could not record the task base in {self.repo}: "
                                  f"{(result.stderr or result.stdout).strip()[:300]}")

    def run(self, command: str, *, timeout: float | None = None, output_limit: int | None = None) -> CommandResult:
        """Run a shell command in the repository, sandboxed; never raises for the command's failure.

        The command text and its output live in files outside the workspace (the output file is
        unlinked), so a command cannot swap them for a FIFO or a symlink."""
        timeout = timeout or self.settings.timeout
        with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="agentroute-cmd-", errors="replace") as script, \
                tempfile.TemporaryFile(prefix="agentroute-out-") as sink:
            script.write(command)
            script.flush()
            os.chmod(script.name, 0o444)  # read by the sandbox's user, which may not be ours
            confined_bash = self._confine(["bash", Path(script.name)])
            process = subprocess.Popen(confined_bash.argv, cwd=self.repo, env=clean_environment(self.root), stdin=subprocess.DEVNULL,
                                       stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
                                       pass_fds=confined_bash.pass_fds)
            timed_out = False
            try:
                exit_code: int | None = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out, exit_code = True, None
            self._kill_group(process.pid)
            process.wait()
            output, elided = _head_and_tail(sink, output_limit or self.settings.output_limit)
        return CommandResult(command=command, exit_code=exit_code, output=output, timed_out=timed_out, elided_chars=elided)

    @staticmethod
    def _kill_group(pid: int) -> None:
        """Kill the command's process group: with bubblewrap, its PID namespace dies with it."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def edit(self, path: str, old_text: str, new_text: str) -> str:
        """The `edit` tool: replace exact text in a repository file (or create it), done inside the sandbox."""
        request = json.dumps({"path": path, "old_text": old_text, "new_text": new_text})
        result = self._execute([sys.executable, "-I", "-S", EDIT_SCRIPT], stdin=request, timeout=self.settings.timeout)
        if result.returncode != 0:
            return f"error: the edit failed: {(result.stderr.strip().splitlines() or ['no output'])[-1][:300]}"
        return result.stdout

    def apply(self, patch: str) -> str | None:
        """Apply a git diff to the repository; the error line if it does not apply."""
        if not patch.strip():
            return None
        result = self._git("apply", "--whitespace=nowarn", "-", stdin=patch if patch.endswith("\n") else patch + "\n",
                           check=False)
        return None if result.returncode == 0 else (result.stderr or result.stdout).strip().splitlines()[0]

    def restore(self, paths: list[str]) -> None:
        """Put files back as they were at the task base (deleting ones the base did not have)."""
        for path in paths:
            if self._git("cat-file", "-e", f"agentroute-base:{path}", check=False).returncode == 0:
                self._git("checkout", "-q", "agentroute-base", "--", path)
            else:
                self._execute(["rm", "-f", "--", path])

    def diff(self) -> str:
        """Everything changed since the task base, as a patch that applies to the base commit."""
        self._git("add", "-A")
        return self._git("diff", "--cached", "--binary", "agentroute-base").stdout

    def remove(self) -> None:
        """Delete the workspace."""
        shutil.rmtree(self.root, ignore_errors=True)
