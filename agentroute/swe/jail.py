"""Run a command confined to one directory tree with Linux Landlock: `python jail.py [--uid N] ROOT CMD...`.

Run as a script (`python -I -S jail.py`, standard library only), not imported by the agent's process:
it restricts itself, then replaces itself with the command, so the restriction covers the command
and all it starts.
Inside bubblewrap it is the second layer (agentroute/swe/sandbox.py); without bubblewrap, the only one.

What Landlock enforces here (kernel ≥ 5.13; the ABI version decides the extras):
- no file may be created, written, truncated, renamed, linked or removed outside ROOT
  (reading and executing stay allowed everywhere); writing to /dev/null stays allowed;
- ABI ≥ 4: no TCP connect or bind (no network for the agent's commands);
- ABI ≥ 6: no signals to processes outside the sandbox, no abstract unix sockets outside it.
Resource limits: files of at most FILE_SIZE_LIMIT bytes, no core dumps, at most PROCESS_LIMIT
processes of the user and ADDRESS_SPACE_LIMIT bytes of memory per process.
`--uid N` (when started as root): drop to uid and gid N with no supplementary groups first.
`--if-available` (inside bubblewrap, the first layer): on a kernel without Landlock, run unrestricted.
`--lifeline FD`: the read end of a pipe whose write end only the agentroute process that started
this command holds. The command gets SIGKILL when its parent dies (bubblewrap does the same for
itself); then, if the pipe is already closed at both ends but this one, agentroute died before that
tie was made (between its fork and bubblewrap's prctl) and the command does not run (exit 1).
Exit code 126 with a message on stderr if the kernel has no Landlock; the caller decides.
It imports no more than it needs (argparse, typing and signal would cost every command about
30 ms of CPU, more than the rest of it).
"""

from __future__ import annotations

import ctypes
import os
import resource
import select
import sys

FILE_SIZE_LIMIT = 64 * 1024 * 1024
PROCESS_LIMIT = 4096
ADDRESS_SPACE_LIMIT = 16 * 1024 * 1024 * 1024
NO_LANDLOCK_EXIT = 126

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1
_SIGKILL = 9  # signal.SIGKILL on Linux (importing signal imports enum)

_WRITE_FILE, _REMOVE_DIR, _REMOVE_FILE = 1 << 1, 1 << 4, 1 << 5
_MAKE_CHAR, _MAKE_DIR, _MAKE_REG, _MAKE_SOCK, _MAKE_FIFO, _MAKE_BLOCK, _MAKE_SYM = (1 << n for n in range(6, 13))
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _write_rights(abi: int) -> int:
    rights = (_WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE_CHAR | _MAKE_DIR | _MAKE_REG | _MAKE_SOCK
              | _MAKE_FIFO | _MAKE_BLOCK | _MAKE_SYM)
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    return rights


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when it has none (a query: restricts nothing)."""
    version = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(0, int(version))


def confine(root: str) -> int:
    """Restrict this process (and what it execs) to writing under `root`; returns the Landlock ABI."""
    libc = _libc()
    abi = abi_version()
    if abi < 1:
        raise OSError(ctypes.get_errno(), "Landlock is not available on this kernel")
    rights = _write_rights(abi)
    attr = _RulesetAttr(handled_access_fs=rights,
                        handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        scoped=(_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    file_rights = _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0)
    for path, allowed in ((root, rights), ("/dev/null", file_rights)):
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        rule = _PathBeneathAttr(allowed_access=allowed, parent_fd=fd)
        if libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule),
                        ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
        os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(ruleset)
    return abi


def drop_privileges(uid: int) -> None:
    """Become uid/gid `uid` with no supplementary groups (clears every capability)."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def die_with_parent(lifeline: int) -> None:
    """SIGKILL when the parent dies; exit 1 without running anything when agentroute (the holder of
    the lifeline's write end) has died already."""
    if _libc().prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    poller = select.poll()
    poller.register(lifeline, select.POLLIN)
    if any(events & select.POLLHUP for _, events in poller.poll(0)):
        print("sandbox: agentroute exited before the command started; not running it", file=sys.stderr)
        sys.exit(1)
    os.close(lifeline)


class Options:
    """What the command line asks for: see the module's docstring."""

    def __init__(self, uid: int | None, if_available: bool, lifeline: int | None, root: str, command: list[str]) -> None:
        self.uid, self.if_available, self.lifeline, self.root, self.command = uid, if_available, lifeline, root, command


USAGE = "usage: jail.py [--uid N] [--if-available] [--lifeline FD] ROOT COMMAND [ARG ...]"


def parse_options(argv: list[str]) -> Options:
    """The options before ROOT, then ROOT and the command; exit 2 with the usage on anything else."""
    numbers: dict[str, int | None] = {"--uid": None, "--lifeline": None}
    if_available = False
    rest = argv[1:]
    try:
        while rest and rest[0].startswith("--"):
            option = rest.pop(0)
            if option == "--if-available":
                if_available = True
            elif option in numbers:
                numbers[option] = int(rest.pop(0))
            else:
                raise ValueError(f"unknown option {option}")
        if len(rest) < 2:
            raise ValueError("ROOT and a command are required")
    except (IndexError, ValueError) as error:
        print(f"{USAGE}\njail.py: error: {error}", file=sys.stderr)
        sys.exit(2)
    return Options(numbers["--uid"], if_available, numbers["--lifeline"], rest[0], rest[1:])


def main(argv: list[str]) -> None:
    """Limit, drop to --uid, confine to ROOT, tie the command's life to agentroute's, then exec it."""
    args = parse_options(argv)
    for limit, value in ((resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NPROC, PROCESS_LIMIT), (resource.RLIMIT_AS, ADDRESS_SPACE_LIMIT)):
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value))
    if args.uid is not None:
        drop_privileges(args.uid)
    try:
        if not (args.if_available and abi_version() < 1):
            confine(args.root)
    except OSError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        sys.exit(NO_LANDLOCK_EXIT)
    if args.lifeline is not None:  # after the uid change, which clears the parent-death signal
        die_with_parent(args.lifeline)
    os.execvp(args.command[0], args.command)


if __name__ == "__main__":
    main(sys.argv)
