"""Sketch recognition (course ch9.4, the live Pictionary demo), on handwritten digits: a drawing in, the ten
digit probabilities out.

The course trains a small CNN on Quick Draw; here the same network (`shared.nets.digit_cnn`) is trained on MNIST
(`python -m training.sketch`). A sketchpad is not MNIST, so every drawing, and every training digit, goes
through the recipe MNIST itself was made with (`to_mnist`):

1. ink: which pixels are drawn. A transparent canvas (the Sketchpad's layers) gives its alpha; an opaque one its
   distance from the background colour, read from the border, so dark-on-light and light-on-dark both work;
2. crop to the ink's bounding box; even out the stroke: its width is estimated (2 x area / boundary length) and
   thickened or thinned so that it comes out about STROKE_PX wide after scaling, as MNIST's pen strokes are;
3. scale the longer side to 20 px (aspect ratio kept, antialiased);
4. place it in 28 x 28 with its centre of mass at the centre.

Input: Gradio 6's Sketchpad value, a dict {"background", "layers", "composite"} (the composite is read), or a
plain image (a file path or an array). A canvas with nothing drawn gets a clear message.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from shared import compute, hub
from shared.modeling import cached
from shared.tasks import InputError, Output
from shared.tasks.basics import MAX_IMAGE_SIDE, read_image

TASK = "sketch"
LABELS = [str(d) for d in range(10)]
MAX_IMAGE_SIDE = MAX_IMAGE_SIDE
SIZE, BOX = 28, 20  # MNIST: 28 x 28 images, digits scaled into a 20 x 20 box
STROKE_PX = 3.3  # MNIST's stroke width after this recipe (median over training digits, `stroke_width` at ink > 0.25)
MIN_INK_PIXELS = 4
EMPTY = "Draw a digit first: the canvas is empty."


def _image_of(sketch):
    """The picture inside what a client sent: the Sketchpad dict's composite (or its layers), else `sketch`."""
    if isinstance(sketch, dict):
        if "composite" not in sketch and "layers" not in sketch:
            raise InputError("Expected a drawing: a Sketchpad value {background, layers, composite} or an image.")
        if sketch.get("composite") is not None:
            return sketch["composite"]
        layers = [layer for layer in sketch.get("layers") or [] if layer is not None]
        if not layers:
            raise InputError(EMPTY)
        return layers[-1]
    if sketch is None:
        raise InputError(EMPTY)
    return sketch


def ink(pixels: np.ndarray) -> np.ndarray:
    """(h, w) float32 in [0, 1]: how much each pixel is drawn on (see the module docstring, step 1)."""
    pixels = pixels.astype(np.float32)
    if pixels.ndim == 3 and pixels.shape[2] == 4 and pixels[:, :, 3].min() < 250:
        return pixels[:, :, 3] / 255.0  # transparent canvas: the strokes are what is opaque
    grey = pixels[:, :, :3].mean(axis=2) if pixels.ndim == 3 else pixels
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    spread = max(background, 255.0 - background)
    return np.clip(np.abs(grey - background) / max(spread, 1.0), 0.0, 1.0)


def stroke_width(mask: np.ndarray) -> float:
    """Estimated stroke width in pixels of a binary drawing: 2 x area / boundary length."""
    area = mask.sum()
    if not area:
        return 0.0
    padded = np.pad(mask, 1)
    inner = padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    boundary = max(int(area - inner.sum()), 1)
    return float(max(1.0, 2.0 * area / boundary))


def to_mnist(amount: np.ndarray) -> np.ndarray:
    """An ink map (h, w) in [0, 1] -> a 28 x 28 float32 MNIST-style digit in [0, 1]; InputError when empty."""
    from PIL import Image
    from scipy import ndimage

    mask = amount > 0.25
    if mask.sum() < MIN_INK_PIXELS:
        raise InputError(EMPTY)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = amount[top:bottom, left:right]
    scale = BOX / max(crop.shape)  # output px per input px
    # even out the stroke: thicken or thin it (max/min filter) so that it is about STROKE_PX wide once scaled
    wanted = STROKE_PX / scale
    width = stroke_width(mask[top:bottom, left:right])
    crop = np.pad(crop, 2)
    if width < 0.7 * wanted:  # grey dilation / erosion with a square pen (separable: fast at any size)
        crop = ndimage.maximum_filter(crop, size=2 * int(round((wanted - width) / 2)) + 1)
    elif width > 1.6 * wanted:
        crop = ndimage.minimum_filter(crop, size=2 * int(round((width - wanted) / 2)) + 1)
    image = Image.fromarray((crop * 255).astype(np.uint8))
    h, w = image.size[1], image.size[0]
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(image.resize(new, Image.LANCZOS if scale < 1 else Image.BILINEAR), dtype=np.float32) / 255
    small = np.clip(small, 0, 1)
    if small.sum() <= 0:
        raise InputError(EMPTY)
    # centre of mass at the centre of the 28 x 28 frame (as MNIST), clipped so the digit stays inside
    ys, xs = np.indices(small.shape)
    cy, cx = (small * ys).sum() / small.sum(), (small * xs).sum() / small.sum()
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    y0 = int(np.clip(round(SIZE / 2 - cy), 0, SIZE - small.shape[0]))
    x0 = int(np.clip(round(SIZE / 2 - cx), 0, SIZE - small.shape[1]))
    out[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small[:SIZE - y0, :SIZE - x0]
    return out


def check(sketch) -> np.ndarray:
    """The drawing as a 28 x 28 MNIST-style float32 array; InputError for nothing drawn, a file that is not an
    image, or one over MAX_IMAGE_SIDE."""
    return to_mnist(ink(read_image(_image_of(sketch))))


def load(model: str | os.PathLike | None = None):
    """The digit CNN in eval mode from `model` (a folder: model.safetensors + config.json), SKETCH_MODEL, or
    checkpoints/sketch; once per process."""
    where = str(model or hub.resolve(TASK))

    def build():
        from shared.nets.digit_cnn import DigitCNN

        return DigitCNN.from_folder(Path(where)).eval()

    return cached((TASK, where), build)


@compute.on_it
def probabilities(net, digits: np.ndarray) -> np.ndarray:
    """(n, 10) digit probabilities for a batch of 28 x 28 MNIST-style digits."""
    import torch

    with torch.inference_mode():
        return net(torch.from_numpy(np.asarray(digits, dtype=np.float32))[:, None]).softmax(-1).numpy()


def predict(sketch, model=None) -> Output:
    """A drawing -> Output({digit: probability} for all ten digits)."""
    digit = check(sketch)
    probs = probabilities(load(model), digit[None])[0]
    return Output({label: float(p) for label, p in zip(LABELS, probs)})
