"""The task workspace: commands are confined to it, time-limited, truncated and keyless.

Most tests run on the layer this machine provides (bubblewrap + Landlock); the ones marked with
`layer` run on the Landlock-only fallback too. Every test runs real processes in a real sandbox.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli import start_python

import agentroute
from agentroute.swe.jail import abi_version
from agentroute.swe.sandbox import SANDBOX_UID, resolve_layer
from agentroute.swe.tools import run_tool
from agentroute.swe.workspace import SandboxSettings, Workspace

PROJECT = Path(agentroute.__file__).resolve().parent.parent
layers = pytest.mark.parametrize("layer", ["auto", "landlock"])


def make_workspace(tmp_path: Path, layer: str = "auto", timeout: float = 2) -> Workspace:
    source = tmp_path / "source"
    (source / "pkg").mkdir(parents=True, exist_ok=True)
    (source / "pkg" / "core.py").write_text("VALUE = 1\n")
    return Workspace.create(source, settings=SandboxSettings(timeout=timeout, output_limit=1000, layer=layer),
                            parent=tmp_path)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    workspace = make_workspace(tmp_path)
    yield workspace
    workspace.remove()


@pytest.fixture
def marker() -> Iterator[str]:
    """A unique word to find the processes a test starts; any left at the end are killed by pid."""
    word = f"agentroute-probe-{uuid.uuid4().hex}"
    yield word
    for pid in processes_with(word):
        os.kill(pid, signal.SIGKILL)


def processes_with(word: str, *, unless: str | None = None) -> list[int]:
    """Host pids whose command line holds `word` (zombies have none), and not `unless`."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if word.encode() in cmdline and (unless is None or unless.encode() not in cmdline):
            pids.append(int(entry.name))
    return pids


