"""Keep C libraries from printing on the terminal: libmpg123 writes "Note: Illegal Audio-MPEG-Header..."
straight to file descriptor 2 while libsndfile probes a file that is not MP3, before Verbatim can say
its one sentence. `quiet_native_stderr()` points fd 2 at the null device around such native calls.

Python-level writes to sys.stderr go through the same descriptor, so the window is kept short (opening
a file, reading a block); a lock and a depth count make nested and concurrent uses safe.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.RLock()
_depth = 0
_saved_fd: int | None = None


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence fd 2 (C libraries' stderr) for the duration of the block."""
    global _depth, _saved_fd
    with _lock:
        if _depth == 0:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    _saved_fd = os.dup(2)
                    os.dup2(devnull, 2)
                finally:
                    os.close(devnull)
            except OSError:  # no fd 2 (a GUI launched without a console): nothing to silence
                _saved_fd = None
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved_fd is not None:
                try:
                    os.dup2(_saved_fd, 2)
                finally:
                    os.close(_saved_fd)
                    _saved_fd = None
