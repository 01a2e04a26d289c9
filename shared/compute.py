"""One thread does a served process's model work: `run(fn)` calls `fn` there (model loads go there too,
through `shared.modeling.cached`). Called from the main thread (a training script, a benchmark's loop, a test) it
runs at once: that thread is already the one that does the work.

Why: torch's CPU kernels split their work over OpenMP threads (GNU libgomp), and libgomp gives each thread that
starts parallel work its own pool of helpers, kept while that thread lives. Helpers wait for the next piece of work
by spinning only while all the pools' threads together are no more than the CPUs; past that they sleep and each
kernel waits for them to wake. Gradio serves each request in whichever of its worker threads is free, so a Space
soon has several pools, and every kernel pays: on a 2-CPU Intel Xeon, sentiment's batch of 16 took 24 ms from a
second thread against 13 ms from the first, one text 12 ms against 5, and a SmolLM2 decoding step twice as long.
With the model work on one long-lived thread there is one pool.

What runs here should be the model's own work (forward passes, `generate`, `encode`, and the tensor arithmetic
right after): a long job that is not torch (Whisper through CTranslate2, training a tokenizer) stays in its
caller's thread, so that it never holds up another tab's forward pass. Requests take turns here in arrival order;
a streamed generation comes back once per token, so other tabs' calls slip in between its tokens.
"""

from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor

THREAD_NAME = "model-compute"
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)


def runs_here() -> bool:
    """Whether `run` calls at once in this thread: the compute thread itself, or the main thread."""
    thread = threading.current_thread()
    return thread is threading.main_thread() or thread.name.startswith(THREAD_NAME)


def run(fn, *args, **kwargs):
    """`fn(*args, **kwargs)` on the compute thread (at once where `runs_here`); its result, or its error raised
    here. Grad and inference mode belong to a thread: `fn` enters `torch.inference_mode()` itself."""
    if runs_here():
        return fn(*args, **kwargs)
    return _executor.submit(fn, *args, **kwargs).result()


def on_it(fn):
    """Decorator: every call of `fn` goes through `run`."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return run(fn, *args, **kwargs)

    return wrapper
