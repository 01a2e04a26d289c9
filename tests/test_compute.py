"""The model work of a served process runs on one thread (`shared.compute`): called from Gradio's worker threads,
forward passes happen on the compute thread; called from the main thread (a script), where they are called."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared import compute


def in_worker(fn, *args):
    """`fn(*args)` in a thread that is not the main thread, as Gradio calls a Space's function."""
    with ThreadPoolExecutor(1, thread_name_prefix="AnyIO worker thread") as worker:
        return worker.submit(fn, *args).result()


def test_run_hands_work_from_other_threads_to_the_one_compute_thread_and_back():
    where = lambda: threading.current_thread().name  # noqa: E731
    assert compute.run(where) == "MainThread"  # a script's own thread does its own work
    names = {in_worker(compute.run, where) for _ in range(3)}
    assert len(names) == 1 and names.pop().startswith(compute.THREAD_NAME)
    assert in_worker(compute.run, lambda a, b: a + b, 2, 3) == 5

    def fails():
        raise ValueError("bad shape")

    with pytest.raises(ValueError, match="bad shape"):
        in_worker(compute.run, fails)
    nested = in_worker(compute.run, lambda: compute.run(where))  # from the compute thread itself: at once
    assert nested.startswith(compute.THREAD_NAME)


@pytest.mark.parametrize("task", ["sentiment", "text_generation"])
def test_a_spaces_forward_passes_run_on_the_compute_thread(task):
    from shared.tasks import sentiment, text_generation

    module = {"sentiment": sentiment, "text_generation": text_generation}[task]
    names = []
    embeddings = module.load()[0].get_input_embeddings()  # the first module of every forward pass
    hook = embeddings.register_forward_pre_hook(lambda *_: names.append(threading.current_thread().name))
    try:
        if task == "sentiment":
            out = in_worker(module.predict_batch, ["I love this course.", "What a waste of time."])
            assert [max(o.value, key=o.value.get) for o in out] == ["positive", "negative"]
        else:
            assert in_worker(module.predict, "The capital of France is", 4, 0.0).value
    finally:
        hook.remove()
    assert names and all(n.startswith(compute.THREAD_NAME) for n in names), names
