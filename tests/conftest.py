"""Offline, quiet, isolated: every test runs with the Hub unreachable by construction."""

import contextlib
import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "nlp-course-live-gradio"))

import pytest  # noqa: E402

from shared.catalog import load_app  # noqa: E402,F401  (re-exported for tests)
from benchmarks.local_space import free_port, run_app  # noqa: E402,F401  (re-exported for tests)


@contextlib.contextmanager
def serve(demo):
    """Launch a Blocks in this process on a free port and yield a gradio_client.Client for it."""
    from gradio_client import Client

    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
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
