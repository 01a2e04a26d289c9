"""Background removal (course ch9.5 loads a remove-background Space from the Hub; this is its local
equivalent): a photo of a person in, the person cut out on a transparent background and the mask out.

Model: MediaPipe's selfie segmentation (Apache-2.0, `shared/nets/selfie_segmentation/`: where it comes from and
why it is committed), run by `ai-edge-litert`, Google's standalone TFLite interpreter. MediaPipe's own
graph feeds it the whole image squeezed to 256 x 256 (aspect ratio not kept), RGB in [0, 1], and reads one
person probability per pixel; the mask is resized back to the photo with bilinear interpolation. The model was
made for people (selfies, video calls): other subjects get whatever it thinks is a person.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from shared.modeling import cached
from shared.tasks import Output
from shared.tasks.basics import MAX_IMAGE_SIDE, read_rgb

TASK = "remove_bg"
MIN_IMAGE_SIDE = 16
MAX_IMAGE_SIDE = MAX_IMAGE_SIDE
MODEL_FILE = Path(__file__).resolve().parent.parent / "nets" / "selfie_segmentation" / "selfie_segmentation.tflite"
INPUT_SIZE = 256
EMPTY = 0.02  # below this share of person pixels, the user is told that no person was found


def check(image) -> np.ndarray:
    """The photo as 8-bit RGB (h, w, 3); InputError for no image, not an image, a damaged one, or one outside
    MIN_IMAGE_SIDE..MAX_IMAGE_SIDE."""
    return read_rgb(image, MIN_IMAGE_SIDE)


def load(model: str | os.PathLike | None = None):
    """(interpreter, lock) for the .tflite file `model` (default: the committed selfie segmentation model);
    one interpreter per process, used under its lock (a TFLite interpreter is not thread-safe)."""
    where = str(model or os.environ.get("REMOVE_BG_MODEL") or MODEL_FILE)

    def build():
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=where, num_threads=1)
        interpreter.allocate_tensors()
        return interpreter, threading.Lock()

    return cached((TASK, where), build)


def segment(rgb: np.ndarray, model=None) -> np.ndarray:
    """(h, w) float32 person probability per pixel of `rgb`."""
    from PIL import Image

    interpreter, lock = load(model)
    h, w = rgb.shape[:2]
    x = np.asarray(Image.fromarray(rgb).resize((INPUT_SIZE, INPUT_SIZE), Image.BILINEAR), dtype=np.float32)
    with lock:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], (x / 255.0)[None])
        interpreter.invoke()
        mask = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, :, 0].copy()
    mask = np.clip(mask, 0.0, 1.0)
    return np.asarray(Image.fromarray(mask, mode="F").resize((w, h), Image.BILINEAR)).clip(0.0, 1.0)


def predict(image, model=None) -> Output:
    """One photo -> Output((RGBA cut-out (h, w, 4), mask as 8-bit grey (h, w)), notices)."""
    rgb = check(image)
    mask = segment(rgb, model)
    alpha = (mask * 255.0 + 0.5).astype(np.uint8)
    notices = []
    if (mask > 0.5).mean() < EMPTY:
        notices.append("No person found in that photo: this model cuts out people (selfies, portraits); "
                       "the result is mostly transparent.")
    return Output((np.dstack([rgb, alpha]), alpha), notices)