def gone_within(word: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while processes_with(word):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_this_machine_confines_commands() -> None:
    assert resolve_layer() == "bwrap"  # bubblewrap is installed here (CI: apt-get install bubblewrap)
    assert abi_version() >= 4  # the Landlock layer inside it, and the fallback the `layer` tests check


FALLBACK = """
import sys
from pathlib import Path
from agentroute.swe.workspace import Workspace
workspace = Workspace.create(Path(sys.argv[1]), parent=Path(sys.argv[2]))
print(workspace.layer, workspace.run("touch ../../escaped").exit_code)
workspace.remove()
"""


def test_without_bubblewrap_it_falls_back_to_landlock_with_one_warning(tmp_path: Path) -> None:
    """An agentroute process that finds no `bwrap` on its PATH still confines writes, and says so once."""
    make_workspace(tmp_path).remove()
    result = subprocess.run([sys.executable, "-c", FALLBACK, str(tmp_path / "source"), str(tmp_path)], capture_output=True,
                            text=True, env={**os.environ, "PATH": str(Path(sys.executable).parent)}, timeout=300)
    assert result.stdout.split() == ["landlock", "1"], result.stdout + result.stderr
    assert result.stderr.count("warning: sandbox: Landlock only") == 1 and not (tmp_path / "escaped").exists()


@layers
def test_writes_inside_work_and_writes_outside_are_refused(layer: str, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, layer)
    outside = tmp_path / "escaped.txt"
    inside = workspace.run("echo fixed > pkg/new.py && cat pkg/new.py")
    assert inside.exit_code == 0 and "fixed" in inside.output
    for command in (f"echo x > {outside}", "echo x > ../../escaped.txt", f"touch {outside}",
                    f"python -c \"open('{outside}', 'w').write('x')\"", f"mkdir {tmp_path / 'newdir'}",
                    f"ln -s /etc/passwd {tmp_path / 'link'}"):
        result = workspace.run(command)
        assert result.exit_code != 0, command
    assert not outside.exists() and not (tmp_path / "newdir").exists() and not (tmp_path / "link").exists()
    assert workspace.run("echo quiet > /dev/null").exit_code == 0


@layers
def test_deleting_outside_the_workspace_is_refused(layer: str, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, layer)
    victim = tmp_path / "keep.txt"
    victim.write_text("user data")
    assert workspace.run(f"rm {victim}").exit_code != 0
    assert victim.read_text() == "user data"


NETWORK_PROBE = """
import socket, sys
tcp, udp, unix, abstract = sys.argv[1:5]
def attempt(name, family, kind, proto, address):
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(1)
            if kind == socket.SOCK_DGRAM:
                sock.sendto(b"leak", address)
            elif address is not None:
                sock.connect(address)
                sock.sendall(b"leak")
        print(name, "OPEN")
    except OSError as error:
        print(name, "blocked", type(error).__name__)
attempt("tcp", socket.AF_INET, socket.SOCK_STREAM, 0, ("127.0.0.1", int(tcp)))
attempt("mptcp", socket.AF_INET, socket.SOCK_STREAM, 262, ("127.0.0.1", int(tcp)))
attempt("udp", socket.AF_INET, socket.SOCK_DGRAM, 0, ("127.0.0.1", int(udp)))
attempt("raw", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP, None)
attempt("packet", socket.AF_PACKET, socket.SOCK_RAW, 0, None)
attempt("unix", socket.AF_UNIX, socket.SOCK_STREAM, 0, unix)
attempt("abstract", socket.AF_UNIX, socket.SOCK_STREAM, 0, "\\0" + abstract)
"""


def test_no_network_of_any_family(workspace: Workspace, tmp_path: Path, marker: str) -> None:
    """TCP, MPTCP, UDP, raw and packet sockets, and unix sockets (path and abstract) of the host: none reaches out."""
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "host.sock"))
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0" + marker)
    listeners = (tcp, udp, unix, abstract)
    for listener in (tcp, unix, abstract):
        listener.listen()
    try:
        workspace.run(f"cat > probe.py <<'EOF'\n{NETWORK_PROBE}\nEOF")
        result = workspace.run(f"python probe.py {tcp.getsockname()[1]} {udp.getsockname()[1]} {tmp_path / 'host.sock'} {marker}")
        for listener in listeners:
            listener.setblocking(False)
        for listener in (tcp, unix, abstract):
            with pytest.raises(BlockingIOError):
                listener.accept()
        with pytest.raises(BlockingIOError):
            udp.recv(16)
    finally:
        for listener in listeners:
            listener.close()
    # UDP datagrams may be "sent" (into the sandbox's own empty loopback): the host received none, above
    assert result.output.count("blocked") == 6 and "udp " in result.output, result.output


def test_a_hanging_command_is_killed_with_everything_it_started(workspace: Workspace, marker: str) -> None:
    started = time.monotonic()
    result = workspace.run(f"python -c 'import time; time.sleep(300)' {marker} & sleep 300", timeout=1)
    assert result.timed_out and result.exit_code is None
    assert "timed out" in result.render()
    assert time.monotonic() - started < 30
    assert gone_within(marker, 5)


def test_daemons_do_not_outlive_the_command_or_the_workspace(workspace: Workspace, marker: str) -> None:
    sleeper = f"python -c 'import time; time.sleep(300)' {marker}"
    double_fork = (f"python -c \"import os, sys; os.fork() and sys.exit(); os.setsid(); os.fork() and sys.exit(); "
                   f"os.execvp('sleep', ['sleep', '300', '{marker}'])\"")
    result = workspace.run(f"setsid nohup {sleeper} >/dev/null 2>&1 & {double_fork}; sleep 0.5; ps -eo args")
    assert result.exit_code == 0 and result.output.count(marker) >= 2, result.output  # both were running
    assert gone_within(marker, 5), "a daemon outlived the command"
    workspace.remove()
    assert not processes_with(marker)


CHILD_AGENTROUTE = """
import sys
from pathlib import Path
from agentroute.swe.workspace import SandboxSettings, Workspace
workspace = Workspace(Path(sys.argv[1]), SandboxSettings(timeout=300))
print(workspace.run(sys.argv[2]).output, flush=True)
"""


def run_in_child_agentroute(workspace: Workspace, command: str, **env: str) -> subprocess.Popen[str]:
    """A separate agentroute process (with `env` added) running one command in the workspace."""
    return subprocess.Popen([sys.executable, "-c", CHILD_AGENTROUTE, str(workspace.root), command],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, text=True)


