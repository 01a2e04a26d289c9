"""The model-free functions of the course's Gradio chapter (ch9): pure Python/numpy, no Gradio.

Each raises ValueError with a sentence a user understands; the Spaces show it with `shared.ui.user_errors`.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image

MAX_TEXT_CHARS = 10_000
MAX_IMAGE_SIDE = 4096
MAX_AUDIO_SECONDS = 60
MAX_TONE_SECONDS = 10
TONE_SAMPLE_RATE = 48_000
IMAGE_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr"}
NOTES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def _text(text: str | None, what: str = "text") -> str:
    if text is None or not str(text).strip():
        raise ValueError(f"Please type some {what} first.")
    text = str(text)
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"That {what} has {len(text):,} characters; this demo takes at most {MAX_TEXT_CHARS:,}.")
    return text


def greet(name: str, intensity: float = 1) -> str:
    """'Hello, NAME' followed by `intensity` exclamation marks (the course's first demo)."""
    name = _text(name, "name").strip()
    return f"Hello, {name}" + "!" * int(intensity)


def flip_text(text: str) -> str:
    return _text(text)[::-1]


def _read_image(path: str | Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            if mode not in IMAGE_MODES:
                raise ValueError(f"This demo flips 8-bit images (grey, RGB, RGBA, palette or CMYK); this one has "
                                 f"mode {mode} (16-bit or floating point). Save it as an 8-bit PNG or JPEG first.")
            if mode not in ("L", "RGB", "RGBA"):
                im = im.convert("RGBA" if "A" in mode or "transparency" in im.info else "RGB")
            return np.asarray(im)
    except (OSError, Image.DecompressionBombError) as e:
        raise ValueError("That file is not an image this demo can read; try a PNG or a JPEG.") from e


def flip_image(image: np.ndarray | str | Path | None) -> np.ndarray:
    """Mirror an image left-right. Takes an array (H, W) / (H, W, 3|4) or the path of an image file."""
    if image is None:
        raise ValueError("Please upload an image first.")
    image = _read_image(image) if isinstance(image, (str, Path)) else np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"That is not a picture this demo can flip (array of shape {image.shape}); "
                         "use a grey, RGB or RGBA image.")
    if max(image.shape[:2]) > MAX_IMAGE_SIDE:
        raise ValueError(f"That image is {image.shape[1]}x{image.shape[0]}; the longest side may be "
                         f"at most {MAX_IMAGE_SIDE} pixels.")
    return np.fliplr(image)


def _audio(audio) -> tuple[int, np.ndarray]:
    if audio is None:
        raise ValueError("Please record or upload some audio first.")
    sr, data = audio
    data = np.asarray(data)
    if data.size == 0:
        raise ValueError("That recording is empty.")
    if data.shape[0] / sr > MAX_AUDIO_SECONDS:
        raise ValueError(f"That clip lasts {data.shape[0] / sr:.0f} s; this demo takes at most {MAX_AUDIO_SECONDS} s.")
    if not np.any(data):
        raise ValueError("That recording is silent: check your microphone and try again.")
    return int(sr), data


def reverse_audio(audio) -> tuple[int, np.ndarray]:
    """(sample_rate, samples) -> the same samples back to front (channels kept)."""
    sr, data = _audio(audio)
    return sr, np.flipud(data)


def note_frequency(note: int | str, octave: int) -> float:
    """Frequency in Hz of a note (index into NOTES or its name) in an octave, with A4 = 440 Hz."""
    index = NOTES.index(note) if isinstance(note, str) else int(note)
    return 440.0 * 2 ** ((12 * (int(octave) - 4) + (index - 9)) / 12)


def generate_tone(note: int | str | None, octave: float, duration: float) -> tuple[int, np.ndarray]:
    """A sine wave of the note, `duration` seconds long, as 16-bit samples at 48 kHz."""
    if note is None or (isinstance(note, str) and note not in NOTES):
        raise ValueError(f"Please pick a note among {', '.join(NOTES)}.")
    if duration is None or not 0 < float(duration) <= MAX_TONE_SECONDS:
        raise ValueError(f"The duration must be more than 0 and at most {MAX_TONE_SECONDS} seconds.")
    frequency = note_frequency(note, int(octave))
    n = int(round(float(duration) * TONE_SAMPLE_RATE))
    t = np.arange(n) / TONE_SAMPLE_RATE
    return TONE_SAMPLE_RATE, (20_000 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


CHAT_ANSWERS = {
    "How many": [str(i) for i in range(1, 11)],
    "How": ["Great", "Good", "Okay", "Bad"],
    "Where": ["Here", "There", "Somewhere"],
}


def chat_reply(message: str, rng: random.Random | None = None) -> str:
    """The course's toy bot: a random answer picked by how the question starts."""
    message = _text(message, "message")
    rng = rng or random
    for start, answers in CHAT_ANSWERS.items():  # "How many" is checked before "How"
        if message.startswith(start):
            return rng.choice(answers)
    return "I don't know"
