"""Handwritten digits: all 70,000 MNIST digits, and a set of the test digits drawn as a mouse draws them.

Source: BIG-bench's `mnist_ascii` task inside the `bigbench==1.0.0` sdist on PyPI (`shared.data.bigbench`), which
keeps MNIST's order: the first 60,000 examples are MNIST's training set, the last 10,000 its test set (checked:
the labels begin 5 0 4 1 9 and 7 2 1 0 4, as MNIST's do). MNIST: LeCun, Cortes and Burges, CC BY-SA 3.0; the
task: Apache-2.0. The ASCII art is lossy, in two forms, about half each:
- 28 x 28 characters of " " and "B": the digit thresholded to black and white;
- 12 rows x 28 columns of a 10-level ramp " .:-=+*#%@" ("@" is paper): grey kept, height squeezed 28 -> 12.
`decode_ascii` turns both back into 28 x 28 grey images (the squeezed ones stretched back, bilinear).

`load_mnist()` gives a `datasets.DatasetDict` {"train": 55,000, "validation": 5,000, "test": 10,000} with columns
`image` (28 x 28 uint8, ink = 255), `label` (ClassLabel "0".."9") and `form` ("binary" or "grey"). The validation
digits are a seeded sample of MNIST's training set; the test split is MNIST's own test set.

`draw_like_a_mouse(image, ...)` renders one digit as a sketchpad drawing: its skeleton (scikit-image) traced
with a round pen of a chosen width, scaled and placed on a larger canvas, as dark-on-light, light-on-dark or
strokes on a transparent layer. `drawn_test_set()` makes the project's "drawn digits" evaluation set from the
MNIST test digits with it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from shared.data import bigbench

CACHE = bigbench.CACHE_DIR / "mnist"
SOURCE = "MNIST as ASCII art: BIG-bench task `mnist_ascii` (bigbench==1.0.0 sdist on PyPI), decoded to 28 x 28"
LICENSE = "CC BY-SA 3.0 (MNIST, LeCun, Cortes and Burges); Apache-2.0 (the BIG-bench task)"
RAMP = " .:-=+*#%@"  # dark (ink) to light (paper)
TRAIN, TEST = 60_000, 10_000


def decode_ascii(art: str) -> tuple[np.ndarray, str]:
    """One BIG-bench ASCII digit -> (28 x 28 uint8 image with ink = 255, its form "binary" or "grey")."""
    from PIL import Image

    rows = [row for row in art.strip("\n").split("\n")]
    if len(rows) == 28 and set("".join(rows)) <= {" ", "B"}:
        return np.array([[255 if c == "B" else 0 for c in row.ljust(28)] for row in rows], dtype=np.uint8), "binary"
    levels = np.array([[(9 - RAMP.index(c)) / 9 * 255 for c in row.ljust(28)] for row in rows], dtype=np.float32)
    stretched = Image.fromarray(levels, mode="F").resize((28, 28), Image.BILINEAR)
    return np.clip(np.asarray(stretched) + 0.5, 0, 255).astype(np.uint8), "grey"


def read_task(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images (n, 28, 28) uint8, labels (n,), binary (n,) bool) of a BIG-bench `mnist_ascii` task.json."""
    images, labels, forms = [], [], []
    for e in json.loads(Path(path).read_text())["examples"]:
        image, form = decode_ascii(e["input"])
        images.append(image)
        labels.append(int(max(e["target_scores"], key=e["target_scores"].get)))
        forms.append(form == "binary")
    return np.stack(images), np.array(labels, dtype=np.int64), np.array(forms)