def test_killing_agentroute_kills_the_running_command(workspace: Workspace, marker: str) -> None:
    child = run_in_child_agentroute(workspace, f"python -c 'import time; time.sleep(300)' {marker}")
    try:
        deadline = time.monotonic() + 30
        # the command itself runs: not agentroute, nor its fork (same command line) before it execs bubblewrap
        while not processes_with(marker, unless="agentroute.swe.workspace"):
            assert time.monotonic() < deadline and child.poll() is None, "the command never started"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert gone_within(marker, 5), "the command outlived the agentroute process that ran it"
    finally:
        child.kill()
        child.wait()
        child.stdout.close()


RACING_AGENTROUTE = """
import subprocess, sys, time
from pathlib import Path
from agentroute.swe.sandbox import confined
from agentroute.swe.workspace import SandboxSettings, Workspace
workspace = Workspace(Path(sys.argv[1]), SandboxSettings(layer=sys.argv[2]))
command = confined(workspace.layer, workspace.root, workspace.repo, ["sh", "-c", sys.argv[3]])
# the window between agentroute's fork and bubblewrap's prctl(PR_SET_PDEATHSIG), held open for a second
subprocess.Popen(["sh", "-c", 'sleep 1; exec "$@"', "window", *command.argv], cwd=workspace.repo,
                 pass_fds=command.pass_fds, start_new_session=True)
print("forked", flush=True)
time.sleep(300)
"""


@layers
def test_a_command_whose_agentroute_died_before_its_sandbox_started_never_runs(tmp_path: Path, layer: str,
                                                                               marker: str) -> None:
    """agentroute is killed after it forked a command but before the sandbox tied the command's life
    to its own: the command must not start, let alone outlive it."""
    workspace = make_workspace(tmp_path, layer)
    command = f"echo ran > ran.txt; python -c 'import time; time.sleep(300)' {marker}"
    child = start_python(RACING_AGENTROUTE, str(workspace.root), layer, command)
    child.wait_for_line("forked", timeout=60)
    child.kill()
    child.wait()
    assert gone_within(marker, 15), "the command started after the agentroute process that forked it had died"
    assert not (workspace.repo / "ran.txt").exists()


def test_secrets_of_agentroute_processes_are_out_of_reach(workspace: Workspace, marker: str) -> None:
    """The environment of every process the command could find in /proc (its parents' above all)."""
    child = run_in_child_agentroute(workspace, "id -u; ls /proc; cat /proc/[0-9]*/environ | tr '\\0' '\\n'; "
                                    "cat /proc/$PPID/environ /proc/1/environ", OPENAI_API_KEY=marker)
    output, _ = child.communicate(timeout=60)
    assert marker not in output
    if os.geteuid() == 0:
        assert output.split()[0] == str(SANDBOX_UID)  # root is dropped


