"""The model-free functions of the course's Gradio chapter (ch9): pure Python/numpy, no Gradio.

Each checks its input first and raises InputError (a ValueError) with a sentence a user understands; the
Spaces show it with `shared.ui.endpoint`.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
from PIL import Image

from shared.tasks import InputError, check_text

MAX_INPUT_CHARS = 10_000
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 4096 * 4096  # checked from the file header, before a single pixel is decoded
MAX_AUDIO_SECONDS = 60
MAX_TONE_SECONDS = 10
TONE_SAMPLE_RATE = 48_000
NOTES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
AUDIO_FORMATS = "WAV, FLAC, OGG or MP3"


def _text(text, what: str = "text") -> str:
    return check_text(text, what, max_chars=MAX_INPUT_CHARS)


def greet(name: str, intensity: float = 1) -> str:
    """'Hello, NAME' followed by `intensity` exclamation marks (the course's first demo)."""
    name = _text(name, "name").strip()
    return f"Hello, {name}" + "!" * int(intensity)


def flip_text(text: str) -> str:
    return _text(text)[::-1]


def check_image(path) -> Image.Image:
    """The image in the file at `path` (or its bytes), opened but not decoded yet; InputError for no file, a file that is not an
    image (or is empty), or one over MAX_IMAGE_SIDE / MAX_IMAGE_PIXELS (read from its header, so a
    decompression bomb is refused before it costs any memory)."""
    if path is None:
        raise InputError("Please upload an image first.")
    if isinstance(path, (bytes, bytearray)):  # a browser's blob (the Sketchpad sends its layers so)
        path = io.BytesIO(path)
    if not isinstance(path, (str, Path, io.BytesIO)):
        raise InputError(f"Expected an image file; got {type(path).__name__}.")
    try:
        im = Image.open(path)
    except (OSError, Image.DecompressionBombError, ValueError):
        raise InputError("That file is not an image this demo can read; try a PNG or a JPEG.") from None
    w, h = im.size
    if max(w, h) > MAX_IMAGE_SIDE or w * h > MAX_IMAGE_PIXELS:
        im.close()
        raise InputError(f"That image is {w:,}x{h:,} pixels; the longest side may be at most {MAX_IMAGE_SIDE:,}. "
                         "Resize it first.")
    return im


def decode_image(im: Image.Image) -> np.ndarray:
    """Pixels as 8-bit grey, RGB or RGBA: 16-bit and 32-bit greys are scaled down, CMYK / palette / YCbCr
    converted, an animation's first frame taken."""
    with im:
        try:
            im.load()
        except (OSError, ValueError):
            raise InputError("That image file is damaged or truncated; try another PNG or JPEG.") from None
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            grey = np.asarray(im, dtype=np.float64)
            top = 65535.0 if im.mode.startswith("I;16") or grey.max() > 255 else 255.0
            return np.clip(grey / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        if im.mode == "F":
            grey = np.nan_to_num(np.asarray(im, dtype=np.float64))
            span = max(grey.max() - grey.min(), 1e-12)
            return ((grey - grey.min()) / span * 255.0 + 0.5).astype(np.uint8)
        if im.mode not in ("L", "RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")
        return np.asarray(im)


def read_image(image) -> np.ndarray:
    """The pixels of an image file (the path a Space sends) or array, checked first (`check_image`) and decoded
    (`decode_image`): 8-bit grey (h, w), RGB or RGBA (h, w, 3|4)."""
    if isinstance(image, np.ndarray):
        if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
            raise InputError(f"That is not a picture this demo can read (array of shape {image.shape}); "
                             "use a grey, RGB or RGBA image.")
        if max(image.shape[:2]) > MAX_IMAGE_SIDE:
            raise InputError(f"That image is {image.shape[1]:,}x{image.shape[0]:,}; the longest side may be at "
                             f"most {MAX_IMAGE_SIDE:,} pixels.")
        return image
    return decode_image(check_image(image))


def read_rgb(image, min_side: int = 1) -> np.ndarray:
    """`read_image` as 8-bit RGB (h, w, 3): grey repeated, transparency laid over white; InputError for an image
    under `min_side` pixels on a side."""
    pixels = read_image(image)
    h, w = pixels.shape[:2]
    if min(h, w) < min_side:
        raise InputError(f"That image is {w}x{h} pixels; it needs at least {min_side} pixels on each side "
                         "to show anything. Try a photo.")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] == 4:
        alpha = pixels[:, :, 3:].astype(np.float32) / 255.0
        pixels = (pixels[:, :, :3] * alpha + 255.0 * (1 - alpha) + 0.5).astype(np.uint8)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels[:, :, :3], dtype=np.uint8)


