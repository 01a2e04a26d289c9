"""Give memory that the server freed back to the system.

glibc's allocator keeps what a thread frees in that thread's arena, for the next allocation there. A Space serves
from many threads (Gradio's worker pool), and long jobs (a chat, a transcription, a tokenizer trained on an upload)
leave their peak in whichever arenas served them, so the process's RSS creeps towards the sum of every thread's
peak. `malloc_trim(0)` returns free pages of every arena to the system; it takes a few milliseconds.
`release_freed_memory_every(seconds)` calls it from one daemon thread (NLP_COURSE_TRIM_SECONDS: 0 turns it off).
Elsewhere than glibc (macOS, musl, jemalloc preloaded) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import threading

DEFAULT_SECONDS = 10.0


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return free heap pages to the system now; False where the C library has no malloc_trim."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class Releaser(threading.Thread):
    """A daemon thread calling `release_freed_memory` every `seconds`, until `stop()`."""

    def __init__(self, seconds: float):
        super().__init__(name="release-freed-memory", daemon=True)
        self.seconds, self._stopped = seconds, threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.seconds):
            release_freed_memory()

    def stop(self) -> None:
        self._stopped.set()


def release_freed_memory_every(seconds: float | None = None) -> Releaser | None:
    """Start a Releaser every `seconds` (default NLP_COURSE_TRIM_SECONDS, else 10); None when 0 or not glibc."""
    seconds = float(os.environ.get("NLP_COURSE_TRIM_SECONDS", DEFAULT_SECONDS) if seconds is None else seconds)
    if seconds <= 0 or _malloc_trim() is None:
        return None
    releaser = Releaser(seconds)
    releaser.start()
    return releaser