def test_reference_files_the_project_and_home_are_invisible(workspace: Workspace, tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    (task / "gold.patch").write_text("GOLD-ANSWER")
    suite = PROJECT / "evals" / "swe"
    result = workspace.run(f"find / -name gold.patch -not -path '/proc/*' 2>/dev/null; cat {task / 'gold.patch'}; "
                           f"ls {suite}; cat {PROJECT / 'pyproject.toml'}", timeout=120)
    assert not result.timed_out  # every part ran: a search of the whole tree takes seconds
    found = [line for line in result.output.splitlines() if line.endswith("gold.patch")]  # find's hits
    assert "GOLD-ANSWER" not in result.output and not found
    assert f"cat: {task / 'gold.patch'}: No such file or directory" in result.output
    assert "[project]" not in result.output and not any(name in result.output for name in os.listdir(suite))
    home = workspace.run(f"ls -A {Path.home()} 2>/dev/null").output.split()
    assert set(home) <= {".pyenv"}, home  # nothing of the host's home but the interpreter's prefix (pyenv)
    assert workspace.run("python -c 'import json'").exit_code == 0  # while the interpreter works


ATTRIBUTE_PROBE = """
import os, sys
path = sys.argv[1]
st = os.stat(path)
for name, call in [("chmod", lambda: os.chmod(path, st.st_mode & 0o7777)), ("chown", lambda: os.chown(path, st.st_uid, st.st_gid)),
                   ("utime", lambda: os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))),
                   ("xattr", lambda: os.setxattr(path, "user.agentroute", b"x"))]:
    try:
        call()
        print(name, "CHANGED")
    except OSError as error:
        print(name, "refused", type(error).__name__)
"""


def test_outside_files_keep_their_mode_owner_times_and_attributes(workspace: Workspace, tmp_path: Path) -> None:
    """A file every command can see (this interpreter's own os.py): its metadata cannot change."""
    target = Path(os.__file__).resolve()
    workspace.run(f"cat > attributes.py <<'EOF'\n{ATTRIBUTE_PROBE}\nEOF")
    try:
        result = workspace.run(f"python attributes.py {target}")
    finally:
        if "user.agentroute" in os.listxattr(target):
            os.removexattr(target, "user.agentroute")
    assert result.exit_code == 0 and result.output.count("refused") == 4, result.output


def test_the_environment_carries_no_secrets(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-456")
    result = workspace.run("env")
    assert "sk-secret-123" not in result.output and "aws-secret-456" not in result.output
    assert f"HOME={workspace.root / 'home'}" in result.output
    assert os.environ["OPENAI_API_KEY"] == "sk-secret-123"  # the caller's own environment is untouched


def test_long_output_keeps_head_and_tail(workspace: Workspace) -> None:
    result = workspace.run("python -c \"print('HEAD' + 'x' * 50000 + 'TAIL')\"")
    assert result.exit_code == 0
    assert result.output.startswith("HEAD") and result.output.rstrip().endswith("TAIL")
    assert result.elided_chars > 49000 and len(result.output) < 1200


FLIPPER = """
import ctypes, os, sys
os.chdir(sys.argv[1])
os.symlink(sys.argv[2], "d.link")
renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
while True:  # atomically exchange pkg/d (a directory) and pkg/d.link (a symlink to the outside), again and again
    renameat2(-100, b"d", -100, b"d.link", 2)
"""


@layers
def test_edits_racing_a_directory_symlink_swap_never_land_outside(layer: str, tmp_path: Path) -> None:
    """A helper swaps pkg/d between a directory and a symlink to an outside directory while edits run on
    pkg/d/big.py (big, so the time between checking the path and writing it is long)."""
    workspace = make_workspace(tmp_path, layer, timeout=30)
    text = "VALUE = 1\n" + "# padding\n" * 400_000
    outside = tmp_path / "site-packages"
    outside.mkdir()
    (outside / "big.py").write_text(text)
    made = workspace.run("mkdir pkg/d && python -c \"open('pkg/d/big.py', 'w').write('VALUE = 1\\n' + '# padding\\n' * 400_000)\"")
    assert made.exit_code == 0 and (workspace.repo / "pkg" / "d" / "big.py").read_text() == text
    before = (outside / "big.py").stat().st_mtime_ns
    flipper = subprocess.Popen([sys.executable, "-c", FLIPPER, str(workspace.repo / "pkg"), str(outside)])
    try:
        # the same text back: every write that lands anywhere changes only the file's mtime
        # at least 30 edits, and on until one got through (the flipper can win many in a row on a busy machine)
        replies = []
        while len(replies) < 30 or (len(replies) < 300 and not any(r.content == "edited pkg/d/big.py" for r in replies)):
            replies.append(run_tool(workspace, "edit", '{"path": "pkg/d/big.py", "old_text": "VALUE = 1", "new_text": "VALUE = 1"}'))
    finally:
        flipper.kill()
        flipper.wait()
    assert os.listdir(outside) == ["big.py"] and (outside / "big.py").stat().st_mtime_ns == before
    assert any(reply.content == "edited pkg/d/big.py" for reply in replies)  # the race was real: some edits went through


def test_edit_tool_stays_inside_the_repository(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("VALUE = 1\n")
    os.symlink(tmp_path / "secret.txt", workspace.repo / "pkg" / "link.py")
    for path in ("../../secret.txt", str(tmp_path / "secret.txt"), "pkg/link.py"):
        reply = run_tool(workspace, "edit", f'{{"path": "{path}", "old_text": "VALUE = 1", "new_text": "VALUE = 2"}}')
        assert "outside the repository" in reply.content, path
    assert (tmp_path / "secret.txt").read_text() == "VALUE = 1\n"
    reply = run_tool(workspace, "edit", '{"path": "pkg/core.py", "old_text": "VALUE = 1", "new_text": "VALUE = 2"}')
    assert reply.content == "edited pkg/core.py"
    assert (workspace.repo / "pkg" / "core.py").read_text() == "VALUE = 2\n"


def test_tool_mistakes_become_replies_not_crashes(workspace: Workspace) -> None:
    assert "not valid JSON" in run_tool(workspace, "bash", "{not json").content
    assert "unknown tool" in run_tool(workspace, "browse", "{}").content
    assert "occurs 0 times" in run_tool(workspace, "edit", '{"path": "pkg/core.py", "old_text": "nope", "new_text": "x"}').content
    assert "exists" in run_tool(workspace, "edit", '{"path": "pkg/core.py", "old_text": "", "new_text": "x"}').content
    assert run_tool(workspace, "submit", "{}").submitted
    assert "error:" in run_tool(workspace, "edit", '{"path": "pkg/core.py/x", "old_text": "", "new_text": "x"}').content
    assert "error:" in run_tool(workspace, "edit", '{"path": "pkg/u.py", "old_text": "", "new_text": "\\ud800"}').content


def test_commands_with_odd_bytes_or_huge_text_still_run(workspace: Workspace) -> None:
    assert "exit code" in run_tool(workspace, "bash", '{"command": "echo a\\u0000b"}').content
    huge = "x" * 300_000  # larger than one argv string may be
    reply = run_tool(workspace, "bash", '{"command": "echo ' + huge + ' | wc -c"}').content
    assert "300001" in reply and "exit code: 0" in reply


def test_git_settings_planted_by_a_command_cannot_write_outside(workspace: Workspace, tmp_path: Path) -> None:
    """Hooks, fsmonitor and filters in .git run when agentroute takes the diff: they stay confined."""
    planted = [tmp_path / name for name in ("fsmonitor", "filter", "hook")]
    workspace.run(f"git config core.fsmonitor 'touch {planted[0]}'; git config filter.x.clean 'touch {planted[1]}; cat';"
                  f" echo '* filter=x' > .gitattributes; printf '#!/bin/sh\\ntouch {planted[2]}\\n' > .git/hooks/pre-commit;"
                  " chmod +x .git/hooks/pre-commit; echo change >> pkg/core.py")
    patch = workspace.diff()
    assert "+change" in patch
    assert not any(path.exists() for path in planted)


def test_diff_is_the_agent_change_as_a_patch(workspace: Workspace) -> None:
    workspace.run("python -c \"import pkg.core\"; sed -i 's/1/3/' pkg/core.py; echo 'X = 0' > pkg/extra.py")
    patch = workspace.diff()
    assert "+VALUE = 3" in patch and "pkg/extra.py" in patch and "__pycache__" not in patch


@pytest.mark.parametrize("arguments", [
    ["--bogus", "ROOT", "touch", "WITNESS"], ["--uid", "nobody", "ROOT", "touch", "WITNESS"],
    ["--uid"], ["--lifeline", "3", "ROOT"], ["ROOT"],
], ids=["unknown option", "uid not a number", "uid without a value", "no command", "root alone"])
def test_jail_refuses_a_malformed_command_line_without_running_anything(arguments: list[str], tmp_path: Path) -> None:
    witness = tmp_path / "ran"
    argv = [{"ROOT": str(tmp_path), "WITNESS": str(witness)}.get(item, item) for item in arguments]
    jail = PROJECT / "agentroute" / "swe" / "jail.py"
    done = subprocess.run([sys.executable, "-I", "-S", str(jail), *argv], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stderr.startswith("usage: jail.py"), done.stderr
    assert not witness.exists()
