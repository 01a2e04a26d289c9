"""Offline, quiet, isolated: every test runs with the Hub unreachable by construction."""

import contextlib
import os
import socket
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "nlp-course-live-gradio"))

import pytest  # noqa: E402

from shared.catalog import load_app  # noqa: E402,F401  (re-exported for tests)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@contextlib.contextmanager
def run_app(cwd, *args, timeout=120, env=None):
    """Start `python app.py ARGS` in `cwd` as Spaces would; yield (url, lines printed so far); stop it after."""
    import subprocess
    import sys
    import time

    port = free_port()
    full_env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
                "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen([sys.executable, "app.py", *args], cwd=cwd, env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}:\n{''.join(lines)}")
            lines.append(line)
            if "Running on local URL" in line:
                break
        else:
            raise TimeoutError(f"app.py did not start in {timeout}s:\n{''.join(lines)}")
        yield f"http://127.0.0.1:{port}/", lines, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