def _arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`read_task` of the whole BIG-bench task, cached as .npz."""
    path = CACHE / "mnist_ascii.npz"
    if not path.is_file():
        images, labels, binary = read_task(bigbench.extract("mnist_ascii/", CACHE) / "task.json")
        if len(images) != TRAIN + TEST:
            raise ValueError(f"expected {TRAIN + TEST:,} MNIST digits in the BIG-bench task, found {len(images):,}")
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, images=images, labels=labels, binary=binary)
    data = np.load(path)
    return data["images"], data["labels"], data["binary"]


def load_mnist(task_json: str | Path | None = None, *, test_size: int = TEST, validation_size: int = 5_000,
               seed: int = 42):
    """The DatasetDict described in the module docstring; `task_json` reads another file of the task's format
    (e.g. training/smoke_data/mnist/mnist_ascii_tiny.json), whose last `test_size` digits are the test split."""
    from datasets import Array2D, ClassLabel, Dataset, DatasetDict, Features, Value

    images, labels, binary = read_task(task_json) if task_json else _arrays()
    train = len(images) - test_size
    validation_size = min(validation_size, train // 4)
    order = list(range(train))
    random.Random(seed).shuffle(order)
    sides = {"train": sorted(order[validation_size:]), "validation": sorted(order[:validation_size]),
             "test": list(range(train, len(images)))}
    features = Features({"image": Array2D((28, 28), "uint8"), "label": ClassLabel(names=[str(d) for d in range(10)]),
                         "form": Value("string")})
    return DatasetDict({side: Dataset.from_dict(
        {"image": images[idx], "label": labels[idx], "form": np.where(binary[idx], "binary", "grey")},
        features=features) for side, idx in sides.items()})


# ------------------------------------------------------------------------- digits drawn as a mouse draws

def skeleton_segments(image: np.ndarray) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The one-pixel skeleton of a digit as line segments between 8-connected skeleton pixels (x, y)."""
    from skimage.morphology import skeletonize

    skeleton = skeletonize(image > 96)
    ys, xs = np.nonzero(skeleton)
    on = set(zip(ys.tolist(), xs.tolist()))
    segments = []
    for y, x in on:
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):  # each neighbour pair once
            if (y + dy, x + dx) in on:
                segments.append(((x, y), (x + dx, y + dy)))
    if not segments and on:
        y, x = next(iter(on))
        segments.append(((x, y), (x, y)))
    return segments


def draw_like_a_mouse(image: np.ndarray, *, canvas: int = 400, height: float = 0.6, width: float = 8,
                      offset: tuple[float, float] = (0.0, 0.0), style: str = "dark") -> np.ndarray:
    """A 28 x 28 digit as a sketchpad drawing: its skeleton traced with a round pen `width` px wide, the digit
    `height` x the canvas tall, shifted by `offset` (fractions of the free space, -1..1). `style`: "dark"
    (black on white RGB), "light" (white on black RGB) or "layer" (black strokes on a transparent RGBA layer,
    as Gradio's Sketchpad sends them)."""
    from PIL import Image, ImageDraw

    segments = skeleton_segments(image)
    scale = height * canvas / 20.0  # MNIST digits are about 20 px tall
    free = canvas - 28 * scale
    ox = free / 2 * (1 + offset[0])
    oy = free / 2 * (1 + offset[1])
    mode, paper, pen = {"dark": ("RGB", (255, 255, 255), (0, 0, 0)), "light": ("RGB", (0, 0, 0), (255, 255, 255)),
                        "layer": ("RGBA", (0, 0, 0, 0), (0, 0, 0, 255))}[style]
    picture = Image.new(mode, (canvas, canvas), paper)
    draw = ImageDraw.Draw(picture)
    r = width / 2
    for (x0, y0), (x1, y1) in segments:
        a = (ox + (x0 + 0.5) * scale, oy + (y0 + 0.5) * scale)
        b = (ox + (x1 + 0.5) * scale, oy + (y1 + 0.5) * scale)
        draw.line([a, b], fill=pen, width=max(1, int(round(width))))
        for cx, cy in (a, b):  # round pen: a disc at every joint
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=pen)
    return np.asarray(picture)


WIDTHS = (2, 4, 8, 16)  # a thin mouse line to a thick finger on a 400 px canvas
HEIGHTS = (0.3, 0.5, 0.8)
STYLES = ("dark", "light", "layer")


def drawn_test_set(images: np.ndarray, labels: np.ndarray, n: int = 2_000, seed: int = 0):
    """[(drawing, label, settings)]: `n` MNIST test digits (a seeded sample, all ten digits) each drawn once with
    a seeded pen width, size, position and style from WIDTHS x HEIGHTS x offsets x STYLES."""
    rng = random.Random(seed)
    picks = rng.sample(range(len(images)), n)
    out = []
    for i in picks:
        settings = {"width": rng.choice(WIDTHS), "height": rng.choice(HEIGHTS),
                    "offset": (rng.uniform(-0.9, 0.9), rng.uniform(-0.9, 0.9)), "style": rng.choice(STYLES)}
        out.append((draw_like_a_mouse(images[i], **settings), int(labels[i]), settings))
    return out
