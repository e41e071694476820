"""Running the `agentroute` command line as a user does: a process of its own, its output and exit code.

Each command runs in a new process forked from a server that has already imported the heavy
libraries (litellm, Chroma, LangGraph: several seconds of CPU per process otherwise); the pytest
controller starts one server for the whole run and its workers share it (conftest.py). The process
then does what the installed `agentroute` script does — `agentroute.cli.app:main()` with the
command's argv, environment and working directory, its stdout and stderr on files, stdin on
/dev/null — and exits with main's exit code after the interpreter's exit handlers ran. Signals,
exit codes, files left behind and output are the process's own. An environment that changes how
the interpreter starts (PYTHONPATH and the like) gets a fresh interpreter instead. `run_python` and
`start_python` fork a `python -c` script the same way, and `start_script` a `python FILE` script
(the kill-and-resume tests' tests/resumable_agent.py, the concurrent writers of
test_memory_concurrency.py, the docs' Python examples). `Launcher` is an `agentroute` executable
for shell scripts (the docs' shell examples) that forks the command the same way, with the
script's own stdin, stdout and stderr. Tests that need the installed script itself (completion, a terminal,
the README's commands) or a fresh interpreter (what importing a module imports), or that read what
a process leaves on disk when the interpreter shuts down (a forked process ends with os._exit
after the exit handlers: no finalization closes its SQLite files), start it with subprocess.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from multiprocessing import forkserver, reduction, resource_tracker
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

_context: ForkServerContext | None = None
SHARED_SERVER = "AGENTROUTE_TESTS_FORK_SERVER"  # the socket of a fork server started by the pytest controller


def _server() -> ForkServerContext:
    """The fork server of this test process: the one the pytest controller shares (share_server),
    else one started on first use with preloaded.py imported."""
    global _context
    if _context is None:
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # what `import agentroute` forces first
        os.environ.setdefault("TYPER_USE_RICH", "0")  # what agentroute.cli.app sets before importing typer
        context = multiprocessing.get_context("forkserver")
        if os.environ.get(SHARED_SERVER):
            _attach(os.environ[SHARED_SERVER])
        else:
            _start(context)
        _context = context
    return _context


def _start(context: ForkServerContext) -> None:
    context.set_forkserver_preload(["preloaded"])
    # The server imports its preload modules before it takes this process's sys.path (and
    # ignores an ImportError): it starts with this directory on PYTHONPATH to find preloaded.py.
    outer = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), *([outer] if outer else [])])
    try:
        forkserver.ensure_running()
    finally:
        if outer is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = outer


def _attach(address: str) -> None:
    """Fork from the server listening at `address` (started by another process, which keeps it
    running): each request hands it this process's preparation data, pipes and resource tracker,
    so the forked process is this process's child in all but its pid's parent."""
    server = forkserver._forkserver  # the module's only ForkServer: multiprocessing has no public way to join one
    server._forkserver_address = address
    server._forkserver_alive_fd = os.open(os.devnull, os.O_RDONLY)  # handed to each child; unused by ours
    server.ensure_running = resource_tracker.ensure_running  # the server's lifetime is its starter's


def share_server() -> None:
    """Start this process's fork server now and name it in the environment: the processes started
    after it (pytest-xdist's workers) fork from it instead of each preloading one of their own."""
    _server()
    os.environ[SHARED_SERVER] = forkserver._forkserver._forkserver_address


def _exit_code(stop: SystemExit) -> int:
    if stop.code is None or isinstance(stop.code, int):
        return stop.code or 0
    print(stop.code, file=sys.stderr)  # what the interpreter does with sys.exit("message")
    return 1


class Inherited:
    """A file descriptor of this process handed to a forked process: multiprocessing sends a
    duplicate along with the process (SCM_RIGHTS) and the process opens it as this."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple[Any, ...]:
        return _received, (reduction.DupFd(self.fd),)


def _received(duplicate: Any) -> Inherited:
    return Inherited(duplicate.detach())


Stream = str | Inherited  # a file the process's stream goes to (by path), or one handed over


def _run_main(code: str | None, script: str | None) -> None:
    """Run the process's program: `agentroute`, `python -c CODE` or `python SCRIPT`."""
    if script is not None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # what `python SCRIPT` puts first
        runpy.run_path(script, run_name="__main__")
    elif code is not None:
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - the test's own script
    else:
        from agentroute.cli.app import main

        main()


def _forked_process(code: str | None, script: str | None, args: list[str], env: dict[str, str], cwd: str | None,
                    streams: tuple[Stream | None, Stream, Stream]) -> None:
    """Body of the forked process: become `agentroute ARGS…` (or `python -c CODE ARGS…` when
    `code` is given, `python SCRIPT ARGS…` when `script` is) with `streams` as its stdin (None:
    /dev/null), stdout and stderr, and exit as it would."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, as from a terminal (the server ignores it)
    os.environ.clear()
    os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    for fd, stream in enumerate(streams):
        if stream is not None:
            target = stream.fd if isinstance(stream, Inherited) else os.open(stream, os.O_WRONLY)
            os.dup2(target, fd)
            os.close(target)
    if streams[0] is not None:
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin, closed at exit
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - the process's own stdout, closed at exit
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    sys.argv = [script or ("agentroute" if code is None else "-c"), *args]
    try:
        _run_main(code, script)
        exit_code = 0
    except SystemExit as stop:
        exit_code = _exit_code(stop)
    except BaseException:  # noqa: BLE001 - an uncaught error ends the process as the interpreter would
        traceback.print_exc()
        exit_code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)


def _fork(code: str | None, script: str | None, args: list[str], env: dict[str, str], cwd: str | None,
          streams: tuple[Stream | None, Stream, Stream]) -> multiprocessing.Process:
    """Start _forked_process from the fork server."""
    process = _server().Process(target=_forked_process, args=(code, script, args, env, cwd, streams))
    process.start()
    return process


def _cli_environment(env: dict[str, str] | None, unset: tuple[str, ...]) -> dict[str, str]:
    """This environment for a command: a wide terminal, no central memory, `env` added, `unset` removed."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    for name in ("AGENTROUTE_MEMORY_URL", *unset):
        full_env.pop(name, None)
    return full_env


def _starts_a_new_interpreter(env: dict[str, str]) -> bool:
    return any(env.get(name) != os.environ.get(name) for name in env.keys() | os.environ.keys() if name.startswith("PYTHON"))


def _forkable(env: dict[str, str]) -> dict[str, str]:
    """`env`, which a process forked from the server can take (it changes nothing the interpreter reads at start)."""
    assert not _starts_a_new_interpreter(env), "use subprocess for an environment the interpreter reads at start"
    return env


class CliProcess:
    """A running `agentroute ARGS…`, `python -c CODE ARGS…` or `python SCRIPT ARGS…` (see
    start_cli, start_python, start_script): its pid, kill, wait and what it printed."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None, code: str | None = None,
                 script: Path | None = None) -> None:
        if script is not None:
            self.args = [sys.executable, str(script), *args]
        else:
            self.args = ["agentroute", *args] if code is None else [sys.executable, "-c", code, *args]
        self._captured = tempfile.TemporaryDirectory()
        self._out, self._err = Path(self._captured.name) / "stdout", Path(self._captured.name) / "stderr"
        self._out.touch()
        self._err.touch()
        self._process = _fork(code, None if script is None else str(script), list(args), env,
                              None if cwd is None else str(cwd), (None, str(self._out), str(self._err)))
        self.pid = self._process.pid

    def kill(self) -> None:
        self._process.kill()

    def wait(self, timeout: float | None = None) -> int:
        """The exit code (negative: the signal that ended it); TimeoutExpired if still running."""
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self._process.exitcode

    def result(self, timeout: float) -> subprocess.CompletedProcess[str]:
        """Wait up to `timeout` (then kill it and raise TimeoutExpired) and return what it did."""
        try:
            code = self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()
            raise subprocess.TimeoutExpired(self.args, timeout, *self._output()) from None
        return subprocess.CompletedProcess(self.args, code, *self._output())

    def send_signal(self, signal_number: int) -> None:
        os.kill(self.pid, signal_number)

    def wait_for_line(self, prefix: str, timeout: float, *, stderr: bool = False) -> str:
        """The first whole line of stdout (stderr if `stderr`) that starts with `prefix`, once
        printed; AssertionError with the output if the process exits first or `timeout` passes
        (then it is killed)."""
        deadline = time.monotonic() + timeout
        while True:
            exited = self._process.exitcode is not None  # before reading: a line printed just before exit counts
            out, err = self._output()
            line = next((line for line in (err if stderr else out).split("\n")[:-1] if line.startswith(prefix)), None)
            if line is not None:
                return line
            if exited or time.monotonic() > deadline:
                if not exited:
                    self.kill()
                    self.wait()
                why = f"exited with {self._process.exitcode}" if exited else f"printed none in {timeout} s"
                raise AssertionError(f"{self.args[:2]} {why} before a line starting with {prefix!r}\n"
                                     f"stdout:\n{out[-2000:]}\nstderr:\n{err[-2000:]}")
            time.sleep(0.05)

    def _output(self) -> tuple[str, str]:
        return self._out.read_text(errors="replace"), self._err.read_text(errors="replace")

    def __del__(self) -> None:
        self._captured.cleanup()


def start_cli(*args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = (),
              cwd: Path | None = None) -> CliProcess:
    """Start `agentroute ARGS…` in a process of its own (environment as for run_cli); don't wait."""
    return CliProcess(list(args), _forkable(_cli_environment(env, unset)), cwd)


def run_cli(*args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = (), cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`agentroute ARGS…` in a process of its own with a wide terminal, `env` added to this
    environment and the `unset` variables removed from it."""
    full_env = _cli_environment(env, unset)
    if _starts_a_new_interpreter(full_env):
        return subprocess.run([sys.executable, "-m", "agentroute.cli.app", *args], capture_output=True, text=True,
                              env=full_env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)
    return CliProcess(list(args), full_env, cwd).result(timeout)


def start_python(code: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> CliProcess:
    """Start `python -c CODE ARGS…` in a process of its own, forked like start_cli's, with `env`
    added to this environment; don't wait."""
    return CliProcess(list(args), _forkable({**os.environ, **(env or {})}), cwd, code=code)


def start_script(script: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> CliProcess:
    """Start `python SCRIPT ARGS…` (its directory first on sys.path, run as `__main__`) in a
    process of its own, forked like start_cli's, with `env` added to this environment; don't wait."""
    return CliProcess(list(args), _forkable({**os.environ, **(env or {})}), cwd, script=script)


def run_python(code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300,
               check: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -c CODE ARGS…` as start_python starts it, waited for (CalledProcessError on a
    non-zero exit when `check`)."""
    done = start_python(code, *args, env=env).result(timeout)
    if check:
        done.check_returncode()
    return done


def assert_one_line_error(result: subprocess.CompletedProcess[str], text: str, code: int = 2) -> None:
    """The command failed with `code` and said why in one `error:` line containing `text`."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and text in lines[0], result.stderr


_LAUNCHER_SCRIPT = '''#!{python} -IS
"""`agentroute` for the tests (tests/cli.py, Launcher): the command runs in a process forked from
the test's fork server with this process's stdin, stdout, stderr, directory and environment."""
import json, os, socket, sys
with socket.socket(socket.AF_UNIX) as launcher:
    launcher.connect({socket_path!r})
    socket.send_fds(launcher, [b"!"], [0, 1, 2])
    launcher.sendall(json.dumps({{"args": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}}).encode())
    launcher.shutdown(socket.SHUT_WR)
    answer = launcher.makefile("rb").read().decode()
if answer == "exec":  # an environment the interpreter reads at start: the installed script itself
    os.execv({script!r}, [{script!r}, *sys.argv[1:]])
sys.exit(int(answer or 1))
'''


class Launcher:
    """An `agentroute` executable (in the `bin` directory, to put first on PATH) that runs each
    command as run_cli does — forked from this test process's fork server — with the caller's
    stdin, stdout, stderr (handed over, not copied), directory and environment, and exits with the
    command's exit code (128 + the signal, if one ended it). Shell scripts that call `agentroute`
    (the docs' examples) run through it; an environment that changes how the interpreter starts
    runs the installed script instead."""

    def __init__(self) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="agentroute-launcher-")  # short: a socket path has 108 bytes
        self.bin = Path(self._scratch.name) / "bin"
        self.bin.mkdir()
        socket_path = str(Path(self._scratch.name) / "socket")
        self._listener = socket.socket(socket.AF_UNIX)
        self._listener.bind(socket_path)
        self._listener.listen()
        script = self.bin / "agentroute"
        script.write_text(_LAUNCHER_SCRIPT.format(python=sys.executable, socket_path=socket_path,
                                                  script=str(Path(sys.executable).parent / "agentroute")))
        script.chmod(0o755)
        threading.Thread(target=self._serve, name="agentroute-launcher", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._run, args=(connection,), daemon=True).start()

    def _run(self, connection: socket.socket) -> None:
        with connection:
            _, fds, _, _ = socket.recv_fds(connection, 1, 3)
            try:
                request = json.loads(connection.makefile("rb").read())
                if _starts_a_new_interpreter(request["env"]):
                    connection.sendall(b"exec")
                    return
                process = _fork(None, None, request["args"], request["env"], request["cwd"],
                                tuple(Inherited(fd) for fd in fds))
            finally:
                for fd in fds:  # the process has its own duplicates
                    os.close(fd)
            process.join()
            code = process.exitcode or 0
            connection.sendall(str(code if code >= 0 else 128 - code).encode())

    def close(self) -> None:
        self._listener.close()
        self._scratch.cleanup()