def flip_image(image) -> np.ndarray:
    """Mirror an image left-right. Takes the path of an image file (as the Space sends it) or an array."""
    return np.fliplr(read_image(image))


def read_audio(audio, max_seconds: float = MAX_AUDIO_SECONDS) -> tuple[int, np.ndarray]:
    """(sample rate, samples as int16, (n,) or (n, channels)) from a file path or a (rate, array) pair.

    Files are read with soundfile (libsndfile: WAV, FLAC, OGG/Vorbis, MP3, AIFF...), no ffmpeg needed; the
    duration is checked from the header before decoding. InputError for no audio, a file that is not audio,
    one over `max_seconds`, samples that are not numbers (NaN, infinity), or silence."""
    import soundfile as sf

    if audio is None:
        raise InputError("Please record or upload some audio first.")
    if isinstance(audio, (str, Path)):
        try:
            info = sf.info(str(audio))
        except (RuntimeError, sf.LibsndfileError, TypeError, ValueError):
            raise InputError(f"That file is not audio this demo can read; use {AUDIO_FORMATS}.") from None
        _check_duration(info.frames, info.samplerate, max_seconds)
        try:  # float files as floats (to find NaNs), the rest as 16-bit PCM, converted by libsndfile
            dtype = "float64" if info.subtype in ("FLOAT", "DOUBLE") else "int16"
            data, sr = sf.read(str(audio), dtype=dtype, always_2d=False)
        except (RuntimeError, sf.LibsndfileError, ValueError):
            raise InputError(f"That audio file is damaged; use another {AUDIO_FORMATS} file.") from None
    else:
        try:
            sr, data = audio
            data = np.asarray(data)
        except (TypeError, ValueError):
            raise InputError("Expected audio as a file or a (sample rate, samples) pair.") from None
        if not np.issubdtype(data.dtype, np.number):
            raise InputError("The audio samples must be numbers.")
        _check_duration(data.shape[0], sr, max_seconds)
    if data.size == 0:
        raise InputError("That recording is empty.")
    if np.issubdtype(data.dtype, np.floating):
        if not np.isfinite(data).all():
            raise InputError("That recording holds samples that are not numbers (NaN or infinity); "
                             "export it again as 16-bit WAV.")
        data = np.clip(np.round(data * 32768.0), -32768, 32767)
    elif data.dtype != np.int16:  # int32 / uint8 PCM passed as an array
        info = np.iinfo(data.dtype)
        data = np.round((data.astype(np.float64) - (info.max + info.min + 1) / 2) / (info.max - info.min + 1) * 65536)
    data = data.astype(np.int16)
    if not np.any(data):
        raise InputError("That recording is silent: check your microphone and try again.")
    return int(sr), data


def _check_duration(frames: int, sr, max_seconds: float) -> None:
    if not sr or sr <= 0:
        raise InputError("That recording has no sample rate.")
    if frames / sr > max_seconds:
        raise InputError(f"That clip lasts {frames / sr:,.0f} s; this demo takes at most {max_seconds:g} s. "
                         "Trim it and try again.")


def reverse_audio(audio) -> tuple[int, np.ndarray]:
    """(sample_rate, samples) -> the same samples back to front (channels kept), as 16-bit PCM."""
    sr, data = read_audio(audio)
    return sr, np.ascontiguousarray(np.flipud(data))


def note_frequency(note: int | str, octave: int) -> float:
    """Frequency in Hz of a note (index into NOTES or its name) in an octave, with A4 = 440 Hz."""
    index = NOTES.index(note) if isinstance(note, str) else int(note)
    return 440.0 * 2 ** ((12 * (int(octave) - 4) + (index - 9)) / 12)


def generate_tone(note: int | str | None, octave: float, duration: float) -> tuple[int, np.ndarray]:
    """A sine wave of the note, `duration` seconds long, as 16-bit samples at 48 kHz."""
    if note is None or (isinstance(note, str) and note not in NOTES) or (
            not isinstance(note, str) and not (isinstance(note, int) and 0 <= note < len(NOTES))):
        raise InputError(f"Please pick a note among {', '.join(NOTES)}.")
    if not isinstance(duration, (int, float)) or not 0 < float(duration) <= MAX_TONE_SECONDS:
        raise InputError(f"The duration must be more than 0 and at most {MAX_TONE_SECONDS} seconds.")
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
