"""Run a command that can read only its workspace, the system and this Python: `python -I readjail.py ROOT CMD...`.

The evaluator runs a task's tests through it, so code from a model patch cannot read the task's
reference files (gold.patch, test.patch, the original snapshot) wherever they live. It adds one
Linux Landlock layer restricting reading files and listing directories to ROOT, the system
directories (/usr, /etc, /dev, /proc, /sys, …) and this interpreter's prefixes and
site-packages, then replaces itself with the command; the layer covers all it starts. It
restricts nothing else (the sandbox it runs in decides writes and network). Without Landlock it
runs the command as it is; the workspace already warns about that kernel.
"""

from __future__ import annotations

import ctypes
import os
import site
import sys

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/dev", "/proc", "/sys")
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_READ_FILE, _READ_DIR = 1 << 2, 1 << 3


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def readable_dirs(root: str) -> list[str]:
    """ROOT, the system directories and this interpreter's own, those that exist."""
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages()}
    return [path for path in dict.fromkeys([root, *SYSTEM_DIRS, *sorted(python)]) if os.path.isdir(path)]


def restrict_reading(paths: list[str]) -> bool:
    """Allow reading only beneath `paths` from now on (this process and what it execs); False without Landlock."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    rights = _READ_FILE | _READ_DIR
    attr = _RulesetAttr(handled_access_fs=rights)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    for path in paths:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        if libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule),
                        ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
        os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(ruleset)
    return True


def main(argv: list[str]) -> None:
    """Restrict reading to argv[1] (and the system, and this Python), then exec argv[2:]."""
    root, command = argv[1], argv[2:]
    try:
        restrict_reading(readable_dirs(root))
    except OSError as error:
        print(f"readjail: {error}", file=sys.stderr)
        sys.exit(126)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
