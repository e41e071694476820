"""The writer lock of a store directory: a thread lock within this process, flock across processes."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StoreLock:
    """Reentrant exclusive lock. `path` None (a Chroma server) means threads of this process only."""

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.RLock()
        self._file = None if path is None else open(path, "a+b")  # noqa: SIM115 - held for the lock's lifetime
        self._depth = 0

    @contextmanager
    def local(self) -> Iterator[None]:
        """Exclude the other threads of this process."""
        with self._threads:
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Exclude other threads and, for a store directory, other processes (blocks until free)."""
        with self._threads:
            if self._depth == 0 and self._file is not None:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._file is not None:
                    fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
