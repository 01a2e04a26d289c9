"""Run a Space's `app.py` in a subprocess, as Spaces runs it, and wait until it serves (tests, benchmarks)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_app(cwd: str | os.PathLike, *args: str, timeout: float = 120, env: dict[str, str] | None = None):
    """Start `python app.py ARGS` in `cwd` on a free port; yield (url, lines, process) once it prints its URL
    (`lines`: what it printed, stdout and stderr, still growing while it runs); stop it after."""
    port = free_port()
    full_env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
                "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen([sys.executable, "app.py", *args], cwd=Path(cwd), env=full_env, text=True,
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
        # keep reading what it prints (into `lines`): a full pipe would block the app at its next print
        threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
        yield f"http://127.0.0.1:{port}/", lines, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
