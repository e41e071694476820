"""Which layer confines the agent's commands, and the command line that applies it.

- `bwrap` (preferred): bubblewrap starts the command in new PID, network, IPC, UTS, cgroup and
  mount namespaces. The mount namespace holds the system directories and this Python's prefixes
  read-only, the workspace read-write, a private /tmp, the new PID namespace's /proc and a minimal
  /dev; nothing else of the host. The network namespace is empty (loopback only). When bwrap ends
  (command done, timeout, or its parent killed) every process of the PID namespace dies. A command
  forked just before agentroute died (before bwrap's parent-death signal was set) never starts:
  jail.py finds agentroute's lifeline pipe closed (`lifeline`).
  Landlock (jail.py) runs inside as a second layer; as root, jail.py first drops to SANDBOX_UID.
- `landlock`: jail.py alone (no bubblewrap, or user namespaces refused): no writes outside the
  workspace, no TCP.
- `none`: neither is available; commands run unconfined.

The layer is detected once per process; AGENTROUTE_SANDBOX=bwrap|landlock|none forces one.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Literal, NamedTuple

from agentroute.errors import AgentRouteError
from agentroute.swe.jail import abi_version

Layer = Literal["bwrap", "landlock", "none"]
Requested = Literal["auto", "bwrap", "landlock", "none"]
SANDBOX_UID = 65534  # "nobody": the agent's commands run as this user when agentroute runs as root
INSIDE = PurePosixPath("/run/agentroute")  # where host files a command needs (its script, jail.py) appear
JAIL = Path(__file__).with_name("jail.py")
_SYSTEM = tuple(Path("/", name) for name in ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32"))
_NAMESPACES = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
_LAYERS: tuple[Layer, ...] = ("bwrap", "landlock", "none")

log = logging.getLogger(__name__)


def _as_root() -> bool:
    return os.geteuid() == 0


def _privileges() -> list[str]:
    """As root: only the capabilities to enter the workspace (owned by SANDBOX_UID, mode 0700) and for
    jail.py to drop to SANDBOX_UID, which clears them all; otherwise a user namespace."""
    if not _as_root():
        return ["--unshare-user"]
    return [arg for cap in ("CAP_DAC_READ_SEARCH", "CAP_SETUID", "CAP_SETGID") for arg in ("--cap-add", cap)]


@cache
def bwrap_works() -> bool:
    """Whether bubblewrap is installed and may create the namespaces (one probe run, cached)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    probe = subprocess.run([bwrap, *_NAMESPACES, *_privileges(), "--ro-bind", "/", "/", "true"],
                           capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


@cache
def detected_layer() -> Layer:
    """The strongest layer this machine supports; logs one warning when it is not bubblewrap."""
    layer: Layer = "bwrap" if bwrap_works() else "landlock" if abi_version() > 0 else "none"
    if layer != "bwrap":
        log.warning(describe(layer))
    return layer


def resolve_layer(requested: Requested = "auto") -> Layer:
    """The layer to use: `requested`, else AGENTROUTE_SANDBOX, else the detected one."""
    wanted = requested if requested != "auto" else os.environ.get("AGENTROUTE_SANDBOX") or "auto"
    if wanted == "auto":
        return detected_layer()
    if wanted not in _LAYERS:
        raise AgentRouteError(f"AGENTROUTE_SANDBOX={wanted!r}: use one of {', '.join(_LAYERS)}")
    if (wanted == "bwrap" and not bwrap_works()) or (wanted == "landlock" and abi_version() < 1):
        raise AgentRouteError(f"sandbox layer {wanted} is not available on this machine")
    return wanted  # type: ignore[return-value]


def describe(layer: Layer) -> str:
    """One line saying what confines the agent's commands."""
    return {
        "bwrap": "sandbox: bubblewrap namespaces (no network, only the workspace and system files visible)"
                 + (" + Landlock" if abi_version() > 0 else ""),
        "landlock": "warning: sandbox: Landlock only (bubblewrap missing or refused): commands can read the host's files and "
                    "use UDP/unix sockets; install bubblewrap",
        "none": "warning: sandbox: NONE (no bubblewrap, no Landlock): commands run unconfined",
    }[layer]


def sandbox_uid(layer: Layer) -> int | None:
    """The uid commands run as when it is not ours (the workspace must belong to it), else None."""
    return SANDBOX_UID if layer == "bwrap" and _as_root() else None


def _prefixes() -> list[Path]:
    """This Python's prefixes (a venv and its base interpreter) outside the system directories."""
    paths = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    outside = [p for p in paths if not any(p.is_relative_to(system) for system in _SYSTEM)]
    return sorted(p for p in outside if not any(p != other and p.is_relative_to(other) for other in outside))


def _bwrap(root: Path, cwd: Path, files: dict[Path, str]) -> list[str]:
    """bubblewrap's options: namespaces, then exactly the mounts a command needs."""
    args = [shutil.which("bwrap") or "bwrap", *_NAMESPACES, *_privileges()]
    for path in _SYSTEM:
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    mounts = [("--ro-bind", prefix, str(prefix)) for prefix in _prefixes()] + [("--bind", root, str(root))]
    mounts += [("--ro-bind", host, inside) for host, inside in files.items()]
    made = {"/", "/tmp"}
    for option, source, target in mounts:
        # parents bwrap would copy from the host (e.g. /root, mode 0700) are made traversable instead
        for parent in reversed(PurePosixPath(target).parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += [option, str(source), target]
    return [*args, "--chdir", str(cwd)]


_lifeline: tuple[int, int] | None = None  # (read end, write end): see lifeline()
_lifeline_lock = threading.Lock()


def lifeline() -> int:
    """The read end of this process's lifeline pipe, handed to every confined command (jail.py
    --lifeline): its write end stays open, held by this process alone, until this process ends."""
    global _lifeline
    with _lifeline_lock:
        if _lifeline is None:
            _lifeline = os.pipe()  # neither end is inherited by what this process execs
        return _lifeline[0]


def _drop_inherited_lifeline() -> None:
    """In a forked child: close the parent's lifeline (holding its write end would keep it alive)."""
    global _lifeline
    if _lifeline is not None:
        for end in _lifeline:
            os.close(end)
        _lifeline = None


os.register_at_fork(after_in_child=_drop_inherited_lifeline)


class ConfinedCommand(NamedTuple):
    """A command line that applies the sandbox, and the file descriptors its process must inherit
    (subprocess's `pass_fds`: the lifeline)."""

    argv: list[str]
    pass_fds: tuple[int, ...]


def confined(layer: Layer, root: Path, cwd: Path, argv: Sequence[str | Path]) -> ConfinedCommand:
    """The command running `argv` in `cwd`, confined to the workspace `root` by `layer`.

    Items of `argv` that are `Path`s are host files the command reads (a script): inside bubblewrap
    they are bound read-only under INSIDE and named by that path."""
    if layer == "none":
        return ConfinedCommand([str(item) for item in argv], ())
    fd = lifeline()
    tie = ["--lifeline", str(fd)]
    if layer == "landlock":
        return ConfinedCommand([sys.executable, "-I", "-S", str(JAIL), *tie, str(root), *(str(item) for item in argv)],
                               (fd,))
    files = {path: str(INSIDE / path.name) for path in (JAIL, *(item for item in argv if isinstance(item, Path)))}
    uid = sandbox_uid(layer)
    drop = ["--uid", str(uid)] if uid is not None else []
    return ConfinedCommand([*_bwrap(root, cwd, files), "--", sys.executable, "-I", "-S", files[JAIL], "--if-available",
                            *drop, *tie, str(root), *(files[item] if isinstance(item, Path) else item for item in argv)],
                           (fd,))
