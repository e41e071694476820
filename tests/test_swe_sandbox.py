"""The task workspace: commands are confined to it, time-limited, truncated and keyless."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentroute.swe.tools import run_tool
from agentroute.swe.workspace import SandboxSettings, Workspace, landlock_abi


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    source = tmp_path / "source"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "core.py").write_text("VALUE = 1\n")
    workspace = Workspace.create(source, settings=SandboxSettings(timeout=2, output_limit=1000), parent=tmp_path)
    yield workspace
    workspace.remove()


def test_this_machine_confines_commands() -> None:
    assert landlock_abi() >= 4  # writes and TCP: the two confinements the tests below check


def test_writes_inside_work_and_writes_outside_are_refused(workspace: Workspace, tmp_path: Path) -> None:
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


def test_deleting_outside_the_workspace_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    victim = tmp_path / "keep.txt"
    victim.write_text("user data")
    assert workspace.run(f"rm -f {victim}").exit_code != 0
    assert victim.read_text() == "user data"


def test_no_network_connections(workspace: Workspace) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        result = workspace.run(f"python -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=1)\"")
    finally:
        server.close()
    assert result.exit_code != 0 and "PermissionError" in result.output


def test_a_hanging_command_is_killed_with_everything_it_started(workspace: Workspace) -> None:
    started = time.monotonic()
    result = workspace.run("sleep 300 & echo $! > child.pid; sleep 300", timeout=1)
    assert result.timed_out and result.exit_code is None
    assert "timed out" in result.render()
    assert time.monotonic() - started < 30
    child = int((workspace.repo / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


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
