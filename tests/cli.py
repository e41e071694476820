"""Running the `agentroute` command line as a user does: a process of its own, its output and exit code.

Each command runs in a new process forked from a server that has already imported the heavy
libraries (litellm, Chroma, LangGraph: several seconds of CPU per process otherwise). The process
then does what the installed `agentroute` script does — `agentroute.cli.app:main()` with the
command's argv, environment and working directory, its stdout and stderr on files, stdin on
/dev/null — and exits with main's exit code after the interpreter's exit handlers ran. Signals,
exit codes, files left behind and output are the process's own. An environment that changes how
the interpreter starts (PYTHONPATH and the like) gets a fresh interpreter instead. `run_python` and
`start_python` fork a `python -c` script the same way, and `start_script` a `python FILE` script
(the kill-and-resume tests' tests/resumable_agent.py, the concurrent writers of
test_memory_concurrency.py). Tests that need the installed script itself (completion, a terminal,
the README's commands) or a fresh interpreter (what importing a module imports), or that read what
a process leaves on disk when the interpreter shuts down (a forked process ends with os._exit
after the exit handlers: no finalization closes its SQLite files), start it with subprocess.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
import time
import traceback
from multiprocessing.context import ForkServerContext
from pathlib import Path

# Imported once by the server: third-party libraries only. agentroute's own modules are imported by
# each command's process, so what they read when imported (the terminal's width for rich's
# console, for one) is that process's.
PRELOADED = ("litellm", "chromadb", "langgraph.graph", "langchain_core.messages", "sklearn.linear_model", "pydantic", "typer",
             "rich.console")
_context: ForkServerContext | None = None


def _server() -> ForkServerContext:
    """The fork server of this test process, started on first use with the libraries imported."""
    global _context
    if _context is None:
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # what `import agentroute` forces first
        os.environ.setdefault("TYPER_USE_RICH", "0")  # what agentroute.cli.app sets before importing typer
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(list(PRELOADED))
    return _context


def _exit_code(stop: SystemExit) -> int:
    if stop.code is None or isinstance(stop.code, int):
        return stop.code or 0
    print(stop.code, file=sys.stderr)  # what the interpreter does with sys.exit("message")
    return 1


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
                    out: str, err: str) -> None:
    """Body of the forked process: become `agentroute ARGS…` (or `python -c CODE ARGS…` when
    `code` is given, `python SCRIPT ARGS…` when `script` is) and exit as it would."""
    os.environ.clear()
    os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY)
        os.dup2(target, fd)
        os.close(target)
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


def _environment(env: dict[str, str] | None, unset: tuple[str, ...]) -> dict[str, str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    for name in ("AGENTROUTE_MEMORY_URL", *unset):
        full_env.pop(name, None)
    return full_env


def _starts_a_new_interpreter(env: dict[str, str]) -> bool:
    return any(env.get(name) != os.environ.get(name) for name in env.keys() | os.environ.keys() if name.startswith("PYTHON"))


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
        self._process = _server().Process(target=_forked_process, args=(
            code, None if script is None else str(script), list(args), env, None if cwd is None else str(cwd),
            str(self._out), str(self._err)))
        self._process.start()
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

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        """The first whole line of stdout that starts with `prefix`, once printed; AssertionError
        with the output if the process exits first or `timeout` passes (then it is killed)."""
        deadline = time.monotonic() + timeout
        while True:
            exited = self._process.exitcode is not None  # before reading: a line printed just before exit counts
            out, err = self._output()
            line = next((line for line in out.split("\n")[:-1] if line.startswith(prefix)), None)
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
    full_env = _environment(env, unset)
    assert not _starts_a_new_interpreter(full_env), "use subprocess for an environment the interpreter reads at start"
    return CliProcess(list(args), full_env, cwd)


def run_cli(*args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = (), cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`agentroute ARGS…` in a process of its own with a wide terminal, `env` added to this
    environment and the `unset` variables removed from it."""
    full_env = _environment(env, unset)
    if _starts_a_new_interpreter(full_env):
        return subprocess.run([sys.executable, "-m", "agentroute.cli.app", *args], capture_output=True, text=True,
                              env=full_env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)
    return CliProcess(list(args), full_env, cwd).result(timeout)


def _python_environment(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {**os.environ, **(env or {})}
    assert not _starts_a_new_interpreter(full_env), "use subprocess for an environment the interpreter reads at start"
    return full_env


def start_python(code: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> CliProcess:
    """Start `python -c CODE ARGS…` in a process of its own, forked like start_cli's, with `env`
    added to this environment; don't wait."""
    return CliProcess(list(args), _python_environment(env), cwd, code=code)


def start_script(script: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> CliProcess:
    """Start `python SCRIPT ARGS…` (its directory first on sys.path, run as `__main__`) in a
    process of its own, forked like start_cli's, with `env` added to this environment; don't wait."""
    return CliProcess(list(args), _python_environment(env), cwd, script=script)


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
