"""Latency of the picture and sound Spaces (chapter 9), one visitor at a time, through the Space and in-process.

    python benchmarks/media_latency.py [--space image-classifier|remove-bg|sketch|asr|all] [--requests 30]

For each Space: starts spaces/<space>/app.py in a subprocess (benchmarks.local_space.run_app) and calls /predict
with gradio_client on real inputs (scikit-image's sample photos, MNIST digits drawn as a mouse draws, espeak-ng
speech), one request at a time; then, in this process, the task's own `predict` on the same inputs (no HTTP, no
Gradio). Prints p50 / p95 per row with the CPU model. These Spaces have no `transformers.pipeline()` peer: the
image models are not transformers models, and the ASR peer (`pipeline("automatic-speech-recognition")`) would
need transformers weights of Whisper that no package ships.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.local_space import run_app  # noqa: E402
from shared.modeling import cpu_model  # noqa: E402


def photos() -> list[Path]:
    import skimage

    data = Path(skimage.__file__).parent / "data"
    return [data / n for n in ("chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png", "motorcycle_left.png")]


def drawings(folder: Path) -> list[Path]:
    from PIL import Image

    from shared.data import mnist
    from training.sketch import SMOKE_FILE

    images, _, _ = mnist.read_task(SMOKE_FILE)
    paths = []
    for i, image in enumerate(images[-8:]):
        paths.append(folder / f"digit-{i}.png")
        Image.fromarray(mnist.draw_like_a_mouse(image, width=4 + 2 * i, style="layer")).save(paths[-1])
    return paths


def speech(folder: Path) -> list[Path]:
    from shared.data.speech import SENTENCES

    paths = []
    for i, text in enumerate(SENTENCES[:5]):
        paths.append(folder / f"speech-{i}.wav")
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(paths[-1]), text], check=True)
    return paths


SPACES = {  # space -> (inputs maker, task module, how a client sends one input)
    "image-classifier": (lambda folder: photos(), "image_classification", "file"),
    "remove-bg": (lambda folder: photos(), "remove_bg", "file"),
    "sketch": (drawings, "sketch", "drawing"),
    "asr": (speech, "asr", "file"),
}


def stats(seconds: list[float]) -> str:
    ms = sorted(1000 * s for s in seconds)
    return f"{statistics.median(ms):.0f} | {ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]:.0f}"


def measure(space: str, requests: int, folder: Path) -> list[str]:
    import importlib

    from gradio_client import Client, handle_file

    make, task_name, kind = SPACES[space]
    inputs = make(folder)
    send = [({"background": None, "layers": [], "composite": handle_file(str(p))} if kind == "drawing"
             else handle_file(str(p))) for p in inputs]
    with run_app(REPO / "spaces" / space, timeout=300) as (url, _, _):
        client = Client(url, verbose=False)
        client.predict(send[0], api_name="/predict")  # warm: the model loads on first use
        http = []
        for i in range(requests):
            start = time.perf_counter()
            client.predict(send[i % len(send)], api_name="/predict")
            http.append(time.perf_counter() - start)
    task = importlib.import_module(f"shared.tasks.{task_name}")
    local = [str(p) for p in inputs]
    task.predict(local[0])
    own = []
    for i in range(requests):
        start = time.perf_counter()
        task.predict(local[i % len(local)])
        own.append(time.perf_counter() - start)
    return [f"| {space} | Space, gradio_client, 1 visitor | {requests} | {stats(http)} |",
            f"| {space} | task's `predict` in-process | {requests} | {stats(own)} |"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", default="all", choices=[*SPACES, "all"])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args(argv)
    if not shutil.which("espeak-ng") and args.space in ("asr", "all"):
        sys.exit("espeak-ng is needed for the asr inputs: apt-get install espeak-ng")
    lines = [f"CPU: {cpu_model()}", "", "| Space | path | requests | p50 ms | p95 ms |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for space in SPACES if args.space == "all" else [args.space]:
            lines += measure(space, args.requests, Path(tmp))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
