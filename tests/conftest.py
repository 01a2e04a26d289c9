"""Offline, quiet, isolated: every test runs with the Hub unreachable by construction."""

import contextlib
import os
import runpy
from pathlib import Path
from types import SimpleNamespace

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "nlp-course-live-gradio"))

import pytest  # noqa: E402

from benchmarks.local_space import free_port, run_app  # noqa: E402,F401  (re-exported for tests)

REPO = Path(__file__).resolve().parent.parent


def load_app(space: str) -> SimpleNamespace:
    """Run spaces/<space>/app.py as a module (not as __main__, so it does not launch) and return its globals."""
    return SimpleNamespace(**runpy.run_path(str(REPO / "spaces" / space / "app.py"), run_name=f"app_{space}"))


PRECISION = os.environ.get("NLP_COURSE_PRECISION")  # as the test run was started (unset: the CPU's choice)


@pytest.fixture(autouse=True)
def serving_precision(monkeypatch):
    """Each test starts with NLP_COURSE_PRECISION as the run was started: a training script run in-process sets it
    to fp32 for itself (training.common.parse_args), which must not leak into the Spaces tested after it."""
    if PRECISION is None:
        monkeypatch.delenv("NLP_COURSE_PRECISION", raising=False)
    else:
        monkeypatch.setenv("NLP_COURSE_PRECISION", PRECISION)


@pytest.fixture(autouse=True)
def training_process_state():
    """A training script run in-process leaves process-wide state behind: torch's thread count (`--threads`) and
    accelerate's AcceleratorState, whose precision a later script's Accelerator may not change (code_generation's
    bf16 after sketch's fp32 raised ValueError). Each test starts from the state the run started with."""
    import sys

    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
    if "accelerate" in sys.modules:
        from accelerate.state import AcceleratorState, GradientState

        AcceleratorState._reset_state(reset_partial_state=True)
        GradientState._reset_state()


@pytest.fixture
def few_smoke_steps(monkeypatch):
    """--smoke in 6 steps instead of 20, for a model that starts pretrained: measured here, its loss on the one batch
    halves well within 6 (SmolLM2 through LoRA: 2.68 -> 0.02 in 5). The check is the CLI's own (the loss must
    halve), only with less training to do it in; a script that needs the 20 steps (fill-mask, sentiment, Whisper)
    is not given this fixture."""
    from training import common

    monkeypatch.setattr(common, "SMOKE_STEPS", 6)


@pytest.fixture
def fp32(monkeypatch):
    """Models load in fp32 for this test (the cache keeps each precision apart): tests that hold a padded batch to
    single calls compare code, which bf16's rounding would blur (up to 0.005 in a score on a Xeon with AMX)."""
    monkeypatch.setenv("NLP_COURSE_PRECISION", "fp32")


@contextlib.contextmanager
def serve(demo):
    """Launch a Blocks in this process on a free port and yield a gradio_client.Client for it."""
    from gradio_client import Client

    from shared import ui

    port = free_port()
    ui.harden(demo).launch(**ui.launch_kwargs(demo, prevent_thread_lock=True, server_name="127.0.0.1",
                                              server_port=port, quiet=True))
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        demo.close()


@pytest.fixture
def space_client(request):
    """Usage: `@pytest.mark.parametrize("space_client", ["hello-world"], indirect=True)`."""
    module = load_app(request.param)
    with serve(module.demo) as client:
        yield client
